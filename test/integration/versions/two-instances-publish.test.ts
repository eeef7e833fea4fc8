import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { openDatabase, type Db } from '../../../sync-server/platform/database/database.js';
import { checkInvariants, client, LOAD_ADMIN as ADMIN, LOAD_FEATURES as FEATURES, seed, worker, type Acknowledged } from '../../support/publish-load.js';

// Real server processes on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 });

const WORKERS_PER_INSTANCE = 3;
const COMMANDS_PER_WORKER = 15;

/**
 * Issue 16 item 9: two server instances on one PostgreSQL database take version commands on the same
 * features at once. Every acknowledged publish is kept, each feature keeps one chain, every version is
 * whole, and the audit chain verifies on both instances. Several instances are a PostgreSQL deployment
 * (README); SQLite is one server process per data folder, so it has no such test.
 */
describe.runIf(DIALECTS.includes('postgres'))('two instances publishing concurrently on postgres', () => {
  let servers: ServerProcess[] = [];
  let pgDb: TestDb | undefined;
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await pgDb?.drop();
    servers = [];
    pgDb = undefined;
  });

  test('keep one chain per feature, every acknowledged publish and a valid audit chain', async () => {
    pgDb = await createTestDb('postgres');
    await pgDb.db.close(); // the server processes open their own pools
    const url = pgDb.location;
    const storage = { DATABASE_URL: url };
    const openSameDb = (): Db => openDatabase({ databaseUrl: url, poolSize: 2 });
    const env = { ...storage, FLAGDESK_ADMIN_EMAIL: ADMIN.email, FLAGDESK_ADMIN_PASSWORD: ADMIN.password };
    servers = await Promise.all([startServerProcess(env, 180_000), startServerProcess(env, 180_000)]);
    const apis = servers.map((s) => client(s.url));
    for (const api of apis) await api.login();
    const w = await seed(apis[0]!);

    const ack: Acknowledged = { published: new Set(), scheduled: new Set(), drafts: new Set(), requests: 0 };
    const serverErrors: string[] = [];
    await Promise.all(apis.flatMap((api) => Array.from({ length: WORKERS_PER_INSTANCE }, () => worker(api, w, ack, serverErrors, COMMANDS_PER_WORKER))));
    expect(serverErrors).toEqual([]);
    // Both instances served the whole load (a worker stops early only when its server goes away).
    expect(servers.map((s) => s.child.exitCode)).toEqual([null, null]);
    expect(ack.published.size).toBeGreaterThan(0);

    for (const api of apis) {
      const integrity = await api.ok('getAuditLogIntegrity', { organisation_pk: w.organisation });
      expect(integrity).toMatchObject({ is_valid: true, first_broken: null });
    }
    await Promise.all(servers.map((s) => s.stop('SIGTERM')));
    const db = openSameDb();
    try {
      const counts = await checkInvariants(db, w, ack);
      expect(counts.published).toBeGreaterThan(FEATURES);
    } finally {
      await db.close();
    }
  });
});
