import type { Kysely, CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * Change requests (issue 5): the request, one change set per feature (its content against its base
 * version), approvals bound to the content they saw, and assignees. Versions a commit creates carry the
 * request's id in `environment_feature_versions.change_request_id` (migration 0007).
 */
export function changeRequestsMigration(kind: DialectName) {
  const id = <T extends string>(t: CreateTableBuilder<T, any>) =>
    kind === 'postgres'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>): Promise<void> {
      await id(db.schema.createTable('change_requests'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('author_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('author_api_key_id', 'integer')
        .addColumn('committed_at', 'text')
        .addColumn('committed_by_user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      // The list: an environment's requests, newest first, optionally by committed state.
      await db.schema.createIndex('change_requests_env_idx').on('change_requests').columns(['environment_id', 'committed_at', 'id']).execute();

      await id(db.schema.createTable('change_request_change_sets'))
        .addColumn('change_request_id', 'integer', (c) => c.notNull().references('change_requests.id').onDelete('cascade'))
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('live_from', 'text')
        .addColumn('base_version_uuid', 'text')
        // Canonical VersionContent JSON of the change ("mine" against the base).
        .addColumn('content_json', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('version_uuid', 'text')
        // Three-way detail when the scheduled version did not go live (needs rebase).
        .addColumn('conflict_json', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('change_request_change_sets_feature_uq', ['change_request_id', 'feature_id'])
        .execute();
      // The scheduler's listener finds a request by the version it created.
      await db.schema.createIndex('change_request_change_sets_version_idx').on('change_request_change_sets').column('version_uuid').execute();

      await id(db.schema.createTable('change_request_approvals'))
        .addColumn('change_request_id', 'integer', (c) => c.notNull().references('change_requests.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('approved_at', 'text', (c) => c.notNull())
        // The binding hash of what was approved; the approval counts only while it equals the current one.
        .addColumn('content_hash', 'text', (c) => c.notNull())
        // JSON: per feature, the content to publish and the version it lands on, at approval.
        .addColumn('content_json', 'text', (c) => c.notNull())
        .addUniqueConstraint('change_request_approvals_user_uq', ['change_request_id', 'user_id'])
        .execute();

      await id(db.schema.createTable('change_request_assignees'))
        .addColumn('change_request_id', 'integer', (c) => c.notNull().references('change_requests.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('change_request_assignees_user_uq', ['change_request_id', 'user_id'])
        .execute();

      await db.schema.createIndex('efv_change_request_idx').on('environment_feature_versions').column('change_request_id').execute();
    },
  };
}
