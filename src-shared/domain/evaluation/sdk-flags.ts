import type { SdkFeatureWire, SdkFlagWire, SdkTraitWire } from '../../contracts/sdk/environment-document.schema.js';
import type { EvaluatedFlag, TraitInput } from './feature-states.js';

/** What an evaluated flag needs, besides the document, to become an SDK flag. */
export interface SdkFlagMeta {
  environmentId: number;
  /** The feature as the flags endpoints show it (created_date, description, initial_value...). */
  feature: SdkFeatureWire;
  /** Id of the feature segment of the deciding segment override (source SEGMENT). */
  featureSegmentId?: number | null;
  /** Id of the identity whose override decided the flag (source IDENTITY). */
  identityId?: number | null;
  /** Id of the deciding feature state when it differs from its `django_id` (a bucketing seed). */
  featureStateId?: number | undefined;
}

/**
 * An evaluated flag in the shape of `GET /api/v1/flags/` and the identities answer: `id` is the
 * deciding feature state, `identity` / `feature_segment` say which override decided it (null for
 * the environment default).
 */
export function toSdkFlag(flag: EvaluatedFlag, meta: SdkFlagMeta): SdkFlagWire {
  return {
    id: meta.featureStateId ?? flag.featureState.django_id ?? 0,
    feature: meta.feature,
    feature_state_value: flag.value,
    enabled: flag.enabled,
    environment: meta.environmentId,
    identity: flag.source === 'IDENTITY' ? (meta.identityId ?? null) : null,
    feature_segment: flag.source === 'SEGMENT' ? (meta.featureSegmentId ?? null) : null,
  };
}

/**
 * Traits in the identities answer, with their values as stored (Flagsmith answers a trait sent as "42"
 * with the string "42"; only evaluation reads it as a number).
 */
export function toSdkTraits(traits: readonly TraitInput[]): SdkTraitWire[] {
  return traits.map((t) => ({ trait_key: t.trait_key, trait_value: asWireValue(t.trait_value) }));
}

function asWireValue(value: unknown): SdkTraitWire['trait_value'] {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}
