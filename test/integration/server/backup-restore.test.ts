import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, PG_ADMIN_URL } from '../../support/databases.js';
import { runCli, startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { HttpClient } from '../../support/http-client.js';
import { seedOrganisation, servedFlags, type SeededOrganisation } from '../../support/seed-over-http.js';

// Real server processes on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 60_000 });

const ADMIN = { FLAGDESK_ADMIN_EMAIL: 'ops@example.com', FLAGDESK_ADMIN_PASSWORD: 'ops-password' };

/** What a server answers that a restore must keep: SDK flags per environment and identity, and the audit chain check. */
async function snapshot(url: string, seeded: SeededOrganisation): Promise<{ flags: Record<string, unknown>; integrity: unknown; auditEntries: number }> {
  const api = await new HttpClient(url).login(ADMIN.FLAGDESK_ADMIN_EMAIL, ADMIN.FLAGDESK_ADMIN_PASSWORD);
  const flags = await servedFlags(api, seeded);
  const integrity = await api.call('getAuditLogIntegrity', { organisation_pk: seeded.organisationId });
  const auditEntries = (await api.call('listAuditLogs', {}, undefined, '?page_size=1')).count as number;
  return { flags, integrity, auditEntries };
}

/** Issue 13 item 4: `npm run cli -- backup / restore` on SQLite, and the documented pg_dump / pg_restore path. */
describe('backup and restore', () => {
  const servers: ServerProcess[] = [];
  const dropAfter: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop('SIGKILL');
    for (const drop of dropAfter.splice(0)) await drop();
  });

  test('SQLite: a backup taken while the server runs restores into a fresh data dir that serves the same flags and verifies its audit chain', async () => {
    const dataDir = tempDataDir();
    const server = await startServerProcess({ FLAGDESK_DATA_DIR: dataDir, ...ADMIN }, 90_000);
    servers.push(server);
    const seeded = await seedOrganisation(await new HttpClient(server.url).login(ADMIN.FLAGDESK_ADMIN_EMAIL, ADMIN.FLAGDESK_ADMIN_PASSWORD));
    const before = await snapshot(server.url, seeded);
    expect(before.integrity).toMatchObject({ is_valid: true });

    const file = join(tempDataDir(), 'flagdesk-backup.sqlite');
    const backup = runCli(['backup', file], { FLAGDESK_DATA_DIR: dataDir });
    expect(backup.output).toContain(`Backed up ${join(dataDir, 'flagdesk.sqlite')} to ${file}`);
    expect(backup.status).toBe(0);
    // A backup never overwrites a file.
    const again = runCli(['backup', file], { FLAGDESK_DATA_DIR: dataDir });
    expect({ status: again.status, output: again.output.trim() }).toEqual({ status: 2, output: `${file} exists; choose a new file name (a backup never overwrites a file).` });

    // The running server's own database cannot be replaced under it, not even with --force.
    const underServer = runCli(['restore', file, '--force'], { FLAGDESK_DATA_DIR: dataDir });
    expect(underServer.status).toBe(2);
    expect(underServer.output).toContain(`A Flagdesk server (pid `);
    expect(underServer.output).toContain(`is running on ${join(dataDir, 'flagdesk.sqlite')}. Stop it first, then restore.`);

    const freshDir = tempDataDir();
    const restored = runCli(['restore', file], { FLAGDESK_DATA_DIR: freshDir });
    expect(restored.output).toContain(`Restored ${file} into ${join(freshDir, 'flagdesk.sqlite')}`);
    expect(restored.status).toBe(0);
    // A second restore over data asks for --force, and with it replaces the data.
    const over = runCli(['restore', file], { FLAGDESK_DATA_DIR: freshDir });
    expect({ status: over.status, output: over.output.trim() }).toEqual({ status: 2, output: `${join(freshDir, 'flagdesk.sqlite')} already holds data. Restoring replaces all of it; run again with --force to do that.` });
    expect(runCli(['restore', file, '--force'], { FLAGDESK_DATA_DIR: freshDir }).status).toBe(0);

    const second = await startServerProcess({ FLAGDESK_DATA_DIR: freshDir }, 90_000);
    servers.push(second);
    expect(await snapshot(second.url, seeded)).toEqual(before);
  });

  test('restore refuses a file that is not a Flagdesk database and changes nothing', async () => {
    const dir = tempDataDir();
    const notADb = join(dir, 'notes.txt');
    execFileSync('sh', ['-c', `echo 'hello' > ${notADb}`]);
    const r = runCli(['restore', notADb], { FLAGDESK_DATA_DIR: join(dir, 'data') });
    expect(r.status).toBe(2);
    expect(r.output).toContain(`${notADb} is not a readable SQLite database`);
    expect(existsSync(join(dir, 'data', 'flagdesk.sqlite'))).toBe(false);
    const missing = runCli(['restore', join(dir, 'nope.sqlite')], { FLAGDESK_DATA_DIR: join(dir, 'data') });
    expect({ status: missing.status, output: missing.output.trim() }).toEqual({ status: 2, output: `No backup file at ${join(dir, 'nope.sqlite')}.` });
  });

  test.skipIf(!DIALECTS.includes('postgres'))('PostgreSQL: backup and restore refuse, naming pg_dump and pg_restore', async () => {
    for (const command of ['backup', 'restore']) {
      const r = runCli([command, '/tmp/x.dump'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
      expect(r.status).toBe(2);
      expect(r.output).toContain('pg_dump --format=custom --no-owner --file=flagdesk.dump "$DATABASE_URL"');
      expect(r.output).toContain('pg_restore --no-owner --exit-on-error --dbname=');
    }
  });

  const pgDump = ['/usr/lib/postgresql/15/bin/pg_dump', '/usr/bin/pg_dump'].find((p) => existsSync(p));
  test.skipIf(!DIALECTS.includes('postgres') || pgDump === undefined)('PostgreSQL: the documented pg_dump / pg_restore commands give a database that serves the same flags and verifies its audit chain', async () => {
    const source = await createTestDb('postgres');
    dropAfter.push(() => source.drop());
    await source.db.close();
    const server = await startServerProcess({ DATABASE_URL: source.location, ...ADMIN }, 90_000);
    servers.push(server);
    const seeded = await seedOrganisation(await new HttpClient(server.url).login(ADMIN.FLAGDESK_ADMIN_EMAIL, ADMIN.FLAGDESK_ADMIN_PASSWORD));
    const before = await snapshot(server.url, seeded);

    const dump = join(tempDataDir(), 'flagdesk.dump');
    const bin = pgDump!.replace(/pg_dump$/, '');
    // The README's commands, with the server still running.
    execFileSync(`${bin}pg_dump`, ['--format=custom', '--no-owner', `--file=${dump}`, source.location]);
    const name = `flagdesk_restored_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const restoredUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    dropAfter.push(() => dropDatabase(name));
    execFileSync(`${bin}pg_restore`, ['--no-owner', '--exit-on-error', `--dbname=${restoredUrl}`, dump]);

    const second = await startServerProcess({ DATABASE_URL: restoredUrl }, 90_000);
    servers.push(second);
    expect(await snapshot(second.url, seeded)).toEqual(before);
  });
});

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}
