import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { FEATURE_VALUE_MAX_LENGTH, TRAIT_VALUE_MAX_LENGTH } from './limits.js';

// Identities of an environment, their traits and their feature-state overrides: Flagsmith's core
// (non-edge) identities API, `api/environments/identities/`.

/** An identity, in Flagsmith's `IdentitySerializer` shape. */
export const IdentitySchema = Type.Object(
  {
    id: Type.Integer(),
    identifier: Type.String({ description: 'The user key the SDKs identify with; unique within the environment.' }),
    environment: Type.Integer({ description: 'Id of the environment the identity belongs to.' }),
  },
  { description: 'A user of an environment, as known from SDK identify calls or created in the dashboard.' },
);
export type IdentityWire = Static<typeof IdentitySchema>;

/** Trait value types, as Flagsmith names them (`core.constants`). */
export const TraitValueType = { STRING: 'unicode', INTEGER: 'int', FLOAT: 'float', BOOLEAN: 'bool' } as const;
export type TraitValueType = (typeof TraitValueType)[keyof typeof TraitValueType];

/**
 * A trait, in Flagsmith's Admin `TraitSerializer` shape (one typed column filled, chosen by
 * `value_type`), plus `trait_value`, the same value ready to use (Flagdesk's addition).
 */
export const TraitSchema = Type.Object(
  {
    id: Type.Integer(),
    trait_key: Type.String(),
    value_type: Type.Union(Object.values(TraitValueType).map((t) => Type.Literal(t)), { description: 'Which of the value columns holds the value.' }),
    integer_value: Nullable(Type.Integer()),
    string_value: Nullable(Type.String()),
    boolean_value: Nullable(Type.Boolean()),
    float_value: Nullable(Type.Number()),
    trait_value: Type.Union([Type.String(), Type.Number(), Type.Boolean()], { description: 'The typed value (string, integer, float or boolean).' }),
    created_date: Timestamp,
  },
  { description: 'A trait of an identity: a typed key/value that segment rules match on.' },
);
export type TraitWire = Static<typeof TraitSchema>;

// Values are validated by the service, not by schema type unions: Fastify's Ajv coerces types
// (`coerceTypes`), and inside an `anyOf` it would turn `0`/`false` into null or `null` into "".
// A string in one of them is bounded here (so the OpenAPI document shows it); the service checks the rest.
const AnyValue = (description: string, maxLength: number = TRAIT_VALUE_MAX_LENGTH) => Type.Unknown({ description, maxLength });

const TraitWrite = {
  trait_key: Type.String({ minLength: 1, maxLength: 200, description: 'Trait name; unique per identity.' }),
  trait_value: Type.Optional(AnyValue('The value (string, number or boolean); its JSON type decides `value_type`. Alternative to `value_type` plus a value column.')),
  value_type: Type.Optional(Type.Union(Object.values(TraitValueType).map((t) => Type.Literal(t)), { description: 'With the matching column, as Flagsmith’s TraitSerializer takes it; default `unicode`.' })),
  integer_value: Type.Optional(AnyValue('Value when `value_type` is `int`.')),
  string_value: Type.Optional(AnyValue('Value when `value_type` is `unicode` (at most 2000 characters).')),
  boolean_value: Type.Optional(AnyValue('Value when `value_type` is `bool`.')),
  float_value: Type.Optional(AnyValue('Value when `value_type` is `float`.')),
};

/** A multivariate value of a feature state (read-only here: identity overrides carry their own value). */
const MultivariateFeatureStateValueSchema = Type.Object({
  id: Type.Integer(),
  multivariate_feature_option: Type.Integer(),
  percentage_allocation: Type.Number(),
});

const IdentityOverrideFields = {
  id: Type.Integer(),
  uuid: Type.String(),
  feature: Type.Integer({ description: 'Id of the overridden feature.' }),
  environment: Type.Integer(),
  feature_segment: Type.Null({ description: 'Always null: an identity override is not a segment override.' }),
  enabled: Type.Boolean(),
  feature_state_value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'The typed value (string, integer or boolean), or null.' }),
  multivariate_feature_state_values: Type.Array(MultivariateFeatureStateValueSchema),
  version: Nullable(Type.Integer()),
  live_from: Nullable(Timestamp),
  change_request: Type.Null({ description: 'Identity overrides never go through change requests.' }),
  environment_feature_version: Type.Null({ description: 'Identity overrides live outside versions, on v1 and v2 environments alike.' }),
  created_at: Timestamp,
  updated_at: Timestamp,
};

/** An identity override, in Flagsmith's `FeatureStateSerializerBasic` shape. */
export const IdentityFeatureStateSchema = Type.Object(
  { ...IdentityOverrideFields, identity: Type.Integer({ description: 'Id of the identity.' }) },
  { description: 'A feature state that applies to one identity only, ahead of segment overrides and the environment default.' },
);
export type IdentityFeatureStateWire = Static<typeof IdentityFeatureStateSchema>;

/** An identity override in lists, in Flagsmith's `FeatureStateSerializerWithIdentity` shape. */
export const IdentityFeatureStateListItemSchema = Type.Object(
  { ...IdentityOverrideFields, identity: Type.Object({ id: Type.Integer(), identifier: Type.String() }) },
  { description: 'An identity override with its identity’s identifier.' },
);
export type IdentityFeatureStateListItemWire = Static<typeof IdentityFeatureStateListItemSchema>;

const FlagValueOut = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'The typed value (string, integer or boolean), or null.' });

/** One feature's effective state for an identity, in Flagsmith's `IdentityAllFeatureStatesSerializer` shape. */
export const IdentityAllFeatureStateSchema = Type.Object(
  {
    feature: Type.Object({ id: Type.Integer(), name: Type.String(), type: Type.String({ description: 'STANDARD or MULTIVARIATE.' }) }),
    enabled: Type.Boolean(),
    feature_state_value: Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'The value the identity gets (its multivariate variant where one applies).' }),
    overridden_by: Nullable(Type.Union([Type.Literal('SEGMENT'), Type.Literal('IDENTITY')], { description: 'What decided the state; null for the environment default.' })),
    segment: Nullable(Type.Object({ id: Type.Integer(), name: Type.String() }, { description: 'The segment whose override decided the state.' })),
    multivariate_feature_state_values: Type.Array(
      Type.Object({ multivariate_feature_option: Type.Object({ value: FlagValueOut }), percentage_allocation: Type.Number() }),
    ),
  },
  { description: 'A feature as the identity sees it: its identity override, else the winning segment override, else the environment default.' },
);
export type IdentityAllFeatureStateWire = Static<typeof IdentityAllFeatureStateSchema>;

const OverrideWrite = {
  enabled: Type.Optional(Type.Boolean({ description: 'Default false.' })),
  feature_state_value: Type.Optional(AnyValue('String, integer, boolean or null; a string of digits or `true`/`false` is stored typed, as Flagsmith does.', FEATURE_VALUE_MAX_LENGTH)),
};

const EnvironmentKey = { environment_api_key: Type.String({ minLength: 1, maxLength: 100, description: 'The environment’s client-side key.' }) };
const IdentityPk = { identity_pk: IdParam };
const IdentityParams = Type.Object({ ...EnvironmentKey, id: IdParam });
const NestedParams = Type.Object({ ...EnvironmentKey, ...IdentityPk });
const NestedItemParams = Type.Object({ ...EnvironmentKey, ...IdentityPk, id: IdParam });

export const identityRoutes = defineRoutes({
  listIdentities: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/',
    summary: 'Identities of the environment, oldest first (VIEW_IDENTITIES). `q` searches identifiers: quoted for an exact match, otherwise case-insensitive substring.',
    tag: 'identities',
    auth: 'admin',
    params: Type.Object(EnvironmentKey),
    querystring: Type.Object({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 2000, description: 'Identifier search.' })) }),
    successStatus: 200,
    response: Paginated(IdentitySchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createIdentity: {
    method: 'POST',
    url: '/api/v1/environments/:environment_api_key/identities/',
    summary: 'Create an identity (MANAGE_IDENTITIES). The identifier must be new in the environment.',
    tag: 'identities',
    auth: 'admin',
    params: Type.Object(EnvironmentKey),
    body: Type.Object({ identifier: Type.String({ minLength: 1, maxLength: 2000, description: 'Unique within the environment.' }) }),
    successStatus: 201,
    response: IdentitySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  getIdentity: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:id/',
    summary: 'One identity (VIEW_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: IdentityParams,
    successStatus: 200,
    response: IdentitySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  deleteIdentity: {
    method: 'DELETE',
    url: '/api/v1/environments/:environment_api_key/identities/:id/',
    summary: 'Delete an identity with its traits and overrides (MANAGE_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: IdentityParams,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },

  listIdentityTraits: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/',
    summary: 'Traits of an identity (VIEW_IDENTITIES). A plain array, as in Flagsmith.',
    tag: 'identities',
    auth: 'admin',
    params: NestedParams,
    successStatus: 200,
    response: Type.Array(TraitSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createIdentityTrait: {
    method: 'POST',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/',
    summary: 'Add a trait to an identity (MANAGE_IDENTITIES). The key must be new for the identity.',
    tag: 'identities',
    auth: 'admin',
    params: NestedParams,
    body: Type.Object(TraitWrite),
    successStatus: 201,
    response: TraitSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  getIdentityTrait: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/:id/',
    summary: 'One trait (VIEW_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    successStatus: 200,
    response: TraitSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  updateIdentityTrait: {
    method: 'PUT',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/:id/',
    summary: 'Replace a trait’s key and value (MANAGE_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    body: Type.Object(TraitWrite),
    successStatus: 200,
    response: TraitSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateIdentityTrait: {
    method: 'PATCH',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/:id/',
    summary: 'Change a trait’s key or value (MANAGE_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    body: Type.Partial(Type.Object(TraitWrite)),
    successStatus: 200,
    response: TraitSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteIdentityTrait: {
    method: 'DELETE',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/traits/:id/',
    summary: 'Delete a trait (MANAGE_IDENTITIES); with `deleteAllMatchingTraits=true`, every trait of that key in the environment, as in Flagsmith.',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    querystring: Type.Object({ deleteAllMatchingTraits: Type.Optional(Type.String({ maxLength: 10, description: '`true` (or `True`) deletes the key from every identity of the environment.' })) }),
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },

  listIdentityFeatureStates: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/',
    summary: 'Overrides of an identity (VIEW_IDENTITIES), optionally of one feature.',
    tag: 'identities',
    auth: 'admin',
    params: NestedParams,
    querystring: Type.Object({ ...PageQuery, feature: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Only the override of this feature.' })) }),
    successStatus: 200,
    response: Paginated(IdentityFeatureStateListItemSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  listIdentityAllFeatureStates: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/all/',
    summary:
      'Every feature of the environment as the identity sees it, with what decided each (VIEW_IDENTITIES): identity override, else the highest-priority segment override its stored traits match, else the environment default. Disabled flags are included. A plain array, as in Flagsmith.',
    tag: 'identities',
    auth: 'admin',
    params: NestedParams,
    successStatus: 200,
    response: Type.Array(IdentityAllFeatureStateSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createIdentityFeatureState: {
    method: 'POST',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/',
    summary:
      'Override a feature for an identity (MANAGE_IDENTITIES). One override per identity and feature. Takes effect at once on v1 and v2 environments (outside versions); fires FLAG_UPDATED.',
    tag: 'identities',
    auth: 'admin',
    params: NestedParams,
    body: Type.Object({ feature: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Feature id, of the environment’s project.' }), ...OverrideWrite }),
    successStatus: 201,
    response: IdentityFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  getIdentityFeatureState: {
    method: 'GET',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/:id/',
    summary: 'One identity override (VIEW_IDENTITIES).',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    successStatus: 200,
    response: IdentityFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  updateIdentityFeatureState: {
    method: 'PUT',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/:id/',
    summary: 'Change an identity override (MANAGE_IDENTITIES). As in Flagsmith, PUT is partial too; `feature`, when given, must be the override’s own. Fires FLAG_UPDATED.',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    body: Type.Object({ feature: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })), ...OverrideWrite }),
    successStatus: 200,
    response: IdentityFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateIdentityFeatureState: {
    method: 'PATCH',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/:id/',
    summary: 'Change some of an identity override (MANAGE_IDENTITIES). Fires FLAG_UPDATED.',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    body: Type.Object({ feature: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })), ...OverrideWrite }),
    successStatus: 200,
    response: IdentityFeatureStateSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteIdentityFeatureState: {
    method: 'DELETE',
    url: '/api/v1/environments/:environment_api_key/identities/:identity_pk/featurestates/:id/',
    summary: 'Remove an identity override (MANAGE_IDENTITIES); the identity falls back to segment overrides and the environment default. Fires FLAG_DELETED.',
    tag: 'identities',
    auth: 'admin',
    params: NestedItemParams,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
