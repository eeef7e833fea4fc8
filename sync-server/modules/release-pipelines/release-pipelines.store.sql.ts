import type { Selectable } from 'kysely';
import type { DialectName } from '../../platform/database/database.js';
import type { ReleasePipelineFeaturesTable, ReleasePipelinesTable, ReleasePipelineStagesTable } from '../../platform/database/database.schema.js';
import { featureStateValueOf } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { StageTriggerType } from '../../../src-shared/contracts/http/release-pipelines.contract.js';
import type { PipelineFeatureRecord, PipelineRecord, ReleasePipelinesStore, StageAction, StageRecord } from './release-pipelines.store.js';

function toPipeline(r: Selectable<ReleasePipelinesTable>): PipelineRecord {
  return { id: r.id, projectId: r.project_id, name: r.name, description: r.description, publishedAt: r.published_at, publishedByUserId: r.published_by_user_id, createdAt: r.created_at, updatedAt: r.updated_at };
}

function toStage(r: Selectable<ReleasePipelineStagesTable>): StageRecord {
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    name: r.name,
    order: r.stage_order,
    environmentId: r.environment_id,
    triggerType: r.trigger_type as StageTriggerType,
    waitSeconds: r.wait_seconds,
    actions: JSON.parse(r.actions_json) as StageAction[],
    createdAt: r.created_at,
  };
}

function toFeature(r: Selectable<ReleasePipelineFeaturesTable> & { feature_name: string }): PipelineFeatureRecord {
  return {
    id: r.id,
    pipelineId: r.pipeline_id,
    featureId: r.feature_id,
    featureName: r.feature_name,
    stageId: r.stage_id,
    enteredAt: r.entered_at,
    enteredByUserId: r.entered_by_user_id,
    enteredByApiKeyId: r.entered_by_api_key_id,
    triggerDueAt: r.trigger_due_at,
    triggeredAt: r.triggered_at,
    triggerError: r.trigger_error,
  };
}

export function createSqlReleasePipelinesStore(kind: DialectName): ReleasePipelinesStore {
  const featureRows = (ex: Parameters<ReleasePipelinesStore['featuresOf']>[0]) =>
    ex.selectFrom('release_pipeline_features as rf').innerJoin('features as f', 'f.id', 'rf.feature_id').selectAll('rf').select('f.name as feature_name');

  return {
    async listPipelines(ex, projectId, page) {
      const total = await ex.selectFrom('release_pipelines').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
      const rows = await ex.selectFrom('release_pipelines').selectAll().where('project_id', '=', projectId).orderBy('id').offset(page.offset).limit(page.limit).execute();
      return { total: Number(total.n), items: rows.map(toPipeline) };
    },
    async findPipeline(ex, id) {
      const r = await ex.selectFrom('release_pipelines').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toPipeline(r);
    },
    async lockPipeline(ex, id) {
      let q = ex.selectFrom('release_pipelines').selectAll().where('id', '=', id);
      if (kind === 'postgres') q = q.forUpdate();
      const r = await q.executeTakeFirst();
      return r && toPipeline(r);
    },
    async insertPipeline(ex, p) {
      const r = await ex
        .insertInto('release_pipelines')
        .values({ project_id: p.projectId, name: p.name, description: p.description, published_at: p.publishedAt, published_by_user_id: p.publishedByUserId, created_at: p.createdAt, updated_at: p.updatedAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updatePipeline(ex, id, patch) {
      await ex.updateTable('release_pipelines').set({ name: patch.name, description: patch.description, updated_at: patch.updatedAt }).where('id', '=', id).execute();
    },
    async publishPipeline(ex, id, at, byUserId) {
      await ex.updateTable('release_pipelines').set({ published_at: at, published_by_user_id: byUserId, updated_at: at }).where('id', '=', id).execute();
    },
    async deletePipeline(ex, id) {
      await ex.deleteFrom('release_pipelines').where('id', '=', id).execute();
    },

    async stagesOf(ex, pipelineIds) {
      if (pipelineIds.length === 0) return [];
      const rows = await ex.selectFrom('release_pipeline_stages').selectAll().where('pipeline_id', 'in', pipelineIds).orderBy('pipeline_id').orderBy('stage_order').execute();
      return rows.map(toStage);
    },
    async findStage(ex, id) {
      const r = await ex.selectFrom('release_pipeline_stages').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toStage(r);
    },
    async insertStage(ex, s) {
      const r = await ex
        .insertInto('release_pipeline_stages')
        .values({
          pipeline_id: s.pipelineId,
          name: s.name,
          stage_order: s.order,
          environment_id: s.environmentId,
          trigger_type: s.triggerType,
          wait_seconds: s.waitSeconds,
          actions_json: JSON.stringify(s.actions),
          created_at: s.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateStage(ex, id, s) {
      await ex
        .updateTable('release_pipeline_stages')
        .set({ name: s.name, stage_order: s.order, environment_id: s.environmentId, trigger_type: s.triggerType, wait_seconds: s.waitSeconds, actions_json: JSON.stringify(s.actions) })
        .where('id', '=', id)
        .execute();
    },
    async deleteStage(ex, id) {
      await ex.deleteFrom('release_pipeline_stages').where('id', '=', id).execute();
    },

    async featuresOf(ex, pipelineIds) {
      if (pipelineIds.length === 0) return [];
      const rows = await featureRows(ex).where('rf.pipeline_id', 'in', pipelineIds).orderBy('rf.pipeline_id').orderBy('rf.id').execute();
      return rows.map(toFeature);
    },
    async findPipelineFeature(ex, pipelineId, featureId) {
      const r = await featureRows(ex).where('rf.pipeline_id', '=', pipelineId).where('rf.feature_id', '=', featureId).executeTakeFirst();
      return r && toFeature(r);
    },
    async findPipelineFeatureById(ex, id) {
      const r = await featureRows(ex).where('rf.id', '=', id).executeTakeFirst();
      return r && toFeature(r);
    },
    async insertPipelineFeature(ex, f) {
      const r = await ex
        .insertInto('release_pipeline_features')
        .values({
          pipeline_id: f.pipelineId,
          feature_id: f.featureId,
          stage_id: f.stageId,
          entered_at: f.enteredAt,
          entered_by_user_id: f.enteredByUserId,
          entered_by_api_key_id: f.enteredByApiKeyId,
          trigger_due_at: f.triggerDueAt,
          triggered_at: null,
          trigger_error: null,
          created_at: f.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async enterStage(ex, id, e) {
      await ex
        .updateTable('release_pipeline_features')
        .set({
          stage_id: e.stageId,
          entered_at: e.enteredAt,
          entered_by_user_id: e.enteredByUserId,
          entered_by_api_key_id: e.enteredByApiKeyId,
          trigger_due_at: e.triggerDueAt,
          triggered_at: null,
          trigger_error: null,
        })
        .where('id', '=', id)
        .execute();
    },
    async deletePipelineFeature(ex, id) {
      await ex.deleteFrom('release_pipeline_features').where('id', '=', id).execute();
    },
    async dueTriggers(ex, now, limit) {
      const rows = await ex
        .selectFrom('release_pipeline_features')
        .select('id')
        .where('trigger_due_at', 'is not', null)
        .where('trigger_due_at', '<=', now)
        .orderBy('trigger_due_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
    async claimTrigger(ex, id, now, outcome) {
      const r = await ex
        .updateTable('release_pipeline_features')
        .set({ trigger_due_at: null, triggered_at: now, trigger_error: outcome.error })
        .where('id', '=', id)
        .where('trigger_due_at', 'is not', null)
        .where('trigger_due_at', '<=', now)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async recordTriggered(ex, id, at, error) {
      await ex.updateTable('release_pipeline_features').set({ triggered_at: at, trigger_error: error }).where('id', '=', id).execute();
    },

    async findBase(ex, pipelineFeatureId, stageId) {
      const r = await ex
        .selectFrom('release_pipeline_stage_bases')
        .select(['base_version_uuid', 'received_version_uuid'])
        .where('pipeline_feature_id', '=', pipelineFeatureId)
        .where('stage_id', '=', stageId)
        .executeTakeFirst();
      return r && { baseVersionUuid: r.base_version_uuid, receivedVersionUuid: r.received_version_uuid };
    },
    async resetBases(ex, pipelineFeatureId, bases) {
      await ex.deleteFrom('release_pipeline_stage_bases').where('pipeline_feature_id', '=', pipelineFeatureId).execute();
      if (bases.length === 0) return;
      await ex
        .insertInto('release_pipeline_stage_bases')
        .values(bases.map((b) => ({ pipeline_feature_id: pipelineFeatureId, stage_id: b.stageId, base_version_uuid: b.baseVersionUuid, received_version_uuid: null })))
        .execute();
    },
    async setReceived(ex, pipelineFeatureId, stageId, versionUuid) {
      const r = await ex
        .updateTable('release_pipeline_stage_bases')
        .set({ received_version_uuid: versionUuid })
        .where('pipeline_feature_id', '=', pipelineFeatureId)
        .where('stage_id', '=', stageId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) {
        await ex.insertInto('release_pipeline_stage_bases').values({ pipeline_feature_id: pipelineFeatureId, stage_id: stageId, base_version_uuid: null, received_version_uuid: versionUuid }).execute();
      }
    },

    async environment(ex, id) {
      const r = await ex
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .select(['e.id', 'e.project_id', 'p.organisation_id', 'e.name', 'e.api_key', 'e.use_v2_feature_versioning'])
        .where('e.id', '=', id)
        .executeTakeFirst();
      return r && { id: r.id, projectId: r.project_id, organisationId: r.organisation_id, name: r.name, apiKey: r.api_key, isV2: Boolean(r.use_v2_feature_versioning) };
    },
    async feature(ex, id) {
      const r = await ex.selectFrom('features').select(['id', 'project_id', 'name']).where('id', '=', id).executeTakeFirst();
      return r && { id: r.id, projectId: r.project_id, name: r.name };
    },
    async segment(ex, id) {
      const r = await ex.selectFrom('segments').select(['id', 'project_id', 'feature_id', 'name']).where('id', '=', id).executeTakeFirst();
      return r && { id: r.id, projectId: r.project_id, featureId: r.feature_id, name: r.name };
    },
    async version(ex, uuid) {
      const r = await ex.selectFrom('environment_feature_versions').select(['uuid', 'environment_id', 'feature_id', 'status', 'content_json']).where('uuid', '=', uuid).executeTakeFirst();
      return r && { uuid: r.uuid, environmentId: r.environment_id, featureId: r.feature_id, status: r.status, contentJson: r.content_json };
    },
    async names(ex, featureId, segmentIds) {
      const segments = segmentIds.length === 0 ? [] : await ex.selectFrom('segments').select(['id', 'name']).where('id', 'in', segmentIds).execute();
      const options = await ex.selectFrom('multivariate_options').select(['id', 'type', 'string_value', 'integer_value', 'boolean_value']).where('feature_id', '=', featureId).execute();
      return {
        segments: Object.fromEntries(segments.map((s) => [String(s.id), s.name])),
        multivariateOptions: Object.fromEntries(options.map((o) => [String(o.id), String(featureStateValueOf(o))])),
      };
    },
    async userEmail(ex, userId) {
      const r = await ex.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      return r?.email;
    },
    async apiKey(ex, id) {
      const r = await ex.selectFrom('organisation_api_keys').select(['name', 'organisation_id', 'is_admin', 'revoked']).where('id', '=', id).executeTakeFirst();
      return r && { name: r.name, organisationId: r.organisation_id, isAdmin: Boolean(r.is_admin), revoked: Boolean(r.revoked) };
    },
  };
}
