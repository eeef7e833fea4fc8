import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { openDatabase, type Db } from '../../../sync-server/platform/database/database.js';
import { checkInvariants, client, LOAD_ADMIN as ADMIN, LOAD_FEATURES as FEATURES, seed, sleep, worker, type Acknowledged } from '../../support/publish-load.js';

// Real server processes started several times on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 900_000, hookTimeout: 120_000 });

const KILL_ROUNDS = 3;

/** SIGKILL to the server's whole process group (test/support/server-process.ts). */
const killHard = (server: ServerProcess) => server.stop('SIGKILL');

/**
 * Issue 3 item 12: "a server killed (SIGKILL) in the middle of a publish leaves it either fully published
 * or absent". A real server process on a SQLite file (and on PostgreSQL) takes concurrent version commands
 * over HTTP (publishes, drafts, scheduled publishes, restores) and is killed with SIGKILL at a random
 * moment, several times; after each kill the data is checked as the dead server left it, then a server is
 * started again on the same data and must carry on: the audit chain verifies and new publishes chain on.
 */
describe.each(DIALECTS)('a server killed during publishes on %s', (dialect) => {
  let server: ServerProcess | undefined;
  let pgDb: TestDb | undefined;

  afterEach(async () => {
    if (server) await killHard(server);
    await pgDb?.drop();
    server = pgDb = undefined;
  });

  test('leaves every version fully published or absent, one chain per feature, and a verifiable audit chain', async () => {
    let storage: Record<string, string>;
    let openSameDb: () => Db;
    if (dialect === 'sqlite') {
      const dir = tempDataDir();
      storage = { FLAGDESK_DATA_DIR: dir };
      openSameDb = () => openDatabase({ sqliteFile: join(dir, 'flagdesk.sqlite') });
    } else {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close(); // the server process opens its own pool
      const url = pgDb.location;
      storage = { DATABASE_URL: url };
      openSameDb = () => openDatabase({ databaseUrl: url, poolSize: 2 });
    }
    const start = async () => {
      server = await startServerProcess({ ...storage, FLAGDESK_ADMIN_EMAIL: ADMIN.email, FLAGDESK_ADMIN_PASSWORD: ADMIN.password }, 180_000);
      const api = client(server.url);
      await api.login();
      return api;
    };

    let api = await start();
    const w = await seed(api);
    const ack: Acknowledged = { published: new Set(), scheduled: new Set(), drafts: new Set(), requests: 0 };
    const serverErrors: string[] = [];

    for (let round = 0; round < KILL_ROUNDS; round++) {
      const before = ack.requests;
      const load = Promise.all(Array.from({ length: 6 }, () => worker(api, w, ack, serverErrors)));
      // Kill at a random moment once the load is well under way (at least 20 commands answered).
      while (ack.requests < before + 20) await sleep(10);
      await sleep(Math.random() * 1000);
      await killHard(server!);
      server = undefined;
      await load;

      const db = openSameDb();
      try {
        const counts = await checkInvariants(db, w, ack);
        expect(counts.published).toBeGreaterThan(FEATURES);
      } finally {
        await db.close();
      }
      api = await start();
    }
    expect(serverErrors).toEqual([]);

    // The restarted server carries on: scheduled versions that fell due while it was down go live (its
    // scheduler finds them by query, D4), new publishes chain on the live versions, the audit chain verifies.
    const watcher = openSameDb();
    try {
      for (let i = 0; ; i++) {
        const due = await watcher.kysely.selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', w.environment.id).where('status', '=', 'scheduled').where('live_from', '<=', new Date().toISOString()).execute();
        if (due.length === 0) break;
        if (i > 600) throw new Error(`scheduled versions still not live: ${JSON.stringify(due)}`);
        await sleep(100);
      }
    } finally {
      await watcher.close();
    }
    for (const feature of w.features) {
      const r = await api.call('createFeatureVersion', { environment_pk: w.environment.id, feature_pk: feature }, { feature_states_to_update: [{ feature_segment: null, enabled: true }], publish_immediately: true });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ack.published.add(r.body.uuid);
    }
    const integrity = await api.ok('getAuditLogIntegrity', { organisation_pk: w.organisation });
    expect(integrity).toMatchObject({ is_valid: true, first_broken: null });
    expect(integrity.checked_entries).toBe(integrity.chain_length);

    await killHard(server!);
    server = undefined;
    const db = openSameDb();
    try {
      await checkInvariants(db, w, ack);
    } finally {
      await db.close();
    }
  });
});
