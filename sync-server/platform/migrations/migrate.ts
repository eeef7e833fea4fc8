import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from '../database/database.js';
import { initialMigration } from './0001-initial.js';
import { jobsMigration } from './0002-jobs.js';
import { eventsMigration } from './0003-events.js';
import { versionsMigration } from './0007-versions.js';
import { changeRequestsMigration } from './0008-change-requests.js';
import { syncMigration } from './0010-sync.js';
import { releasePipelinesMigration } from './0009-release-pipelines.js';
import { bucketingSeedsMigration } from './0011-bucketing-seeds.js';

/** The ordered list of migrations. Append only: a released migration is never edited. */
function migrationsFor(db: Db): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(db.kind),
    '0002-jobs': jobsMigration(db.kind),
    '0003-events': eventsMigration(db.kind),
    '0007-versions': versionsMigration(db.kind),
    '0008-change-requests': changeRequestsMigration(db.kind),
    '0010-sync': syncMigration(db.kind),
    '0009-release-pipelines': releasePipelinesMigration(db.kind),
    '0011-bucketing-seeds': bucketingSeedsMigration(),
  };
}

/**
 * Brings the schema up to date. Runs at every server start; safe with several instances starting at
 * once: on PostgreSQL Kysely takes an advisory lock; on SQLite (where Kysely assumes one process) the
 * whole run is one `BEGIN IMMEDIATE` transaction, so a second process waits for the first and then finds
 * nothing left to do.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(db) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const run = async () => {
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  return db.kind === 'sqlite' ? withSqliteWriteLock(db, run) : run();
}

const SQLITE_LOCK_WAIT_MS = 120_000;

/** Runs `fn` inside one IMMEDIATE transaction of the (single) SQLite connection, waiting for other processes' writes. */
async function withSqliteWriteLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + SQLITE_LOCK_WAIT_MS;
  for (;;) {
    try {
      await sql`BEGIN IMMEDIATE`.execute(db.kysely);
      break;
    } catch (error) {
      const isBusy = (error as { code?: string }).code?.startsWith('SQLITE_BUSY') ?? false;
      if (!isBusy || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    const result = await fn();
    await sql`COMMIT`.execute(db.kysely);
    return result;
  } catch (error) {
    await sql`ROLLBACK`.execute(db.kysely).catch(() => undefined);
    throw error;
  }
}

export interface MigrationStatus {
  /** Migrations of this build that the database has applied. */
  applied: number;
  /** Migrations of this build not applied yet (a start still migrating, or one that failed). */
  pending: string[];
  /** The newest migration of this build. */
  latest: string;
}

/** Which of this build's migrations the database has applied (reads Kysely's migration table; throws when the database is unreachable). */
export async function migrationStatus(db: Db): Promise<MigrationStatus> {
  const migrations = migrationsFor(db);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const infos = await new Migrator({ db: db.kysely, provider }).getMigrations();
  // Kysely applies migrations in name order, whatever the order of the object's keys.
  const names = Object.keys(migrations).sort();
  return {
    applied: infos.filter((m) => m.executedAt !== undefined).length,
    pending: infos.filter((m) => m.executedAt === undefined).map((m) => m.name),
    latest: names[names.length - 1]!,
  };
}
