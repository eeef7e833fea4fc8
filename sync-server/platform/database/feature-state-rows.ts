import type { DbExecutor } from './database.js';
import type { TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';

/*
 * The one writer of a non-identity feature state row with its multivariate shares. Three modules insert
 * such rows (features: v1 states; environments: the defaults of a new environment; versions: the states
 * of a v2 version) and each keeps its own rules about which rows it owns; the row's shape is written here
 * once, so a column added to `feature_states` is filled the same way everywhere.
 */

/** One multivariate option's share in a feature state. */
export interface MultivariateShareRow {
  uuid: string;
  optionId: number;
  percentageAllocation: number;
}

/** A feature state without an identity: an environment default (`featureSegmentId` null) or a segment override. */
export interface FeatureStateRow {
  uuid: string;
  featureId: number;
  environmentId: number;
  featureSegmentId: number | null;
  enabled: boolean;
  value: TypedValueColumns;
  /** Flagsmith's v1 version counter: 1 for a new v1 state, null for a state of a v2 version. */
  version: number | null;
  liveFrom: string | null;
  /** The v2 version the state belongs to; null for a v1 state. */
  environmentFeatureVersionUuid: string | null;
  /** Also the row's `updated_at`: a new row has not changed since. */
  createdAt: string;
  multivariateValues: readonly MultivariateShareRow[];
}

/**
 * A new v1 state: version 1, live since its creation, in no version (Flagsmith's FeatureState defaults).
 */
export function v1FeatureStateRow(s: Omit<FeatureStateRow, 'version' | 'liveFrom' | 'environmentFeatureVersionUuid'>): FeatureStateRow {
  return { ...s, version: 1, liveFrom: s.createdAt, environmentFeatureVersionUuid: null };
}

/**
 * The bucketing seed of the lineage a new state joins (same environment, feature and segment, or the
 * environment default): the seed of the lineage's oldest state, or undefined when the state starts a
 * lineage. Any state of a lineage carries its seed, so the oldest one is enough (ADR 0009).
 */
async function lineageSeed(ex: DbExecutor, s: Pick<FeatureStateRow, 'environmentId' | 'featureId' | 'featureSegmentId'>): Promise<number | undefined> {
  let q = ex
    .selectFrom('feature_states as fs')
    .select('fs.mv_hashing_salt as seed')
    .where('fs.environment_id', '=', s.environmentId)
    .where('fs.feature_id', '=', s.featureId)
    .where('fs.identity_id', 'is', null)
    .where('fs.mv_hashing_salt', 'is not', null);
  if (s.featureSegmentId === null) {
    q = q.where('fs.feature_segment_id', 'is', null);
  } else {
    const segmentOf = ex.selectFrom('feature_segments').select('segment_id').where('id', '=', s.featureSegmentId);
    q = q.innerJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id').where('fseg.segment_id', '=', segmentOf);
  }
  const row = await q.orderBy('fs.id').limit(1).executeTakeFirst();
  return row?.seed ?? undefined;
}

/**
 * Inserts the state and its multivariate shares (in option order, so the engine's walk by share id is
 * the option order in every version); returns the state's id. The state inherits its lineage's
 * bucketing seed, or seeds a new lineage with its own id.
 */
export async function insertFeatureStateRow(ex: DbExecutor, s: FeatureStateRow): Promise<number> {
  const seed = await lineageSeed(ex, s);
  const r = await ex
    .insertInto('feature_states')
    .values({
      uuid: s.uuid,
      feature_id: s.featureId,
      environment_id: s.environmentId,
      identity_id: null,
      feature_segment_id: s.featureSegmentId,
      enabled: s.enabled,
      value_type: s.value.type,
      string_value: s.value.string_value,
      integer_value: s.value.integer_value,
      boolean_value: s.value.boolean_value,
      version: s.version,
      live_from: s.liveFrom,
      environment_feature_version_uuid: s.environmentFeatureVersionUuid,
      mv_hashing_salt: seed ?? null,
      created_at: s.createdAt,
      updated_at: s.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (seed === undefined) await ex.updateTable('feature_states').set({ mv_hashing_salt: r.id }).where('id', '=', r.id).execute();
  await insertShares(ex, r.id, s.multivariateValues);
  return r.id;
}

/** Inserts a state's multivariate shares in option order. */
export async function insertShares(ex: DbExecutor, featureStateId: number, shares: readonly MultivariateShareRow[]): Promise<void> {
  if (shares.length > 0) {
    const r = { id: featureStateId };
    await ex
      .insertInto('multivariate_feature_state_values')
      .values([...shares].sort((a, b) => a.optionId - b.optionId).map((v) => ({ uuid: v.uuid, feature_state_id: r.id, multivariate_option_id: v.optionId, percentage_allocation: v.percentageAllocation })))
      .execute();
  }
}
