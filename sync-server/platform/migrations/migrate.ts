import { Migrator, type Migration, type MigrationProvider } from 'kysely';
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
 * once (Kysely takes a lock table on both dialects).
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrationsFor(db) };
  const migrator = new Migrator({ db: db.kysely, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
