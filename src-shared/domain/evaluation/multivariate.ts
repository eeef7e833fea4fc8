import type { FeatureStateDocument, MultivariateFeatureStateValueDocument } from '../../contracts/sdk/environment-document.schema.js';
import { getHashedPercentageForObjectIds } from './hashing.js';

/** The uuid as a 128-bit integer (Python's `UUID.int`); 0 when it is not a uuid. */
function uuidAsBigInt(uuid: string): bigint {
  const hex = uuid.replace(/-/g, '');
  return /^[0-9a-fA-F]{1,32}$/.test(hex) ? BigInt(`0x${hex}`) : 0n;
}

function orderKey(value: MultivariateFeatureStateValueDocument): bigint {
  return value.id ? BigInt(value.id) : uuidAsBigInt(value.mv_fs_value_uuid);
}

/**
 * The multivariate allocations in the order the engine walks them: by allocation id, or by the uuid
 * read as an integer when the id is missing. The order must never depend on how rows were fetched,
 * or identities would move between variants.
 */
export function sortMultivariateValues(values: readonly MultivariateFeatureStateValueDocument[]): MultivariateFeatureStateValueDocument[] {
  return [...values].sort((a, b) => {
    const x = orderKey(a);
    const y = orderKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** The key a feature state hashes with: its database id, or its uuid when it has none. */
export function featureStateHashKey(featureState: Pick<FeatureStateDocument, 'django_id' | 'featurestate_uuid'>): string {
  return featureState.django_id ? String(featureState.django_id) : featureState.featurestate_uuid;
}

/**
 * The multivariate option an identity gets for a feature state, or null for the control value
 * (the feature state's own value). The identity's percentage is the hash of [feature state key,
 * identity key]; allocations are laid end to end from 0 in `sortMultivariateValues` order and the
 * identity gets the one whose range [start, start + allocation) holds its percentage. Allocations
 * that add up to less than 100 leave the rest on the control value.
 */
export function getMultivariateVariant(
  featureState: Pick<FeatureStateDocument, 'django_id' | 'featurestate_uuid' | 'multivariate_feature_state_values'>,
  identityKey: string,
): MultivariateFeatureStateValueDocument | null {
  const values = featureState.multivariate_feature_state_values;
  if (values.length === 0) return null;
  const percentage = getHashedPercentageForObjectIds([featureStateHashKey(featureState), identityKey]);
  let start = 0;
  for (const value of sortMultivariateValues(values)) {
    const limit = value.percentage_allocation + start;
    if (start <= percentage && percentage < limit) return value;
    start = limit;
  }
  return null;
}
