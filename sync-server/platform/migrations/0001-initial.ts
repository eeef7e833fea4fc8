import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/** The initial schema: organisations, users, auth, projects, environments, the flag model and the audit log. */
export function initialMigration(kind: DialectName) {
  const bool = kind === 'postgres' ? 'boolean' : 'integer';
  const real = kind === 'postgres' ? 'double precision' : 'real';
  const id = <T extends string>(t: CreateTableBuilder<T, any>) =>
    kind === 'postgres'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  const f = (v: boolean) => (kind === 'postgres' ? sql.lit(v) : sql.lit(v ? 1 : 0));

  return {
    async up(db: Kysely<any>): Promise<void> {
      await id(db.schema.createTable('organisations'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('persist_trait_data', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('stop_serving_flags', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('plan_name', 'text', (c) => c.notNull().defaultTo('free'))
        .addColumn('max_segment_overrides_per_environment', 'integer', (c) => c.notNull().defaultTo(100))
        .addColumn('feature_history_visibility_days', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await id(db.schema.createTable('users'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('first_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('last_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('is_active', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('organisation_users')
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('organisation_users_pk', ['organisation_id', 'user_id'])
        .execute();
      await db.schema.createIndex('organisation_users_user_idx').on('organisation_users').column('user_id').execute();

      await id(db.schema.createTable('auth_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await id(db.schema.createTable('organisation_api_keys'))
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull().unique())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('is_admin', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('revoked', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();

      await id(db.schema.createTable('projects'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('hide_disabled_flags', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('projects_org_idx').on('projects').column('organisation_id').execute();

      await id(db.schema.createTable('user_project_permissions'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('admin', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('permissions_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .addUniqueConstraint('user_project_permissions_uq', ['project_id', 'user_id'])
        .execute();

      await id(db.schema.createTable('environments'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('api_key', 'text', (c) => c.notNull().unique())
        .addColumn('use_v2_feature_versioning', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('minimum_change_request_approvals', 'integer')
        .addColumn('allow_client_traits', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('hide_disabled_flags', bool)
        .addColumn('document_revision', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('environments_project_idx').on('environments').column('project_id').execute();

      await id(db.schema.createTable('environment_api_keys'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('active', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();

      await id(db.schema.createTable('user_environment_permissions'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('admin', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('permissions_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .addUniqueConstraint('user_environment_permissions_uq', ['environment_id', 'user_id'])
        .execute();

      await id(db.schema.createTable('features'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull().defaultTo('STANDARD'))
        .addColumn('initial_value', 'text')
        .addColumn('default_enabled', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('description', 'text')
        .addColumn('is_archived', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('is_server_key_only', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('features_project_name_uq', ['project_id', 'name'])
        .execute();

      await id(db.schema.createTable('multivariate_options'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('string_value', 'text')
        .addColumn('integer_value', 'integer')
        .addColumn('boolean_value', bool)
        .addColumn('default_percentage_allocation', real, (c) => c.notNull().defaultTo(100))
        .execute();
      await db.schema.createIndex('multivariate_options_feature_idx').on('multivariate_options').column('feature_id').execute();

      await id(db.schema.createTable('segments'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('feature_id', 'integer', (c) => c.references('features.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('rules_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('segments_project_idx').on('segments').column('project_id').execute();

      await id(db.schema.createTable('feature_segments'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('segment_id', 'integer', (c) => c.notNull().references('segments.id').onDelete('cascade'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('environment_feature_version_uuid', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('feature_segments_env_feature_idx').on('feature_segments').columns(['environment_id', 'feature_id']).execute();

      await id(db.schema.createTable('identities'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('identifier', 'text', (c) => c.notNull())
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('identities_env_identifier_uq', ['environment_id', 'identifier'])
        .execute();

      await id(db.schema.createTable('traits'))
        .addColumn('identity_id', 'integer', (c) => c.notNull().references('identities.id').onDelete('cascade'))
        .addColumn('trait_key', 'text', (c) => c.notNull())
        .addColumn('value_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('traits_identity_key_uq', ['identity_id', 'trait_key'])
        .execute();

      await id(db.schema.createTable('feature_states'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('identity_id', 'integer', (c) => c.references('identities.id').onDelete('cascade'))
        .addColumn('feature_segment_id', 'integer', (c) => c.references('feature_segments.id').onDelete('cascade'))
        .addColumn('enabled', bool, (c) => c.notNull().defaultTo(f(false)))
        .addColumn('value_type', 'text', (c) => c.notNull().defaultTo('unicode'))
        .addColumn('string_value', 'text')
        .addColumn('integer_value', 'bigint')
        .addColumn('boolean_value', bool)
        .addColumn('version', 'integer')
        .addColumn('live_from', 'text')
        .addColumn('environment_feature_version_uuid', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('feature_states_env_feature_idx').on('feature_states').columns(['environment_id', 'feature_id']).execute();
      await db.schema.createIndex('feature_states_identity_idx').on('feature_states').column('identity_id').execute();
      await db.schema.createIndex('feature_states_feature_segment_idx').on('feature_states').column('feature_segment_id').execute();

      await id(db.schema.createTable('multivariate_feature_state_values'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('feature_state_id', 'integer', (c) => c.notNull().references('feature_states.id').onDelete('cascade'))
        .addColumn('multivariate_option_id', 'integer', (c) => c.notNull().references('multivariate_options.id').onDelete('cascade'))
        .addColumn('percentage_allocation', real, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('mv_fs_values_fs_idx').on('multivariate_feature_state_values').column('feature_state_id').execute();

      await id(db.schema.createTable('audit_log'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('project_id', 'integer')
        .addColumn('environment_id', 'integer')
        .addColumn('log', 'text', (c) => c.notNull())
        .addColumn('author_user_id', 'integer')
        .addColumn('author_api_key_id', 'integer')
        .addColumn('related_object_type', 'text', (c) => c.notNull())
        .addColumn('related_object_id', 'integer')
        .addColumn('related_object_uuid', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_org_created_idx').on('audit_log').columns(['organisation_id', 'created_at']).execute();
    },
  };
}
