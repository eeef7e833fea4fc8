import { sql, type Selectable } from 'kysely';
import type { DbExecutor } from '../../platform/database/database.js';
import type { FeatureStatesTable, IdentitiesTable, TraitsTable } from '../../platform/database/database.schema.js';
import type { FeatureStateValueType } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { IdentitiesStore, IdentityOverrideRecord, IdentityRecord, TraitRecord } from './identities.store.js';

function toIdentity(r: Selectable<IdentitiesTable>): IdentityRecord {
  return { id: r.id, uuid: r.uuid, identifier: r.identifier, environmentId: r.environment_id, createdAt: r.created_at };
}

function toTrait(r: Selectable<TraitsTable>): TraitRecord {
  return { id: r.id, identityId: r.identity_id, traitKey: r.trait_key, valueJson: r.value_json, createdAt: r.created_at };
}

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type OverrideRow = Selectable<FeatureStatesTable> & { identifier: string; identity_uuid: string };

function overrideQuery(ex: DbExecutor) {
  return ex
    .selectFrom('feature_states as fs')
    .innerJoin('identities as i', 'i.id', 'fs.identity_id')
    .selectAll('fs')
    .select(['i.identifier', 'i.uuid as identity_uuid'])
    .where('fs.identity_id', 'is not', null);
}

async function withMultivariateValues(ex: DbExecutor, rows: OverrideRow[]): Promise<IdentityOverrideRecord[]> {
  if (rows.length === 0) return [];
  const mv = await ex
    .selectFrom('multivariate_feature_state_values')
    .select(['id', 'feature_state_id', 'multivariate_option_id', 'percentage_allocation'])
    .where('feature_state_id', 'in', rows.map((r) => r.id))
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    uuid: r.uuid,
    featureId: r.feature_id,
    environmentId: r.environment_id,
    // The join on identities guarantees it; the column type is nullable for other kinds of state.
    identityId: Number(r.identity_id),
    identityUuid: r.identity_uuid,
    identifier: r.identifier,
    enabled: Boolean(r.enabled),
    value: {
      type: r.value_type as FeatureStateValueType,
      string_value: r.string_value,
      integer_value: r.integer_value === null ? null : Number(r.integer_value),
      boolean_value: r.boolean_value === null ? null : Boolean(r.boolean_value),
    },
    version: r.version,
    liveFrom: r.live_from,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    multivariateValues: mv
      .filter((m) => m.feature_state_id === r.id)
      .map((m) => ({ id: m.id, optionId: m.multivariate_option_id, percentageAllocation: Number(m.percentage_allocation) })),
  }));
}

export function createSqlIdentitiesStore(): IdentitiesStore {
  return {
    async findIdentity(ex, environmentId, id) {
      const r = await ex.selectFrom('identities').selectAll().where('id', '=', id).where('environment_id', '=', environmentId).executeTakeFirst();
      return r && toIdentity(r);
    },
    async findIdentityByIdentifier(ex, environmentId, identifier) {
      const r = await ex.selectFrom('identities').selectAll().where('environment_id', '=', environmentId).where('identifier', '=', identifier).executeTakeFirst();
      return r && toIdentity(r);
    },
    async listIdentities(ex, environmentId, search, page) {
      let q = ex.selectFrom('identities').where('environment_id', '=', environmentId);
      if (search.exact !== undefined) q = q.where('identifier', '=', search.exact);
      if (search.contains !== undefined) q = q.where(sql<boolean>`lower(identifier) like ${likePattern(search.contains)} escape '\\'`);
      const { n } = await q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
      const rows = await q.selectAll().orderBy('created_at').orderBy('id').offset(page.offset).limit(page.limit).execute();
      return { total: Number(n), items: rows.map(toIdentity) };
    },
    async insertIdentity(ex, identity) {
      const r = await ex
        .insertInto('identities')
        .values({ uuid: identity.uuid, identifier: identity.identifier, environment_id: identity.environmentId, created_at: identity.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async deleteIdentity(ex, id) {
      await ex.deleteFrom('identities').where('id', '=', id).execute();
    },
    async lockIdentity(ex, id) {
      // A no-op write takes the row lock on both dialects, without dialect-specific FOR UPDATE syntax.
      await ex.updateTable('identities').set((eb) => ({ identifier: eb.ref('identifier') })).where('id', '=', id).execute();
    },
    async countOverrides(ex, identityId) {
      const r = await ex.selectFrom('feature_states').select((eb) => eb.fn.countAll<number | string>().as('n')).where('identity_id', '=', identityId).executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async listTraits(ex, identityId) {
      return (await ex.selectFrom('traits').selectAll().where('identity_id', '=', identityId).orderBy('id').execute()).map(toTrait);
    },
    async findTrait(ex, identityId, id) {
      const r = await ex.selectFrom('traits').selectAll().where('id', '=', id).where('identity_id', '=', identityId).executeTakeFirst();
      return r && toTrait(r);
    },
    async findTraitByKey(ex, identityId, traitKey) {
      const r = await ex.selectFrom('traits').selectAll().where('identity_id', '=', identityId).where('trait_key', '=', traitKey).executeTakeFirst();
      return r && toTrait(r);
    },
    async insertTrait(ex, trait) {
      const r = await ex
        .insertInto('traits')
        .values({ identity_id: trait.identityId, trait_key: trait.traitKey, value_json: trait.valueJson, created_at: trait.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateTrait(ex, id, patch) {
      const set = {
        ...(patch.traitKey !== undefined ? { trait_key: patch.traitKey } : {}),
        ...(patch.valueJson !== undefined ? { value_json: patch.valueJson } : {}),
      };
      if (Object.keys(set).length > 0) await ex.updateTable('traits').set(set).where('id', '=', id).execute();
    },
    async deleteTrait(ex, id) {
      await ex.deleteFrom('traits').where('id', '=', id).execute();
    },
    async deleteTraitsByKey(ex, environmentId, traitKey) {
      const r = await ex
        .deleteFrom('traits')
        .where('trait_key', '=', traitKey)
        .where('identity_id', 'in', (eb) => eb.selectFrom('identities').select('id').where('environment_id', '=', environmentId))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async listOverrides(ex, identityId, filter) {
      let q = overrideQuery(ex).where('fs.identity_id', '=', identityId);
      if (filter.featureId !== undefined) q = q.where('fs.feature_id', '=', filter.featureId);
      return withMultivariateValues(ex, await q.orderBy('fs.feature_id').orderBy('fs.id').execute());
    },
    async listOverridesOfEnvironment(ex, environmentId) {
      const rows = await overrideQuery(ex).where('fs.environment_id', '=', environmentId).orderBy('fs.identity_id').orderBy('fs.feature_id').execute();
      return withMultivariateValues(ex, rows);
    },
    async findOverride(ex, identityId, id) {
      const r = await overrideQuery(ex).where('fs.identity_id', '=', identityId).where('fs.id', '=', id).executeTakeFirst();
      return r ? (await withMultivariateValues(ex, [r]))[0] : undefined;
    },
    async findOverrideByFeature(ex, identityId, featureId) {
      const r = await overrideQuery(ex).where('fs.identity_id', '=', identityId).where('fs.feature_id', '=', featureId).executeTakeFirst();
      return r ? (await withMultivariateValues(ex, [r]))[0] : undefined;
    },
    async insertOverride(ex, row) {
      const r = await ex
        .insertInto('feature_states')
        .values({
          uuid: row.uuid,
          feature_id: row.featureId,
          environment_id: row.environmentId,
          identity_id: row.identityId,
          feature_segment_id: null,
          enabled: row.enabled,
          value_type: row.value.type,
          string_value: row.value.string_value,
          integer_value: row.value.integer_value,
          boolean_value: row.value.boolean_value,
          // Identity overrides are live at once and outside versions (v1 and v2), as in Flagsmith.
          version: 1,
          live_from: row.createdAt,
          environment_feature_version_uuid: null,
          created_at: row.createdAt,
          updated_at: row.createdAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async updateOverride(ex, id, patch) {
      await ex
        .updateTable('feature_states')
        .set({
          updated_at: patch.updatedAt,
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.value !== undefined
            ? { value_type: patch.value.type, string_value: patch.value.string_value, integer_value: patch.value.integer_value, boolean_value: patch.value.boolean_value }
            : {}),
        })
        .where('id', '=', id)
        .execute();
    },
    async deleteOverride(ex, id) {
      await ex.deleteFrom('feature_states').where('id', '=', id).execute();
    },
  };
}
