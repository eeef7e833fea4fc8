import type { Kysely, CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * Feature versions (issue 3, ADR 0005): one row per version with its canonical content, the Yjs state of
 * drafts, and the three-way detail of a scheduled version that failed on a conflict; the environment's
 * versioning status for the v1 ↔ v2 migration job.
 */
export function versionsMigration(kind: DialectName) {
  const id = <T extends string>(t: CreateTableBuilder<T, any>) =>
    kind === 'postgres'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>): Promise<void> {
      await id(db.schema.createTable('environment_feature_versions'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('content_json', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('draft_state', 'text')
        .addColumn('base_version_uuid', 'text')
        .addColumn('previous_version_uuid', 'text')
        .addColumn('conflict_json', 'text')
        .addColumn('change_request_id', 'integer')
        .addColumn('live_from', 'text')
        // Go-live order per (environment, feature): breaks live_from ties, which one clock tick can produce.
        .addColumn('live_seq', 'integer')
        .addColumn('published_at', 'text')
        .addColumn('created_by_user_id', 'integer')
        .addColumn('created_by_api_key_id', 'integer')
        .addColumn('published_by_user_id', 'integer')
        .addColumn('published_by_api_key_id', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // The versions list (newest first) and the live-version lookup (greatest live_from <= now).
      await db.schema.createIndex('efv_env_feature_created_idx').on('environment_feature_versions').columns(['environment_id', 'feature_id', 'created_at']).execute();
      await db.schema.createIndex('efv_env_feature_live_idx').on('environment_feature_versions').columns(['environment_id', 'feature_id', 'status', 'live_from', 'live_seq']).execute();
      // The scheduler's due query: scheduled versions by live_from.
      await db.schema.createIndex('efv_status_live_idx').on('environment_feature_versions').columns(['status', 'live_from']).execute();
      await db.schema.createIndex('feature_states_version_idx').on('feature_states').column('environment_feature_version_uuid').execute();
      await db.schema.createIndex('feature_segments_version_idx').on('feature_segments').column('environment_feature_version_uuid').execute();

      await db.schema.alterTable('environments').addColumn('versioning_status', 'text', (c) => c.notNull().defaultTo('v1')).execute();
      await db.schema.alterTable('environments').addColumn('versioning_progress_json', 'text').execute();
    },
  };
}
