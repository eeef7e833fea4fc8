import type { DialectName } from '../../platform/database/database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { VersioningStatus } from '../../../src-shared/contracts/http/versioning-migration.contract.js';
import type { MigrationStore, V1Row } from './migration.store.js';

function typed(r: { value_type: string; string_value: string | null; integer_value: number | string | null; boolean_value: boolean | number | null }): TypedValueColumns {
  const type = r.value_type as TypedValueColumns['type'];
  return {
    type,
    string_value: type === 'unicode' ? r.string_value : null,
    integer_value: type === 'int' && r.integer_value !== null ? Number(r.integer_value) : null,
    boolean_value: type === 'bool' && r.boolean_value !== null ? Boolean(r.boolean_value) : null,
  };
}

/** `kind` picks row locking: PostgreSQL locks the environment row; SQLite transactions are serial anyway. */
export function createSqlMigrationStore(kind: DialectName): MigrationStore {
  return {
    async lockEnvironment(ex, environmentId, lock) {
      let q = ex
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .select(['e.id', 'e.project_id', 'e.name', 'e.api_key', 'e.use_v2_feature_versioning', 'e.versioning_status', 'e.versioning_progress_json', 'p.organisation_id'])
        .where('e.id', '=', environmentId);
      if (lock && kind === 'postgres') q = q.forUpdate('e');
      const r = await q.executeTakeFirst();
      return r
        ? {
            id: r.id,
            projectId: r.project_id,
            organisationId: r.organisation_id,
            name: r.name,
            apiKey: r.api_key,
            useV2: Boolean(r.use_v2_feature_versioning),
            status: r.versioning_status as VersioningStatus,
            progressJson: r.versioning_progress_json,
          }
        : undefined;
    },

    async setStatus(ex, environmentId, patch) {
      await ex
        .updateTable('environments')
        .set({
          versioning_status: patch.status,
          versioning_progress_json: patch.progressJson,
          ...(patch.useV2 === undefined ? {} : { use_v2_feature_versioning: patch.useV2 }),
        })
        .where('id', '=', environmentId)
        .execute();
    },

    async featuresAfter(ex, projectId, cursor, limit) {
      const rows = await ex.selectFrom('features').select('id').where('project_id', '=', projectId).where('id', '>', cursor).orderBy('id').limit(limit).execute();
      return rows.map((r) => r.id);
    },

    async countFeaturesAfter(ex, projectId, cursor) {
      const r = await ex.selectFrom('features').select((eb) => eb.fn.countAll<number | string>().as('n')).where('project_id', '=', projectId).where('id', '>', cursor).executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async v1Rows(ex, environmentId, featureId) {
      const rows = await ex
        .selectFrom('feature_states as fs')
        .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
        .select(['fs.id', 'fs.feature_segment_id', 'fs.enabled', 'fs.value_type', 'fs.string_value', 'fs.integer_value', 'fs.boolean_value', 'fs.version', 'fs.live_from', 'fseg.segment_id', 'fseg.priority'])
        .where('fs.environment_id', '=', environmentId)
        .where('fs.feature_id', '=', featureId)
        .where('fs.identity_id', 'is', null)
        .where('fs.environment_feature_version_uuid', 'is', null)
        .orderBy('fs.id')
        .execute();
      const ids = rows.map((r) => r.id);
      const mvs =
        ids.length === 0
          ? []
          : await ex.selectFrom('multivariate_feature_state_values').select(['feature_state_id', 'multivariate_option_id', 'percentage_allocation']).where('feature_state_id', 'in', ids).orderBy('multivariate_option_id').execute();
      return rows.map(
        (r): V1Row => ({
          id: r.id,
          featureSegmentId: r.feature_segment_id,
          segmentId: r.segment_id ?? null,
          priority: r.priority ?? null,
          enabled: Boolean(r.enabled),
          value: typed(r),
          version: r.version === null ? null : Number(r.version),
          liveFrom: r.live_from,
          weights: mvs.filter((m) => m.feature_state_id === r.id).map((m) => ({ optionId: m.multivariate_option_id, percentageAllocation: Number(m.percentage_allocation) })),
        }),
      );
    },

    async deleteStates(ex, ids) {
      if (ids.length === 0) return;
      await ex.deleteFrom('multivariate_feature_state_values').where('feature_state_id', 'in', [...ids]).execute();
      await ex.deleteFrom('feature_states').where('id', 'in', [...ids]).execute();
    },

    async deleteOrphanFeatureSegments(ex, environmentId, featureId) {
      await ex
        .deleteFrom('feature_segments')
        .where('environment_id', '=', environmentId)
        .where('feature_id', '=', featureId)
        .where('environment_feature_version_uuid', 'is', null)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('feature_states as fs').select('fs.id').whereRef('fs.feature_segment_id', '=', 'feature_segments.id'))))
        .execute();
    },
  };
}
