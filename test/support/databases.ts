import pg from 'pg';
import { openDatabase, type Db, type DialectName } from '../../sync-server/platform/database/database.js';
import { migrateToLatest } from '../../sync-server/platform/migrations/migrate.js';

/** PostgreSQL admin connection for tests; CI and every dev machine run one at 127.0.0.1:5432 (trust auth). */
export const PG_ADMIN_URL = process.env.FLAGDESK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let pgReachable: Promise<boolean> | undefined;
async function isPgReachable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  })();
  return pgReachable;
}

/**
 * The dialects a store test runs on: SQLite always, PostgreSQL too. In CI a missing PostgreSQL is an
 * error, never a silent skip; locally set FLAGDESK_TEST_SKIP_PG=1 to run SQLite only.
 */
export const DIALECTS: DialectName[] = process.env.FLAGDESK_TEST_SKIP_PG === '1' ? ['sqlite'] : ['sqlite', 'postgres'];

export interface TestDb {
  db: Db;
  /** Connection string (PostgreSQL) or file path (SQLite) for starting a server process on the same data. */
  location: string;
  drop(): Promise<void>;
}

/** A fresh database of the given dialect, migrated unless `migrate: false`; `drop()` removes it. */
export async function createTestDb(kind: DialectName, options: { sqliteFile?: string; migrate?: boolean } = {}): Promise<TestDb> {
  if (kind === 'sqlite') {
    const file = options.sqliteFile ?? ':memory:';
    const db = openDatabase({ sqliteFile: file });
    if (options.migrate !== false) await migrateToLatest(db);
    return { db, location: file, drop: () => db.close() };
  }
  if (!(await isPgReachable())) throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL}; start it (see README) or set FLAGDESK_TEST_SKIP_PG=1 locally`);
  const name = `flagdesk_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const db = openDatabase({ databaseUrl: url, poolSize: 5 });
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    db,
    location: url,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      // pg's pool.end() resolves before its sockets have closed. Terminating a backend whose client is
      // still closing makes that client emit an unhandled FATAL 57P01, so wait (briefly) for them to go.
      for (let i = 0; i < 50; i++) {
        const r = await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (r.rows[0].n === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
