import type { Selectable } from 'kysely';
import type { EnvironmentApiKeysTable, EnvironmentsTable } from '../../platform/database/database.schema.js';
import { insertFeatureStateRow, v1FeatureStateRow } from '../../platform/database/feature-state-rows.js';
import type { EnvironmentApiKeyRecord, EnvironmentRecord, EnvironmentsStore } from './environments.store.js';

function toEnvironment(r: Selectable<EnvironmentsTable>): EnvironmentRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    apiKey: r.api_key,
    useV2FeatureVersioning: Boolean(r.use_v2_feature_versioning),
    minimumChangeRequestApprovals: r.minimum_change_request_approvals,
    allowClientTraits: Boolean(r.allow_client_traits),
    hideDisabledFlags: r.hide_disabled_flags === null ? null : Boolean(r.hide_disabled_flags),
    documentRevision: r.document_revision,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toApiKey(r: Selectable<EnvironmentApiKeysTable>): EnvironmentApiKeyRecord {
  return { id: r.id, environmentId: r.environment_id, name: r.name, prefix: r.prefix, active: Boolean(r.active), createdAt: r.created_at, expiresAt: r.expires_at };
}

export function createSqlEnvironmentsStore(): EnvironmentsStore {
  return {
    async find(ex, id) {
      const r = await ex.selectFrom('environments').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toEnvironment(r);
    },
    async findByApiKey(ex, apiKey) {
      const r = await ex.selectFrom('environments').selectAll().where('api_key', '=', apiKey).executeTakeFirst();
      return r && toEnvironment(r);
    },
    async listInOrganisations(ex, organisationIds, filter) {
      if (organisationIds.length === 0) return [];
      let q = ex.selectFrom('environments').innerJoin('projects', 'projects.id', 'environments.project_id').selectAll('environments').where('projects.organisation_id', 'in', [...organisationIds]);
      if (filter.projectId !== undefined) q = q.where('environments.project_id', '=', filter.projectId);
      return (await q.orderBy('environments.id').execute()).map(toEnvironment);
    },
    async idsOfProject(ex, projectId) {
      const rows = await ex.selectFrom('environments').select('id').where('project_id', '=', projectId).orderBy('id').execute();
      return rows.map((r) => r.id);
    },
    async insert(ex, e) {
      const r = await ex
        .insertInto('environments')
        .values({
          uuid: e.uuid,
          project_id: e.projectId,
          name: e.name,
          description: e.description,
          api_key: e.apiKey,
          use_v2_feature_versioning: false,
          minimum_change_request_approvals: e.minimumChangeRequestApprovals,
          allow_client_traits: e.allowClientTraits,
          hide_disabled_flags: e.hideDisabledFlags,
          document_revision: 1,
          created_at: e.createdAt,
          updated_at: e.updatedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async update(ex, id, patch) {
      await ex
        .updateTable('environments')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.allowClientTraits !== undefined ? { allow_client_traits: patch.allowClientTraits } : {}),
          ...(patch.hideDisabledFlags !== undefined ? { hide_disabled_flags: patch.hideDisabledFlags } : {}),
          ...(patch.minimumChangeRequestApprovals !== undefined ? { minimum_change_request_approvals: patch.minimumChangeRequestApprovals } : {}),
          updated_at: patch.updatedAt,
        })
        .where('id', '=', id)
        .execute();
    },
    async delete(ex, id) {
      await ex.deleteFrom('environments').where('id', '=', id).execute();
    },

    async featureSeeds(ex, projectId) {
      const features = await ex.selectFrom('features').select(['id', 'initial_value', 'default_enabled']).where('project_id', '=', projectId).orderBy('id').execute();
      if (features.length === 0) return [];
      const options = await ex
        .selectFrom('multivariate_options')
        .select(['id', 'feature_id', 'default_percentage_allocation'])
        .where(
          'feature_id',
          'in',
          features.map((f) => f.id),
        )
        .orderBy('id')
        .execute();
      return features.map((f) => ({
        id: f.id,
        initialValue: f.initial_value,
        defaultEnabled: Boolean(f.default_enabled),
        multivariateOptions: options.filter((o) => o.feature_id === f.id).map((o) => ({ id: o.id, defaultPercentageAllocation: Number(o.default_percentage_allocation) })),
      }));
    },
    async insertDefaultFeatureState(ex, s) {
      await insertFeatureStateRow(ex, v1FeatureStateRow({ ...s, featureSegmentId: null }));
    },

    async listApiKeys(ex, environmentId) {
      return (await ex.selectFrom('environment_api_keys').selectAll().where('environment_id', '=', environmentId).orderBy('id').execute()).map(toApiKey);
    },
    async findApiKey(ex, environmentId, id) {
      const r = await ex.selectFrom('environment_api_keys').selectAll().where('environment_id', '=', environmentId).where('id', '=', id).executeTakeFirst();
      return r && toApiKey(r);
    },
    async insertApiKey(ex, key) {
      const r = await ex
        .insertInto('environment_api_keys')
        .values({ environment_id: key.environmentId, name: key.name, prefix: key.prefix, key_hash: key.keyHash, active: key.active, created_at: key.createdAt, expires_at: key.expiresAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateApiKey(ex, id, patch) {
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('environment_api_keys').set(set).where('id', '=', id).execute();
    },
    async deleteApiKey(ex, id) {
      await ex.deleteFrom('environment_api_keys').where('id', '=', id).execute();
    },
  };
}
