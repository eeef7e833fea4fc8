import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { FlagValueSchema } from './features.contract.js';
import { FEATURE_VALUE_MAX_LENGTH, MAX_ID } from './limits.js';

/** One variant's share of a feature state, in Flagsmith's `MultivariateFeatureStateValueSerializer` shape. */
export const MultivariateStateValueSchema = Type.Object({
  id: Type.Integer(),
  multivariate_feature_option: Type.Integer({ description: 'Id of the multivariate option.' }),
  percentage_allocation: Type.Number({ description: 'Share of identities (0–100) that get this option.' }),
});

/**
 * The multivariate shares as written. The list replaces the state's shares: options left out lose
 * theirs (as Flagsmith's writable nested serializer does). At most 100 in total.
 */
const MultivariateStateValuesInput = Type.Array(
  Type.Object({
    id: Type.Optional(Type.Integer({ maximum: MAX_ID, description: 'Ignored; the option identifies the row.' })),
    multivariate_feature_option: Type.Integer({ minimum: 1, maximum: 2147483647 }),
    percentage_allocation: Type.Number({ minimum: 0, maximum: 100 }),
  }),
  { maxItems: 100, description: 'Replaces the state’s multivariate shares; the total may not exceed 100.' },
);

/** The typed value of a feature state, as `/features/featurestates/` reads and writes it (Flagsmith's `FeatureStateValueSerializer`). */
export const TypedFeatureStateValueSchema = Type.Object({
  type: Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')]),
  string_value: Nullable(Type.String()),
  integer_value: Nullable(Type.Integer()),
  boolean_value: Nullable(Type.Boolean()),
});

const StateCommon = {
  id: Type.Integer(),
  uuid: Type.String(),
  feature: Type.Integer(),
  environment: Type.Integer(),
  identity: Nullable(Type.Integer({ description: 'Always null here: identity overrides have their own routes.' })),
  feature_segment: Nullable(Type.Integer({ description: 'The feature segment of a segment override; null for the environment default.' })),
  enabled: Type.Boolean(),
  multivariate_feature_state_values: Type.Array(MultivariateStateValueSchema),
  version: Nullable(Type.Integer()),
  live_from: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
  change_request: Type.Null({ description: 'Always null (no change requests on v1 saves).' }),
  environment_feature_version: Nullable(Type.String({ description: 'Uuid of the version on a v2 environment.' })),
};

/** A feature state as `/features/featurestates/` shows it (Flagsmith's `WritableNestedFeatureStateSerializer`). */
export const FeatureStateSchema = Type.Object({ ...StateCommon, feature_state_value: TypedFeatureStateValueSchema }, { description: 'An environment default or a segment override.' });
export type FeatureStateWire = Static<typeof FeatureStateSchema>;

/** A feature state as the legacy environment routes show it (Flagsmith's `FeatureStateSerializerBasic`): the value is plain. */
export const EnvironmentFeatureStateSchema = Type.Object({ ...StateCommon, feature_state_value: FlagValueSchema }, { description: 'An environment default feature state.' });
export type EnvironmentFeatureStateWire = Static<typeof EnvironmentFeatureStateSchema>;

/**
 * The value fields are declared without a JSON type on purpose: the server's Ajv coerces types, and a
 * nullable integer or boolean would turn `0` / `false` into null. The service checks them (400 naming
 * the field).
 */
const TypedValueInput = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')], { description: 'Default: inferred from the value given.' })),
  string_value: Type.Optional(Type.Unknown({ maxLength: FEATURE_VALUE_MAX_LENGTH, description: `String (at most ${FEATURE_VALUE_MAX_LENGTH} characters) or null.` })),
  integer_value: Type.Optional(Type.Unknown({ description: 'Integer or null.' })),
  boolean_value: Type.Optional(Type.Unknown({ description: 'Boolean or null.' })),
});

const RawValueInput = Type.Unknown({ maxLength: FEATURE_VALUE_MAX_LENGTH, description: 'The new value: string, integer or boolean (strings are typed by inference, e.g. "42" becomes an integer), or null.' });

const SimpleWrite = {
  enabled: Type.Optional(Type.Boolean()),
  feature_state_value: Type.Optional(TypedValueInput),
  multivariate_feature_state_values: Type.Optional(MultivariateStateValuesInput),
};
const RefId = (description: string) => Type.Integer({ minimum: 1, maximum: 2147483647, description });

/** Body of `createFeatureState`: a segment override for an existing feature segment. */
export const FeatureStateCreateSchema = Type.Object({
  feature: RefId('Id of the feature.'),
  environment: RefId('Id of the environment.'),
  feature_segment: RefId('Id of the feature segment (created with the feature-segments routes) this state overrides for.'),
  environment_feature_version: Type.Optional(
    Nullable(Type.String({ maxLength: 64, description: 'v2: the draft version (uuid) holding the feature segment; a v2 environment refuses a state outside a draft.' })),
  ),
  ...SimpleWrite,
});
export type FeatureStateCreateInput = Static<typeof FeatureStateCreateSchema>;

/** Body of `updateFeatureState` (`feature` and `environment` required, as in Flagsmith) and, all optional, of `partialUpdateFeatureState`. */
export const FeatureStateUpdateSchema = Type.Object({
  feature: RefId('Must be the state’s feature.'),
  environment: RefId('Must be the state’s environment.'),
  feature_segment: Type.Optional(Nullable(RefId('Must be the state’s feature segment when given.'))),
  ...SimpleWrite,
});
export type FeatureStateUpdateInput = Partial<Static<typeof FeatureStateUpdateSchema>>;

const EnvironmentWrite = {
  enabled: Type.Optional(Type.Boolean()),
  feature_state_value: Type.Optional(RawValueInput),
  multivariate_feature_state_values: Type.Optional(MultivariateStateValuesInput),
};

/** Body of the legacy environment feature-state writes. */
export const EnvironmentFeatureStateWriteSchema = Type.Object({ feature: Type.Optional(RefId('Must be the state’s feature when given.')), ...EnvironmentWrite });
export type EnvironmentFeatureStateInput = Static<typeof EnvironmentFeatureStateWriteSchema>;

/** Body of `createSegmentOverride` (Flagsmith's `CreateSegmentOverrideFeatureStateSerializer`). */
export const SegmentOverrideCreateSchema = Type.Object({
  feature_segment: Type.Object({
    segment: RefId('A segment of the environment’s project.'),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Position (others shift); default: after the existing overrides.' })),
  }),
  ...SimpleWrite,
});
export type SegmentOverrideCreateInput = Static<typeof SegmentOverrideCreateSchema>;

const StateId = Type.Object({ id: IdParam });
const EnvKey = Type.Object({ environment_api_key: Type.String({ minLength: 1, maxLength: 100 }) });
const EnvStateId = Type.Object({ environment_api_key: Type.String({ minLength: 1, maxLength: 100 }), id: IdParam });

export const featureStateRoutes = defineRoutes({
  listFeatureStates: {
    method: 'GET',
    url: '/api/v1/features/featurestates/',
    summary: 'Environment defaults and segment overrides of an environment (VIEW_ENVIRONMENT), paginated; identity overrides are not listed.',
    tag: 'feature-states',
    auth: 'admin',
    querystring: Type.Object({
      ...PageQuery,
      environment: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of the environment (required, as in Flagsmith).' }),
      feature: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only states of this feature.' })),
      feature_segment: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only the state of this feature segment.' })),
    }),
    successStatus: 200,
    response: Paginated(FeatureStateSchema),
    errors: ['NOT_FOUND'],
  },
  createFeatureState: {
    method: 'POST',
    url: '/api/v1/features/featurestates/',
    summary: 'Create the segment-override state of a feature segment (UPDATE_FEATURE_STATE or MANAGE_SEGMENT_OVERRIDES).',
    tag: 'feature-states',
    auth: 'admin',
    body: FeatureStateCreateSchema,
    successStatus: 201,
    response: FeatureStateSchema,
    errors: ['PERMISSION_DENIED'],
  },
  getFeatureState: {
    method: 'GET',
    url: '/api/v1/features/featurestates/:id/',
    summary: 'One environment default or segment override (VIEW_ENVIRONMENT).',
    tag: 'feature-states',
    auth: 'admin',
    params: StateId,
    successStatus: 200,
    response: FeatureStateSchema,
    errors: ['NOT_FOUND'],
  },
  updateFeatureState: {
    method: 'PUT',
    url: '/api/v1/features/featurestates/:id/',
    summary: 'Save a feature state (UPDATE_FEATURE_STATE; segment overrides also with MANAGE_SEGMENT_OVERRIDES). Mutates the live state, also on v2 environments.',
    tag: 'feature-states',
    auth: 'admin',
    params: StateId,
    body: FeatureStateUpdateSchema,
    successStatus: 200,
    response: FeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  partialUpdateFeatureState: {
    method: 'PATCH',
    url: '/api/v1/features/featurestates/:id/',
    summary: 'Change some fields of a feature state (as updateFeatureState).',
    tag: 'feature-states',
    auth: 'admin',
    params: StateId,
    body: Type.Partial(FeatureStateUpdateSchema),
    successStatus: 200,
    response: FeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  deleteFeatureState: {
    method: 'DELETE',
    url: '/api/v1/features/featurestates/:id/',
    summary: 'Delete a segment-override state. An environment default cannot be deleted (400): delete the feature instead.',
    tag: 'feature-states',
    auth: 'admin',
    params: StateId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },

  createSegmentOverride: {
    method: 'POST',
    url: '/api/v1/environments/:environment_api_key/features/:feature_pk/create-segment-override/',
    summary:
      'Create a segment override (its feature segment and feature state) in one call (MANAGE_SEGMENT_OVERRIDES). A v2 environment refuses it (400): segment overrides change through versions there.',
    tag: 'feature-states',
    auth: 'admin',
    params: Type.Object({ environment_api_key: Type.String({ minLength: 1, maxLength: 100 }), feature_pk: IdParam }),
    body: SegmentOverrideCreateSchema,
    successStatus: 201,
    response: FeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED', 'VALIDATION_FAILED', 'LIMIT_EXCEEDED'],
  },
  listEnvironmentFeatureStates: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/featurestates/',
    summary: 'Environment defaults of an environment (VIEW_ENVIRONMENT), paginated, with plain values.',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvKey,
    querystring: Type.Object({
      ...PageQuery,
      feature: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only the state of this feature.' })),
      feature_name: Type.Optional(Type.String({ maxLength: 2000, description: 'Only the state of the feature with this name.' })),
    }),
    successStatus: 200,
    response: Paginated(EnvironmentFeatureStateSchema),
    errors: ['NOT_FOUND'],
  },
  createEnvironmentFeatureState: {
    method: 'POST',
    url: '/api/v1/environments/:environment_api_key/featurestates/',
    summary: 'Deprecated in Flagsmith: create the environment default of a feature that has none here (UPDATE_FEATURE_STATE).',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvKey,
    body: Type.Object({ feature: RefId('Id of the feature.'), ...EnvironmentWrite }),
    successStatus: 201,
    response: EnvironmentFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getEnvironmentFeatureState: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/featurestates/:id/',
    summary: 'One environment default of the environment (VIEW_ENVIRONMENT).',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvStateId,
    successStatus: 200,
    response: EnvironmentFeatureStateSchema,
    errors: ['NOT_FOUND'],
  },
  updateEnvironmentFeatureState: {
    method: 'PUT',
    url: '/api/v1/environments/:environment_api_key/featurestates/:id/',
    summary: 'Save an environment default (UPDATE_FEATURE_STATE). Always partial, as in Flagsmith; mutates the live state, also on v2 environments.',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvStateId,
    body: EnvironmentFeatureStateWriteSchema,
    successStatus: 200,
    response: EnvironmentFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  partialUpdateEnvironmentFeatureState: {
    method: 'PATCH',
    url: '/api/v1/environments/:environment_api_key/featurestates/:id/',
    summary: 'Change some fields of an environment default (UPDATE_FEATURE_STATE).',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvStateId,
    body: EnvironmentFeatureStateWriteSchema,
    successStatus: 200,
    response: EnvironmentFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  deleteEnvironmentFeatureState: {
    method: 'DELETE',
    url: '/api/v1/environments/:environment_api_key/featurestates/:id/',
    summary: 'Refused with 400: an environment default lives as long as its feature (delete the feature instead).',
    tag: 'feature-states',
    auth: 'admin',
    params: EnvStateId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
