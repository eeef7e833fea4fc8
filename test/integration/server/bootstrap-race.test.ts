import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { openDatabase } from '../../../sync-server/platform/database/database.js';

// Real server processes started together on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 300_000 });

const INSTANCES = 3;
const ADMIN = { FLAGDESK_ADMIN_EMAIL: 'team@example.com', FLAGDESK_ADMIN_PASSWORD: 'team-password' };

/**
 * Issue 16 item 8: instances started together on one empty database with FLAGDESK_ADMIN_* set all come
 * up; exactly one of them creates the first organisation and its admin.
 */
describe.each(DIALECTS)('instances starting together on an empty %s database', (dialect) => {
  let servers: ServerProcess[] = [];
  let pgDb: TestDb | undefined;
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await pgDb?.drop();
    servers = [];
    pgDb = undefined;
  });

  test('all start, one first admin and organisation exist, and the admin signs in on each', async () => {
    let storage: Record<string, string>;
    let location: { databaseUrl: string } | { sqliteFile: string };
    if (dialect === 'postgres') {
      // Created empty (not migrated): the instances migrate it themselves, together.
      pgDb = await createTestDb('postgres', { migrate: false });
      await pgDb.db.close();
      storage = { DATABASE_URL: pgDb.location };
      location = { databaseUrl: pgDb.location };
    } else {
      const dir = tempDataDir();
      storage = { FLAGDESK_DATA_DIR: dir };
      location = { sqliteFile: join(dir, 'flagdesk.sqlite') };
    }
    const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startServerProcess({ ...storage, ...ADMIN })));
    servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);

    for (const server of servers) {
      const r = await fetch(`${server.url}/api/v1/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.FLAGDESK_ADMIN_EMAIL, password: ADMIN.FLAGDESK_ADMIN_PASSWORD }) });
      expect(r.status).toBe(200);
    }
    const db = openDatabase({ ...location, poolSize: 1 });
    try {
      expect((await db.kysely.selectFrom('users').select('email').execute()).map((u) => u.email)).toEqual([ADMIN.FLAGDESK_ADMIN_EMAIL]);
      expect(await db.kysely.selectFrom('organisations').select('name').execute()).toHaveLength(1);
    } finally {
      await db.close();
    }
  });
});
