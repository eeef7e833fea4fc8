import { featureStateValueOf, type TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import type { FeatureWire, MultivariateOptionWire } from '../../../src-shared/contracts/http/features.contract.js';
import type { EnvironmentFeatureStateWire, FeatureStateWire } from '../../../src-shared/contracts/http/feature-states.contract.js';
import type { FeatureRecord, FeatureStateRecord, MultivariateOptionRecord } from './features.store.js';

export function plainValue(v: TypedValueColumns) {
  return featureStateValueOf({ value_type: v.type, string_value: v.string_value, integer_value: v.integer_value, boolean_value: v.boolean_value });
}

export function toOptionWire(o: MultivariateOptionRecord): MultivariateOptionWire {
  return {
    id: o.id,
    uuid: o.uuid,
    type: o.value.type,
    string_value: o.value.string_value,
    integer_value: o.value.integer_value,
    boolean_value: o.value.boolean_value,
    default_percentage_allocation: o.defaultPercentageAllocation,
    feature: o.featureId,
  };
}

function stateCommon(s: FeatureStateRecord) {
  return {
    id: s.id,
    uuid: s.uuid,
    feature: s.featureId,
    environment: s.environmentId,
    identity: s.identityId,
    feature_segment: s.featureSegmentId,
    enabled: s.enabled,
    multivariate_feature_state_values: s.multivariateValues.map((v) => ({ id: v.id, multivariate_feature_option: v.optionId, percentage_allocation: v.percentageAllocation })),
    version: s.version,
    live_from: s.liveFrom,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    change_request: null,
    environment_feature_version: s.environmentFeatureVersionUuid,
  };
}

/** The `/features/featurestates/` shape: the value as its typed columns. */
export function toFeatureStateWire(s: FeatureStateRecord): FeatureStateWire {
  return { ...stateCommon(s), feature_state_value: { ...s.value } };
}

/** The legacy environment-route shape: the value as a plain JSON value. */
export function toEnvironmentFeatureStateWire(s: FeatureStateRecord): EnvironmentFeatureStateWire {
  return { ...stateCommon(s), feature_state_value: plainValue(s.value) };
}

export interface FeatureListExtras {
  /** Present when the list was asked for in the context of an environment. */
  environment?: { state: FeatureStateRecord | undefined; segments: number; identities: number };
}

export function toFeatureWire(f: FeatureRecord, options: MultivariateOptionRecord[], extras: FeatureListExtras = {}): FeatureWire {
  const env = extras.environment;
  return {
    id: f.id,
    uuid: f.uuid,
    name: f.name,
    type: f.type,
    default_enabled: f.defaultEnabled,
    initial_value: f.initialValue,
    created_date: f.createdAt,
    description: f.description,
    tags: [],
    multivariate_options: options.filter((o) => o.featureId === f.id).map(toOptionWire),
    is_archived: f.isArchived,
    is_server_key_only: f.isServerKeyOnly,
    owners: [],
    group_owners: [],
    project: f.projectId,
    num_segment_overrides: env?.segments ?? 0,
    num_identity_overrides: env ? env.identities : null,
    ...(env
      ? {
          environment_feature_state: env.state
            ? {
                id: env.state.id,
                enabled: env.state.enabled,
                feature_state_value: plainValue(env.state.value),
                environment: env.state.environmentId,
                feature: env.state.featureId,
                feature_segment: null,
                identity: null,
                updated_at: env.state.updatedAt,
              }
            : null,
        }
      : {}),
  };
}
