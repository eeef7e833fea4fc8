import type { Selectable } from 'kysely';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { EnvironmentFeatureVersionsTable } from '../../platform/database/database.schema.js';
import { insertFeatureStateRow, insertShares } from '../../platform/database/feature-state-rows.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { featureStateValueOf, type TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { VersionRecord, VersionStateRow, VersionsStore, VersionSummary, V1StateRow } from './versions.store.js';
import { selectLiveVersionUuids } from './live-versions.sql.js';

type Row = Selectable<EnvironmentFeatureVersionsTable>;

/** Every column but the content and the draft document, which a list never shows. */
const SUMMARY_COLUMNS = [
  'id', 'uuid', 'environment_id', 'feature_id', 'status', 'description', 'base_version_uuid', 'previous_version_uuid', 'conflict_json', 'change_request_id', 'live_from', 'live_seq',
  'published_at', 'created_by_user_id', 'created_by_api_key_id', 'published_by_user_id', 'published_by_api_key_id', 'created_at', 'updated_at',
] as const;

function toSummary(r: Omit<Row, 'content_json' | 'content_hash' | 'draft_state'>): VersionSummary {
  return {
    id: r.id,
    uuid: r.uuid,
    environmentId: r.environment_id,
    featureId: r.feature_id,
    status: r.status,
    description: r.description,
    baseVersionUuid: r.base_version_uuid,
    previousVersionUuid: r.previous_version_uuid,
    conflictJson: r.conflict_json,
    liveFrom: r.live_from,
    liveSeq: r.live_seq,
    publishedAt: r.published_at,
    createdByUserId: r.created_by_user_id,
    createdByApiKeyId: r.created_by_api_key_id,
    publishedByUserId: r.published_by_user_id,
    publishedByApiKeyId: r.published_by_api_key_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRecord(r: Row): VersionRecord {
  return { ...toSummary(r), contentJson: r.content_json, contentHash: r.content_hash, draftState: r.draft_state };
}

function columnsOf(v: Partial<VersionRecord>) {
  const map: Record<string, unknown> = {
    status: v.status,
    description: v.description,
    content_json: v.contentJson,
    content_hash: v.contentHash,
    draft_state: v.draftState,
    base_version_uuid: v.baseVersionUuid,
    previous_version_uuid: v.previousVersionUuid,
    conflict_json: v.conflictJson,
    live_from: v.liveFrom,
    live_seq: v.liveSeq,
    published_at: v.publishedAt,
    created_by_user_id: v.createdByUserId,
    created_by_api_key_id: v.createdByApiKeyId,
    published_by_user_id: v.publishedByUserId,
    published_by_api_key_id: v.publishedByApiKeyId,
    updated_at: v.updatedAt,
  };
  return Object.fromEntries(Object.entries(map).filter(([, x]) => x !== undefined));
}

function typed(r: { value_type: string; string_value: string | null; integer_value: number | string | null; boolean_value: boolean | number | null }): TypedValueColumns {
  const type = r.value_type as TypedValueColumns['type'];
  return {
    type,
    string_value: type === 'unicode' ? r.string_value : null,
    integer_value: type === 'int' && r.integer_value !== null ? Number(r.integer_value) : null,
    boolean_value: type === 'bool' && r.boolean_value !== null ? Boolean(r.boolean_value) : null,
  };
}

function isSameValue(a: TypedValueColumns, b: TypedValueColumns): boolean {
  return a.type === b.type && featureStateValueOf({ value_type: a.type, ...a }) === featureStateValueOf({ value_type: b.type, ...b });
}

export function createSqlVersionsStore(db: Db): VersionsStore {
  async function mvValues(ex: DbExecutor, stateIds: number[]) {
    if (stateIds.length === 0) return [];
    return ex
      .selectFrom('multivariate_feature_state_values')
      .select(['id', 'feature_state_id', 'multivariate_option_id', 'percentage_allocation'])
      .where('feature_state_id', 'in', stateIds)
      .orderBy('multivariate_option_id')
      .orderBy('id')
      .execute();
  }

  async function replaceWeights(ex: DbExecutor, stateId: number, current: { id: number; optionId: number; percentageAllocation: number }[], wanted: Map<number, number>): Promise<boolean> {
    let changed = false;
    const have = new Map(current.map((m) => [m.optionId, m]));
    if ([...wanted.keys()].some((optionId) => !have.has(optionId))) {
      // A share added: all are rewritten in option order, so the engine walks them in that order (ADR 0011).
      await ex.deleteFrom('multivariate_feature_state_values').where('feature_state_id', '=', stateId).execute();
      await insertShares(ex, stateId, [...wanted].map(([optionId, pct]) => ({ uuid: generateUuid(), optionId, percentageAllocation: pct })));
      return true;
    }
    for (const m of current) {
      if (!wanted.has(m.optionId)) {
        await ex.deleteFrom('multivariate_feature_state_values').where('id', '=', m.id).execute();
        changed = true;
      }
    }
    for (const [optionId, pct] of wanted) {
      const m = have.get(optionId);
      if (!m) {
        await ex.insertInto('multivariate_feature_state_values').values({ uuid: generateUuid(), feature_state_id: stateId, multivariate_option_id: optionId, percentage_allocation: pct }).execute();
        changed = true;
      } else if (m.percentageAllocation !== pct) {
        await ex.updateTable('multivariate_feature_state_values').set({ percentage_allocation: pct }).where('id', '=', m.id).execute();
        changed = true;
      }
    }
    return changed;
  }

  const store: VersionsStore = {
    async insertVersion(ex, v) {
      const r = await ex
        .insertInto('environment_feature_versions')
        .values({ uuid: v.uuid, environment_id: v.environmentId, feature_id: v.featureId, created_at: v.createdAt, ...columnsOf(v) } as never)
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },

    async findVersion(ex, uuid) {
      const r = await ex.selectFrom('environment_feature_versions').selectAll().where('uuid', '=', uuid).executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async lockVersion(ex, uuid, options = {}) {
      let q = ex.selectFrom('environment_feature_versions').selectAll().where('uuid', '=', uuid);
      if (db.kind === 'postgres') q = options.skipLocked ? q.forUpdate().skipLocked() : q.forUpdate();
      const r = await q.executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async updateVersion(ex, id, patch) {
      const set = columnsOf(patch);
      if (Object.keys(set).length === 0) return;
      await ex.updateTable('environment_feature_versions').set(set as never).where('id', '=', id).execute();
    },

    async setChangeRequest(ex, uuid, changeRequestId) {
      await ex.updateTable('environment_feature_versions').set({ change_request_id: changeRequestId }).where('uuid', '=', uuid).execute();
    },

    async deleteVersion(ex, uuid) {
      // Feature states go with their feature segment (FK cascade); the environment default has none.
      await ex.deleteFrom('feature_states').where('environment_feature_version_uuid', '=', uuid).execute();
      await ex.deleteFrom('feature_segments').where('environment_feature_version_uuid', '=', uuid).execute();
      await ex.deleteFrom('environment_feature_versions').where('uuid', '=', uuid).execute();
    },

    async listVersions(ex, environmentId, featureId, filter, page) {
      let q = ex.selectFrom('environment_feature_versions').where('environment_id', '=', environmentId).where('feature_id', '=', featureId);
      if (filter.isLive === true) q = q.where('status', '=', 'published').where('live_from', '<=', filter.now);
      if (filter.isLive === false) q = q.where((eb) => eb.or([eb('status', '!=', 'published'), eb('live_from', '>', filter.now)]));
      if (filter.published === true) q = q.where('status', 'in', ['published', 'scheduled']);
      if (filter.published === false) q = q.where('status', 'in', ['draft', 'conflict']);
      const visibleFrom = filter.visibleFrom;
      // `isVersionVisible` (src-shared/domain/plan-limits) in SQL: drafts, the window, and the live version.
      if (visibleFrom) {
        const always = filter.alwaysUuid;
        q = q.where((eb) => eb.or([eb('live_from', 'is', null), eb('live_from', '>=', visibleFrom), ...(always ? [eb('uuid', '=', always)] : [])]));
      }
      // The page first: one that is not full gives the total without counting (most features have few
      // versions); a full one is counted on the (environment_id, feature_id, created_at) index alone.
      const rows = await q.select(SUMMARY_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute();
      const isPartialPage = rows.length < page.limit && (rows.length > 0 || page.offset === 0);
      const total = isPartialPage ? page.offset + rows.length : Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      return { total, items: rows.map(toSummary) };
    },

    async liveVersion(ex, environmentId, featureId, now) {
      const r = await ex
        .selectFrom('environment_feature_versions')
        .selectAll()
        .where('environment_id', '=', environmentId)
        .where('feature_id', '=', featureId)
        .where('status', '=', 'published')
        .where('live_from', '<=', now)
        .orderBy('live_from', 'desc')
        .orderBy('live_seq', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async liveVersionUuids(ex, environmentId, now) {
      const rows = await ex
        .selectFrom('environment_feature_versions')
        .select(['feature_id', 'uuid'])
        .where('uuid', 'in', selectLiveVersionUuids(ex, environmentId, now))
        .execute();
      return new Map(rows.map((r) => [r.feature_id, r.uuid]));
    },

    async liveOverrideCounts(ex, environmentId, now) {
      const rows = await ex
        .selectFrom('feature_segments')
        .select(['feature_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('environment_id', '=', environmentId)
        .where('environment_feature_version_uuid', 'in', selectLiveVersionUuids(ex, environmentId, now))
        .groupBy('feature_id')
        .execute();
      return new Map(rows.map((r) => [r.feature_id, Number(r.n)]));
    },

    async nextLiveSeq(ex, environmentId, featureId) {
      const r = await ex
        .selectFrom('environment_feature_versions')
        .select((eb) => eb.fn.max('live_seq').as('m'))
        .where('environment_id', '=', environmentId)
        .where('feature_id', '=', featureId)
        .executeTakeFirst();
      return Number(r?.m ?? 0) + 1;
    },

    async dueScheduledVersions(ex, now, limit) {
      const rows = await ex
        .selectFrom('environment_feature_versions')
        .select('uuid')
        .where('status', '=', 'scheduled')
        .where('live_from', '<=', now)
        .orderBy('live_from')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.uuid);
    },

    async oldestDueLiveFrom(ex, now) {
      const r = await ex
        .selectFrom('environment_feature_versions')
        .select((eb) => eb.fn.min('live_from').as('oldest'))
        .where('status', '=', 'scheduled')
        .where('live_from', '<=', now)
        .executeTakeFirst();
      return r?.oldest ?? undefined;
    },

    async hasVersion(ex, environmentId, featureId) {
      const r = await ex.selectFrom('environment_feature_versions').select('id').where('environment_id', '=', environmentId).where('feature_id', '=', featureId).limit(1).executeTakeFirst();
      return r !== undefined;
    },

    async versionStates(ex, versionUuid) {
      const rows = await ex
        .selectFrom('feature_states as fs')
        .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
        .select([
          'fs.id', 'fs.uuid', 'fs.feature_id', 'fs.environment_id', 'fs.feature_segment_id', 'fs.enabled', 'fs.value_type', 'fs.string_value', 'fs.integer_value', 'fs.boolean_value',
          'fs.live_from', 'fs.created_at', 'fs.updated_at', 'fseg.uuid as fseg_uuid', 'fseg.segment_id', 'fseg.priority',
        ])
        .where('fs.environment_feature_version_uuid', '=', versionUuid)
        .where('fs.identity_id', 'is', null)
        .execute();
      const mvs = await mvValues(ex, rows.map((r) => r.id));
      const out: VersionStateRow[] = rows.map((r) => ({
        id: r.id,
        uuid: r.uuid,
        featureId: r.feature_id,
        environmentId: r.environment_id,
        featureSegmentId: r.feature_segment_id,
        featureSegmentUuid: r.fseg_uuid ?? null,
        segmentId: r.segment_id ?? null,
        priority: r.priority ?? null,
        enabled: Boolean(r.enabled),
        value: typed(r),
        liveFrom: r.live_from,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        multivariateValues: mvs.filter((m) => m.feature_state_id === r.id).map((m) => ({ id: m.id, optionId: m.multivariate_option_id, percentageAllocation: Number(m.percentage_allocation) })),
      }));
      return out.sort((a, b) => (a.segmentId === null ? -1 : (a.priority ?? 0)) - (b.segmentId === null ? -1 : (b.priority ?? 0)) || (a.segmentId ?? 0) - (b.segmentId ?? 0));
    },

    async syncVersionStates(ex, version, states, now) {
      const current = await store.versionStates(ex, version.uuid);
      const bySegment = new Map(current.map((s) => [s.segmentId, s]));
      const wanted = new Set(states.map((s) => s.segmentId));
      let changed = false;
      for (const s of current) {
        if (wanted.has(s.segmentId)) continue;
        if (s.featureSegmentId !== null) await ex.deleteFrom('feature_segments').where('id', '=', s.featureSegmentId).execute();
        else await ex.deleteFrom('feature_states').where('id', '=', s.id).execute();
        changed = true;
      }
      for (const w of states) {
        const have = bySegment.get(w.segmentId);
        if (!have) {
          let featureSegmentId: number | null = null;
          if (w.segmentId !== null) {
            const fseg = await ex
              .insertInto('feature_segments')
              .values({ uuid: generateUuid(), feature_id: version.featureId, segment_id: w.segmentId, environment_id: version.environmentId, priority: w.priority, environment_feature_version_uuid: version.uuid, created_at: now })
              .returning('id')
              .executeTakeFirstOrThrow();
            featureSegmentId = fseg.id;
          }
          await insertFeatureStateRow(ex, {
            uuid: generateUuid(),
            featureId: version.featureId,
            environmentId: version.environmentId,
            featureSegmentId,
            enabled: w.enabled,
            value: w.value,
            version: null,
            liveFrom: version.liveFrom,
            environmentFeatureVersionUuid: version.uuid,
            createdAt: now,
            multivariateValues: [...w.weights].map(([optionId, pct]) => ({ uuid: generateUuid(), optionId, percentageAllocation: pct })),
          });
          changed = true;
          continue;
        }
        let rowChanged = false;
        if (have.featureSegmentId !== null && have.priority !== w.priority) {
          await ex.updateTable('feature_segments').set({ priority: w.priority }).where('id', '=', have.featureSegmentId).execute();
          rowChanged = true;
        }
        if (have.enabled !== w.enabled || !isSameValue(have.value, w.value)) {
          const valueColumns = { value_type: w.value.type, string_value: w.value.string_value, integer_value: w.value.integer_value, boolean_value: w.value.boolean_value };
          await ex.updateTable('feature_states').set({ enabled: w.enabled, ...valueColumns }).where('id', '=', have.id).execute();
          rowChanged = true;
        }
        if (await replaceWeights(ex, have.id, have.multivariateValues, w.weights)) rowChanged = true;
        if (rowChanged) {
          await ex.updateTable('feature_states').set({ updated_at: now }).where('id', '=', have.id).execute();
          changed = true;
        }
      }
      return changed;
    },

    async setStatesLiveFrom(ex, versionUuid, liveFrom) {
      await ex.updateTable('feature_states').set({ live_from: liveFrom }).where('environment_feature_version_uuid', '=', versionUuid).execute();
    },

    async v1States(ex, environmentId, featureId) {
      let q = ex
        .selectFrom('feature_states as fs')
        .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
        .select(['fs.id', 'fs.feature_id', 'fs.feature_segment_id', 'fs.enabled', 'fs.value_type', 'fs.string_value', 'fs.integer_value', 'fs.boolean_value', 'fseg.segment_id', 'fseg.priority'])
        .where('fs.environment_id', '=', environmentId)
        .where('fs.identity_id', 'is', null)
        .where('fs.environment_feature_version_uuid', 'is', null);
      if (featureId !== undefined) q = q.where('fs.feature_id', '=', featureId);
      const rows = await q.orderBy('fs.id').execute();
      const mvs = await mvValues(ex, rows.map((r) => r.id));
      return rows.map(
        (r): V1StateRow => ({
          id: r.id,
          featureId: r.feature_id,
          featureSegmentId: r.feature_segment_id,
          segmentId: r.segment_id ?? null,
          priority: r.priority ?? null,
          enabled: Boolean(r.enabled),
          value: typed(r),
          weights: mvs.filter((m) => m.feature_state_id === r.id).map((m) => ({ optionId: m.multivariate_option_id, percentageAllocation: Number(m.percentage_allocation) })),
        }),
      );
    },

    async attachToVersion(ex, stateIds, featureSegmentIds, versionUuid, liveFrom) {
      if (stateIds.length > 0) await ex.updateTable('feature_states').set({ environment_feature_version_uuid: versionUuid, live_from: liveFrom }).where('id', 'in', stateIds).execute();
      if (featureSegmentIds.length > 0) await ex.updateTable('feature_segments').set({ environment_feature_version_uuid: versionUuid }).where('id', 'in', featureSegmentIds).execute();
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

    async deleteVersionsOfEnvironment(ex, environmentId) {
      await ex.deleteFrom('environment_feature_versions').where('environment_id', '=', environmentId).execute();
    },

    async findFeature(ex, id) {
      const r = await ex.selectFrom('features').select(['id', 'project_id', 'name', 'default_enabled', 'initial_value']).where('id', '=', id).executeTakeFirst();
      return r ? { id: r.id, projectId: r.project_id, name: r.name, defaultEnabled: Boolean(r.default_enabled), initialValue: r.initial_value } : undefined;
    },

    async featuresOfProject(ex, projectId) {
      const rows = await ex.selectFrom('features').select(['id', 'project_id', 'name', 'default_enabled', 'initial_value']).where('project_id', '=', projectId).orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, projectId: r.project_id, name: r.name, defaultEnabled: Boolean(r.default_enabled), initialValue: r.initial_value }));
    },

    async findEnvironment(ex, id) {
      const r = await ex
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .select(['e.id', 'e.project_id', 'e.name', 'e.api_key', 'e.use_v2_feature_versioning', 'p.organisation_id'])
        .where('e.id', '=', id)
        .executeTakeFirst();
      return r ? { id: r.id, projectId: r.project_id, organisationId: r.organisation_id, name: r.name, apiKey: r.api_key, isV2: Boolean(r.use_v2_feature_versioning) } : undefined;
    },

    async segments(ex, ids) {
      if (ids.length === 0) return new Map();
      const rows = await ex.selectFrom('segments').select(['id', 'name', 'project_id', 'feature_id']).where('id', 'in', [...ids]).execute();
      return new Map(rows.map((r) => [r.id, { name: r.name, projectId: r.project_id, featureId: r.feature_id }]));
    },

    async options(ex, featureId) {
      const rows = await ex.selectFrom('multivariate_options').select(['id', 'type', 'string_value', 'integer_value', 'boolean_value']).where('feature_id', '=', featureId).execute();
      return new Map(rows.map((r) => [r.id, String(featureStateValueOf(r))]));
    },

    async userEmail(ex, userId) {
      const r = await ex.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      return r?.email;
    },

    async apiKey(ex, apiKeyId) {
      const r = await ex.selectFrom('organisation_api_keys').select(['name', 'organisation_id', 'is_admin']).where('id', '=', apiKeyId).executeTakeFirst();
      return r ? { name: r.name, organisationId: r.organisation_id, isAdmin: Boolean(r.is_admin) } : undefined;
    },
  };
  return store;
}

