import type { Kysely, CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * Release pipelines (issue 5 item 5): pipelines of a project, their ordered stages (each bound to an
 * environment, with a trigger and actions), the features travelling through them, and per feature and
 * stage the merge base of promotions (the version the stage's environment last received from the
 * pipeline, or its live version when the feature entered).
 */
export function releasePipelinesMigration(kind: DialectName) {
  const id = <T extends string>(t: CreateTableBuilder<T, any>) =>
    kind === 'postgres'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>): Promise<void> {
      await id(db.schema.createTable('release_pipelines'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        // Flagsmith's publish-pipeline: when (and by whom) the pipeline was published.
        .addColumn('published_at', 'text')
        .addColumn('published_by_user_id', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('release_pipelines_project_idx').on('release_pipelines').column('project_id').execute();

      await id(db.schema.createTable('release_pipeline_stages'))
        .addColumn('pipeline_id', 'integer', (c) => c.notNull().references('release_pipelines.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('stage_order', 'integer', (c) => c.notNull())
        .addColumn('environment_id', 'integer', (c) => c.notNull().references('environments.id').onDelete('cascade'))
        .addColumn('trigger_type', 'text', (c) => c.notNull())
        .addColumn('wait_seconds', 'integer')
        .addColumn('actions_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('release_pipeline_stages_order_uq').on('release_pipeline_stages').columns(['pipeline_id', 'stage_order']).unique().execute();

      await id(db.schema.createTable('release_pipeline_features'))
        .addColumn('pipeline_id', 'integer', (c) => c.notNull().references('release_pipelines.id').onDelete('cascade'))
        .addColumn('feature_id', 'integer', (c) => c.notNull().references('features.id').onDelete('cascade'))
        .addColumn('stage_id', 'integer', (c) => c.notNull().references('release_pipeline_stages.id').onDelete('cascade'))
        .addColumn('entered_at', 'text', (c) => c.notNull())
        .addColumn('entered_by_user_id', 'integer')
        .addColumn('entered_by_api_key_id', 'integer')
        // Set while a wait trigger is pending; the periodic task claims rows with trigger_due_at <= now.
        .addColumn('trigger_due_at', 'text')
        .addColumn('triggered_at', 'text')
        .addColumn('trigger_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('release_pipeline_features_uq').on('release_pipeline_features').columns(['pipeline_id', 'feature_id']).unique().execute();
      await db.schema.createIndex('release_pipeline_features_due_idx').on('release_pipeline_features').column('trigger_due_at').execute();

      await id(db.schema.createTable('release_pipeline_stage_bases'))
        .addColumn('pipeline_feature_id', 'integer', (c) => c.notNull().references('release_pipeline_features.id').onDelete('cascade'))
        .addColumn('stage_id', 'integer', (c) => c.notNull().references('release_pipeline_stages.id').onDelete('cascade'))
        .addColumn('base_version_uuid', 'text')
        .addColumn('received_version_uuid', 'text')
        .execute();
      await db.schema.createIndex('release_pipeline_stage_bases_uq').on('release_pipeline_stage_bases').columns(['pipeline_feature_id', 'stage_id']).unique().execute();
    },
  };
}
