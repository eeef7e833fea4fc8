import { sql, type Selectable } from 'kysely';
import type { DbExecutor } from '../../platform/database/database.js';
import { insertFeatureStateRow, insertShares, v1FeatureStateRow } from '../../platform/database/feature-state-rows.js';
import type { FeatureStatesTable, FeaturesTable, MultivariateOptionsTable } from '../../platform/database/database.schema.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { FeatureRecord, FeatureStateListFilter, FeatureStateRecord, FeaturesStore, MultivariateOptionRecord, MultivariateStateValueRecord } from './features.store.js';

function toFeature(r: Selectable<FeaturesTable>): FeatureRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    projectId: r.project_id,
    name: r.name,
    type: r.type,
    initialValue: r.initial_value,
    defaultEnabled: Boolean(r.default_enabled),
    description: r.description,
    isArchived: Boolean(r.is_archived),
    isServerKeyOnly: Boolean(r.is_server_key_only),
    createdAt: r.created_at,
  };
}

/** SQLite gives 0/1 for booleans and PostgreSQL strings for bigints; the record has the typed columns. */
function columns(type: string, s: string | null, i: number | string | null, b: boolean | number | null): TypedValueColumns {
  return { type: type as TypedValueColumns['type'], string_value: s, integer_value: i === null ? null : Number(i), boolean_value: b === null ? null : Boolean(b) };
}

function toOption(r: Selectable<MultivariateOptionsTable>): MultivariateOptionRecord {
  return { id: r.id, uuid: r.uuid, featureId: r.feature_id, value: columns(r.type, r.string_value, r.integer_value, r.boolean_value), defaultPercentageAllocation: Number(r.default_percentage_allocation) };
}

function toState(r: Selectable<FeatureStatesTable>, mv: MultivariateStateValueRecord[]): FeatureStateRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    featureId: r.feature_id,
    environmentId: r.environment_id,
    identityId: r.identity_id,
    featureSegmentId: r.feature_segment_id,
    enabled: Boolean(r.enabled),
    value: columns(r.value_type, r.string_value, r.integer_value, r.boolean_value),
    version: r.version === null ? null : Number(r.version),
    liveFrom: r.live_from,
    environmentFeatureVersionUuid: r.environment_feature_version_uuid,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    multivariateValues: mv,
  };
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern with `ESCAPE '\'`. */
function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

async function withMultivariateValues(ex: DbExecutor, rows: Selectable<FeatureStatesTable>[]): Promise<FeatureStateRecord[]> {
  if (rows.length === 0) return [];
  const mv = await ex
    .selectFrom('multivariate_feature_state_values')
    .select(['id', 'feature_state_id', 'multivariate_option_id', 'percentage_allocation'])
    .where(
      'feature_state_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('multivariate_option_id')
    .execute();
  return rows.map((r) =>
    toState(
      r,
      mv.filter((v) => v.feature_state_id === r.id).map((v) => ({ id: v.id, optionId: v.multivariate_option_id, percentageAllocation: Number(v.percentage_allocation) })),
    ),
  );
}

export function createSqlFeaturesStore(): FeaturesStore {
  function states(ex: DbExecutor) {
    // Identity overrides belong to the identities module; this module never shows or changes them.
    return ex.selectFrom('feature_states').where('identity_id', 'is', null);
  }

  function filteredStates(ex: DbExecutor, filter: FeatureStateListFilter) {
    let q = states(ex).where('feature_states.environment_id', '=', filter.environmentId);
    if (filter.featureId !== undefined) q = q.where('feature_states.feature_id', '=', filter.featureId);
    if (filter.featureSegmentId !== undefined) q = q.where('feature_states.feature_segment_id', '=', filter.featureSegmentId);
    if (filter.defaultsOnly) q = q.where('feature_states.feature_segment_id', 'is', null);
    if (filter.liveVersions !== undefined) {
      const uuids = [...filter.liveVersions.values()];
      const versioned = [...filter.liveVersions.keys()];
      q = q.where((eb) =>
        eb.or([
          ...(uuids.length > 0 ? [eb('feature_states.environment_feature_version_uuid', 'in', uuids)] : []),
          eb.and([eb('feature_states.environment_feature_version_uuid', 'is', null), ...(versioned.length > 0 ? [eb('feature_states.feature_id', 'not in', versioned)] : [])]),
        ]),
      );
    }
    if (filter.featureName !== undefined) {
      const name = filter.featureName;
      q = q.where((eb) => eb.exists(eb.selectFrom('features').select('features.id').whereRef('features.id', '=', 'feature_states.feature_id').where('features.name', '=', name)));
    }
    return q;
  }

  return {
    async findFeature(ex, id) {
      const r = await ex.selectFrom('features').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toFeature(r);
    },
    async findFeatureByName(ex, projectId, name) {
      const r = await ex
        .selectFrom('features')
        .selectAll()
        .where('project_id', '=', projectId)
        .where(sql<string>`lower(name)`, '=', name.toLowerCase())
        .executeTakeFirst();
      return r && toFeature(r);
    },
    async listFeatures(ex, projectId, filter, page) {
      let q = ex.selectFrom('features').where('project_id', '=', projectId);
      if (filter.search !== undefined && filter.search !== '') q = q.where(sql<boolean>`lower(name) like ${likeContains(filter.search)} escape '\\'`);
      if (filter.isArchived !== undefined) q = q.where('is_archived', '=', filter.isArchived);
      const count = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      const direction = filter.sortDirection === 'DESC' ? 'desc' : 'asc';
      const rows = await q
        .selectAll()
        .orderBy(filter.sortField === 'name' ? 'name' : 'created_at', direction)
        .orderBy('id', direction)
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      return { total: Number(count.n), items: rows.map(toFeature) };
    },
    async insertFeature(ex, f) {
      const r = await ex
        .insertInto('features')
        .values({
          uuid: f.uuid,
          project_id: f.projectId,
          name: f.name,
          type: f.type,
          initial_value: f.initialValue,
          default_enabled: f.defaultEnabled,
          description: f.description,
          is_archived: f.isArchived,
          is_server_key_only: f.isServerKeyOnly,
          created_at: f.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateFeature(ex, id, patch) {
      const set = {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.type !== undefined ? { type: patch.type } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.isArchived !== undefined ? { is_archived: patch.isArchived } : {}),
        ...(patch.isServerKeyOnly !== undefined ? { is_server_key_only: patch.isServerKeyOnly } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('features').set(set).where('id', '=', id).execute();
    },
    async deleteFeature(ex, id) {
      await ex.deleteFrom('features').where('id', '=', id).execute();
    },

    async listOptions(ex, featureIds) {
      if (featureIds.length === 0) return [];
      const rows = await ex
        .selectFrom('multivariate_options')
        .selectAll()
        .where('feature_id', 'in', [...featureIds])
        .orderBy('id')
        .execute();
      return rows.map(toOption);
    },
    async findOption(ex, id) {
      const r = await ex.selectFrom('multivariate_options').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toOption(r);
    },
    async insertOption(ex, o) {
      const r = await ex
        .insertInto('multivariate_options')
        .values({
          uuid: o.uuid,
          feature_id: o.featureId,
          type: o.value.type,
          string_value: o.value.string_value,
          integer_value: o.value.integer_value,
          boolean_value: o.value.boolean_value,
          default_percentage_allocation: o.defaultPercentageAllocation,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateOption(ex, id, patch) {
      const set = {
        ...(patch.value !== undefined ? { type: patch.value.type, string_value: patch.value.string_value, integer_value: patch.value.integer_value, boolean_value: patch.value.boolean_value } : {}),
        ...(patch.defaultPercentageAllocation !== undefined ? { default_percentage_allocation: patch.defaultPercentageAllocation } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('multivariate_options').set(set).where('id', '=', id).execute();
    },
    async deleteOption(ex, id) {
      await ex.deleteFrom('multivariate_options').where('id', '=', id).execute();
    },

    async findState(ex, id) {
      const r = await states(ex).selectAll().where('id', '=', id).executeTakeFirst();
      return r && (await withMultivariateValues(ex, [r]))[0];
    },
    async listStates(ex, filter, page) {
      const count = await filteredStates(ex, filter)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      const rows = await filteredStates(ex, filter).selectAll('feature_states').orderBy('feature_states.id').limit(page.limit).offset(page.offset).execute();
      return { total: Number(count.n), items: await withMultivariateValues(ex, rows) };
    },
    async environmentDefaults(ex, featureId) {
      const rows = await states(ex).selectAll().where('feature_id', '=', featureId).where('feature_segment_id', 'is', null).orderBy('environment_id').execute();
      return withMultivariateValues(ex, rows);
    },
    async environmentDefault(ex, featureId, environmentId, version) {
      let q = states(ex).selectAll().where('feature_id', '=', featureId).where('environment_id', '=', environmentId).where('feature_segment_id', 'is', null);
      if (version !== undefined) q = q.where('environment_feature_version_uuid', '=', version);
      const r = await q.orderBy('id').executeTakeFirst();
      return r && (await withMultivariateValues(ex, [r]))[0];
    },
    async stateOfFeatureSegment(ex, featureSegmentId) {
      const r = await states(ex).selectAll().where('feature_segment_id', '=', featureSegmentId).orderBy('id').executeTakeFirst();
      return r && (await withMultivariateValues(ex, [r]))[0];
    },
    async insertState(ex, s) {
      return insertFeatureStateRow(ex, v1FeatureStateRow(s));
    },
    async updateState(ex, id, patch) {
      await ex
        .updateTable('feature_states')
        .set({
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.value !== undefined
            ? { value_type: patch.value.type, string_value: patch.value.string_value, integer_value: patch.value.integer_value, boolean_value: patch.value.boolean_value }
            : {}),
          version: sql<number>`coalesce(version, 0) + 1`,
          updated_at: patch.updatedAt,
        })
        .where('id', '=', id)
        .execute();
    },
    async deleteState(ex, id) {
      await ex.deleteFrom('feature_states').where('id', '=', id).execute();
    },
    async replaceMultivariateValues(ex, stateId, values) {
      await ex.deleteFrom('multivariate_feature_state_values').where('feature_state_id', '=', stateId).execute();
      await insertShares(ex, stateId, values);
    },
    async addMultivariateValue(ex, stateId, v) {
      await ex.insertInto('multivariate_feature_state_values').values({ uuid: v.uuid, feature_state_id: stateId, multivariate_option_id: v.optionId, percentage_allocation: v.percentageAllocation }).execute();
    },

    async findFeatureSegment(ex, id) {
      const r = await ex
        .selectFrom('feature_segments as fs')
        .innerJoin('segments as s', 's.id', 'fs.segment_id')
        .select(['fs.id', 'fs.feature_id', 'fs.environment_id', 's.name'])
        .where('fs.id', '=', id)
        .executeTakeFirst();
      return r && { id: r.id, featureId: r.feature_id, environmentId: r.environment_id, segmentName: r.name };
    },
    async overrideCounts(ex, environmentId, featureIds, liveVersions) {
      const out = new Map<number, { segments: number; identities: number }>();
      if (featureIds.length === 0) return out;
      const rows = await ex
        .selectFrom('feature_states')
        .select(['feature_id', 'feature_segment_id', 'identity_id', 'environment_feature_version_uuid'])
        .where('environment_id', '=', environmentId)
        .where('feature_id', 'in', [...featureIds])
        .where((eb) => eb.or([eb('feature_segment_id', 'is not', null), eb('identity_id', 'is not', null)]))
        .execute();
      for (const r of rows) {
        // On v2, drafts and earlier versions carry overrides of their own: only the live version's count.
        if (liveVersions && r.identity_id === null && r.environment_feature_version_uuid !== liveVersions.get(r.feature_id)) continue;
        const c = out.get(r.feature_id) ?? { segments: 0, identities: 0 };
        if (r.identity_id !== null) c.identities += 1;
        else c.segments += 1;
        out.set(r.feature_id, c);
      }
      return out;
    },
  };
}
