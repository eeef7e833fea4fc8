import type { EnvironmentDocument, FeatureStateDocument, SegmentDocument } from '../../src-shared/contracts/sdk/environment-document.schema.js';
import type { ImpactFeatureInput } from '../../src-shared/domain/impact/impact.rules.js';
import type { FlagStateContent, SegmentOverrideContent } from '../../src-shared/domain/versioning/version-content.js';

/** The previewed feature of `impactDocument`. */
export const IMPACT_FEATURE = { id: 10, name: 'checkout', type: 'MULTIVARIATE' as const };

const text = (s: string | null) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });

export function liveState(overrides: Partial<FeatureStateDocument> = {}): FeatureStateDocument {
  return { feature: IMPACT_FEATURE, enabled: false, feature_state_value: null, django_id: 100, featurestate_uuid: 'fs-100', feature_segment: null, multivariate_feature_state_values: [], ...overrides };
}

/** A document with the feature off by default and the given segments (rules and live overrides). */
export function impactDocument(segments: SegmentDocument[] = [], defaults: FeatureStateDocument[] = [liveState()], identityOverrides: EnvironmentDocument['identity_overrides'] = []): EnvironmentDocument {
  return {
    id: 1,
    api_key: 'env-key',
    name: 'Production',
    project: {
      id: 1,
      name: 'Shop',
      organisation: { id: 1, name: 'Acme', feature_analytics: false, stop_serving_flags: false, persist_trait_data: true },
      hide_disabled_flags: false,
      segments,
      enable_realtime_updates: false,
      server_key_only_feature_ids: [],
    },
    feature_states: defaults,
    identity_overrides: identityOverrides,
    allow_client_traits: true,
    hide_sensitive_data: false,
    hide_disabled_flags: null,
    use_identity_composite_key_for_hashing: true,
    use_identity_overrides_in_local_eval: true,
    updated_at: '2026-06-01T12:00:00.000Z',
  };
}

export function flagContent(enabled: boolean, value: string | null = null, weights: Record<string, number> = {}): FlagStateContent {
  return { enabled, value: text(value), multivariateWeights: weights };
}

export function overrideContent(priority: number, enabled: boolean, value: string | null = null, weights: Record<string, number> = {}): SegmentOverrideContent {
  return { ...flagContent(enabled, value, weights), priority };
}

/** The feature's environment default switched to `enabled`, no overrides. */
export function onOffContent(enabled: boolean, segmentOverrides: Record<string, SegmentOverrideContent> = {}): ImpactFeatureInput {
  return { featureId: IMPACT_FEATURE.id, content: { environmentDefault: flagContent(enabled), segmentOverrides }, optionValues: {} };
}
