import type { DbExecutor, DialectName } from '../../platform/database/database.js';
import { generateUuid } from '../../platform/security/secrets.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { canonicalizeVersionContent, orderedSegmentIds, type FlagStateContent } from '../../../src-shared/domain/versioning/version-content.js';
import { VersionStatus } from '../../../src-shared/contracts/http/versions.contract.js';
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
  async function insertState(ex: DbExecutor, v: { uuid: string; environmentId: number; featureId: number; liveFrom: string }, featureSegmentId: number | null, s: FlagStateContent, now: string) {
    const fs = await ex
      .insertInto('feature_states')
      .values({
        uuid: generateUuid(),
        feature_id: v.featureId,
        environment_id: v.environmentId,
        identity_id: null,
        feature_segment_id: featureSegmentId,
        enabled: s.enabled,
        value_type: s.value.type,
        string_value: s.value.string_value,
        integer_value: s.value.integer_value,
        boolean_value: s.value.boolean_value,
        version: null,
        live_from: v.liveFrom,
        environment_feature_version_uuid: v.uuid,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const weights = Object.entries(s.multivariateWeights);
    if (weights.length > 0) {
      await ex
        .insertInto('multivariate_feature_state_values')
        .values(weights.map(([optionId, pct]) => ({ uuid: generateUuid(), feature_state_id: fs.id, multivariate_option_id: Number(optionId), percentage_allocation: pct })))
        .execute();
    }
  }

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

    async versionContentJson(ex, uuid) {
      const r = await ex.selectFrom('environment_feature_versions').select('content_json').where('uuid', '=', uuid).executeTakeFirst();
      return r?.content_json;
    },

    async insertScheduledVersion(ex, v, content) {
      await ex
        .insertInto('environment_feature_versions')
        .values({
          uuid: v.uuid,
          environment_id: v.environmentId,
          feature_id: v.featureId,
          status: VersionStatus.SCHEDULED,
          description: v.description,
          content_json: v.contentJson,
          content_hash: v.contentHash,
          draft_state: null,
          base_version_uuid: v.baseVersionUuid,
          previous_version_uuid: null,
          conflict_json: null,
          change_request_id: null,
          live_from: v.liveFrom,
          live_seq: null,
          published_at: v.now,
          created_by_user_id: null,
          created_by_api_key_id: null,
          published_by_user_id: null,
          published_by_api_key_id: null,
          created_at: v.now,
          updated_at: v.now,
        })
        .execute();
      const c = canonicalizeVersionContent(content);
      await insertState(ex, v, null, c.environmentDefault, v.now);
      for (const segmentId of orderedSegmentIds(c)) {
        const o = c.segmentOverrides[segmentId]!;
        const fseg = await ex
          .insertInto('feature_segments')
          .values({ uuid: generateUuid(), feature_id: v.featureId, segment_id: Number(segmentId), environment_id: v.environmentId, priority: o.priority, environment_feature_version_uuid: v.uuid, created_at: v.now })
          .returning('id')
          .executeTakeFirstOrThrow();
        await insertState(ex, v, fseg.id, o, v.now);
      }
    },

    async discardHistory(ex, environmentId, featureId, liveVersionUuid, now) {
      if (liveVersionUuid !== undefined) {
        // Everything of the feature that is not the live version: other versions' states and feature
        // segments, and v1 rows that a v2 reader never served.
        const stale = await ex
          .selectFrom('feature_states')
          .select('id')
          .where('environment_id', '=', environmentId)
          .where('feature_id', '=', featureId)
          .where('identity_id', 'is', null)
          .where((eb) => eb.or([eb('environment_feature_version_uuid', 'is', null), eb('environment_feature_version_uuid', '!=', liveVersionUuid)]))
          .execute();
        const ids = stale.map((r) => r.id);
        if (ids.length > 0) {
          await ex.deleteFrom('multivariate_feature_state_values').where('feature_state_id', 'in', ids).execute();
          await ex.deleteFrom('feature_states').where('id', 'in', ids).execute();
        }
        await ex
          .deleteFrom('feature_segments')
          .where('environment_id', '=', environmentId)
          .where('feature_id', '=', featureId)
          .where((eb) => eb.or([eb('environment_feature_version_uuid', 'is', null), eb('environment_feature_version_uuid', '!=', liveVersionUuid)]))
          // A feature segment still used by an identity-less state of the live version stays (none should).
          .where((eb) => eb.not(eb.exists(eb.selectFrom('feature_states as fs').select('fs.id').whereRef('fs.feature_segment_id', '=', 'feature_segments.id'))))
          .execute();
        await ex.updateTable('feature_states').set({ environment_feature_version_uuid: null, version: 1, live_from: now, updated_at: now }).where('environment_feature_version_uuid', '=', liveVersionUuid).execute();
        await ex.updateTable('feature_segments').set({ environment_feature_version_uuid: null }).where('environment_feature_version_uuid', '=', liveVersionUuid).execute();
      } else {
        // No live version: the feature's versioned rows (drafts, scheduled) go; its v1 rows stay.
        const versioned = await ex
          .selectFrom('feature_states')
          .select('id')
          .where('environment_id', '=', environmentId)
          .where('feature_id', '=', featureId)
          .where('environment_feature_version_uuid', 'is not', null)
          .execute();
        const ids = versioned.map((r) => r.id);
        if (ids.length > 0) {
          await ex.deleteFrom('multivariate_feature_state_values').where('feature_state_id', 'in', ids).execute();
          await ex.deleteFrom('feature_states').where('id', 'in', ids).execute();
        }
        await ex.deleteFrom('feature_segments').where('environment_id', '=', environmentId).where('feature_id', '=', featureId).where('environment_feature_version_uuid', 'is not', null).execute();
      }
      await ex.deleteFrom('environment_feature_versions').where('environment_id', '=', environmentId).where('feature_id', '=', featureId).execute();
    },

    async deleteRemainingVersions(ex, environmentId) {
      await ex.deleteFrom('environment_feature_versions').where('environment_id', '=', environmentId).execute();
    },
  };
}
