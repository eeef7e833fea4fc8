import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { FEATURE_VALUE_MAX_LENGTH, MAX_ID } from './limits.js';

/**
 * A raw value in a request body (`initial_value`, a multivariate option's `string_value` …). Declared
 * without a JSON type on purpose: the server's Ajv coerces types, and any scalar union would turn `0`
 * or `false` into null (null first) or `5` into "5" (string first). The service checks the type and
 * answers 400 naming the field. A string is at most FEATURE_VALUE_MAX_LENGTH characters (Flagsmith's limit).
 */
const RawInput = (description: string) => Type.Unknown({ description, maxLength: FEATURE_VALUE_MAX_LENGTH });

/** A typed flag value in an answer. */
export const FlagValueSchema = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'A flag value: string, integer or boolean, or null.' });

const ValueTypeSchema = Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')], { description: 'Which value column is used: `unicode` (string), `int` or `bool`.' });

/** A multivariate option, in Flagsmith's `MultivariateFeatureOptionSerializer` shape. */
export const MultivariateOptionSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    type: ValueTypeSchema,
    string_value: Nullable(Type.String()),
    integer_value: Nullable(Type.Integer()),
    boolean_value: Nullable(Type.Boolean()),
    default_percentage_allocation: Type.Number({ description: 'Share (0–100) this option gets in new environment defaults.' }),
    feature: Type.Integer({ description: 'Id of the feature.' }),
  },
  { description: 'One variant of a multivariate feature.' },
);
export type MultivariateOptionWire = Static<typeof MultivariateOptionSchema>;

const MultivariateOptionWrite = {
  type: Type.Optional(ValueTypeSchema),
  string_value: Type.Optional(RawInput('String value (for type `unicode`), or null.')),
  integer_value: Type.Optional(RawInput('Integer value (for type `int`), or null.')),
  boolean_value: Type.Optional(RawInput('Boolean value (for type `bool`), or null.')),
  default_percentage_allocation: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'Default share, 0–100 (default 100). All options of a feature together may not exceed 100.' })),
};
/** A multivariate option as written (inline in a feature or on its own). */
export const MultivariateOptionInputSchema = Type.Object(MultivariateOptionWrite);
export type MultivariateOptionInput = Static<typeof MultivariateOptionInputSchema>;

/** The environment default of a feature in one environment, as the feature list shows it with `?environment=`. */
export const FeatureEnvironmentStateSchema = Type.Object({
  id: Type.Integer(),
  enabled: Type.Boolean(),
  feature_state_value: FlagValueSchema,
  environment: Type.Integer(),
  feature: Type.Integer(),
  feature_segment: Nullable(Type.Integer()),
  identity: Nullable(Type.Integer()),
  updated_at: Timestamp,
});

/** A feature, in Flagsmith's `ListCreateFeatureSerializer` shape (the fields Flagdesk supports). */
export const FeatureSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    name: Type.String(),
    type: Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')]),
    default_enabled: Type.Boolean({ description: 'Enabled state given to the feature’s state in new environments.' }),
    initial_value: Nullable(Type.String({ description: 'Value given to the feature’s state in new environments (typed by inference).' })),
    created_date: Timestamp,
    description: Nullable(Type.String()),
    tags: Type.Array(Type.Integer(), { description: 'Always empty (tags are not supported yet).' }),
    multivariate_options: Type.Array(MultivariateOptionSchema),
    is_archived: Type.Boolean(),
    is_server_key_only: Type.Boolean({ description: 'When true, only server-side keys see the feature.' }),
    owners: Type.Array(Type.Unknown(), { description: 'Always empty (owners are not supported yet).' }),
    group_owners: Type.Array(Type.Unknown(), { description: 'Always empty.' }),
    project: Type.Integer(),
    num_segment_overrides: Type.Integer({ description: 'Segment overrides in the `environment` of the query (0 without one).' }),
    num_identity_overrides: Nullable(Type.Integer({ description: 'Identity overrides in the `environment` of the query (null without one).' })),
    environment_feature_state: Type.Optional(Nullable(FeatureEnvironmentStateSchema)),
  },
  { description: 'A feature flag / remote config of a project.' },
);
export type FeatureWire = Static<typeof FeatureSchema>;

const FeatureType = Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')], { description: 'Defaults to MULTIVARIATE when options are given, else STANDARD.' });

const FeatureEditable = {
  description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  is_archived: Type.Optional(Type.Boolean()),
  is_server_key_only: Type.Optional(Type.Boolean()),
  type: Type.Optional(FeatureType),
  tags: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: MAX_ID }), { maxItems: 100, description: 'Accepted and ignored (tags are not supported yet).' })),
};

const FeatureName = Type.String({ minLength: 1, maxLength: 2000, description: 'Unique in the project, ignoring case.' });

/** Body of `createFeature`. */
export const FeatureCreateSchema = Type.Object({
  name: FeatureName,
  ...FeatureEditable,
  initial_value: Type.Optional(RawInput('Initial value (string, number, boolean or null); stored as a string and typed by inference in each environment.')),
  default_enabled: Type.Optional(Type.Boolean({ description: 'Initial enabled state in each environment (default false).' })),
  multivariate_options: Type.Optional(Type.Array(MultivariateOptionInputSchema, { maxItems: 100, description: 'Options created with the feature; their default allocations may total at most 100.' })),
});
export type FeatureCreateInput = Static<typeof FeatureCreateSchema>;

/** Body of `updateFeature` / `partialUpdateFeature`. As in Flagsmith, `initial_value` and `default_enabled` are fixed after creation; options change through the mv-options routes. */
export const FeatureUpdateSchema = Type.Object({ name: FeatureName, ...FeatureEditable });
export type FeatureUpdateInput = Partial<Static<typeof FeatureUpdateSchema>>;

const ProjectPk = Type.Object({ project_pk: IdParam });
const FeatureId = Type.Object({ project_pk: IdParam, id: IdParam });
const FeaturePk = Type.Object({ project_pk: IdParam, feature_pk: IdParam });
const OptionId = Type.Object({ project_pk: IdParam, feature_pk: IdParam, id: IdParam });

export const featureRoutes = defineRoutes({
  listFeatures: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/features/',
    summary: 'Features of a project (VIEW_PROJECT), paginated. With `environment`, each carries its state there and override counts.',
    tag: 'features',
    auth: 'admin',
    params: ProjectPk,
    querystring: Type.Object({
      ...PageQuery,
      search: Type.Optional(Type.String({ maxLength: 2000, description: 'Only features whose name contains this (ignoring case).' })),
      sort_field: Type.Optional(Type.Union([Type.Literal('created_date'), Type.Literal('name')], { description: 'Default created_date.' })),
      sort_direction: Type.Optional(Type.Union([Type.Literal('ASC'), Type.Literal('DESC')], { description: 'Default ASC.' })),
      is_archived: Type.Optional(Type.Boolean({ description: 'Only archived (true) or only live (false) features.' })),
      environment: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of an environment of the project to show states and override counts for.' })),
    }),
    successStatus: 200,
    response: Paginated(FeatureSchema),
    errors: ['NOT_FOUND'],
  },
  createFeature: {
    method: 'POST',
    url: '/api/v1/projects/:project_pk/features/',
    summary: 'Create a feature (CREATE_FEATURE); every environment of the project gets its environment default.',
    tag: 'features',
    auth: 'admin',
    params: ProjectPk,
    body: FeatureCreateSchema,
    successStatus: 201,
    response: FeatureSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getFeature: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/features/:id/',
    summary: 'One feature (VIEW_PROJECT).',
    tag: 'features',
    auth: 'admin',
    params: FeatureId,
    successStatus: 200,
    response: FeatureSchema,
    errors: ['NOT_FOUND'],
  },
  updateFeature: {
    method: 'PUT',
    url: '/api/v1/projects/:project_pk/features/:id/',
    summary: 'Replace a feature’s settings (EDIT_FEATURE); `name` is required.',
    tag: 'features',
    auth: 'admin',
    params: FeatureId,
    body: FeatureUpdateSchema,
    successStatus: 200,
    response: FeatureSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  partialUpdateFeature: {
    method: 'PATCH',
    url: '/api/v1/projects/:project_pk/features/:id/',
    summary: 'Change some of a feature’s settings (EDIT_FEATURE).',
    tag: 'features',
    auth: 'admin',
    params: FeatureId,
    body: Type.Partial(FeatureUpdateSchema),
    successStatus: 200,
    response: FeatureSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  deleteFeature: {
    method: 'DELETE',
    url: '/api/v1/projects/:project_pk/features/:id/',
    summary: 'Delete a feature with all its states and overrides (DELETE_FEATURE); sends FLAG_DELETED per environment.',
    tag: 'features',
    auth: 'admin',
    params: FeatureId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },

  listFeatureMvOptions: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/',
    summary: 'Multivariate options of a feature (VIEW_PROJECT), paginated.',
    tag: 'features',
    auth: 'admin',
    params: FeaturePk,
    querystring: Type.Object(PageQuery),
    successStatus: 200,
    response: Paginated(MultivariateOptionSchema),
    errors: ['NOT_FOUND'],
  },
  createFeatureMvOption: {
    method: 'POST',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/',
    summary: 'Add a multivariate option (CREATE_FEATURE); each environment default gets it with its default allocation.',
    tag: 'features',
    auth: 'admin',
    params: FeaturePk,
    body: Type.Object({ ...MultivariateOptionWrite, feature: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Must be the feature of the path when given.' })) }),
    successStatus: 201,
    response: MultivariateOptionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getFeatureMvOption: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/:id/',
    summary: 'One multivariate option (VIEW_PROJECT).',
    tag: 'features',
    auth: 'admin',
    params: OptionId,
    successStatus: 200,
    response: MultivariateOptionSchema,
    errors: ['NOT_FOUND'],
  },
  updateFeatureMvOption: {
    method: 'PUT',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/:id/',
    summary: 'Replace a multivariate option (CREATE_FEATURE). Existing allocations in environments are kept.',
    tag: 'features',
    auth: 'admin',
    params: OptionId,
    body: Type.Object({ ...MultivariateOptionWrite, feature: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })) }),
    successStatus: 200,
    response: MultivariateOptionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  partialUpdateFeatureMvOption: {
    method: 'PATCH',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/:id/',
    summary: 'Change a multivariate option (CREATE_FEATURE).',
    tag: 'features',
    auth: 'admin',
    params: OptionId,
    body: Type.Object({ ...MultivariateOptionWrite, feature: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID })) }),
    successStatus: 200,
    response: MultivariateOptionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  deleteFeatureMvOption: {
    method: 'DELETE',
    url: '/api/v1/projects/:project_pk/features/:feature_pk/mv-options/:id/',
    summary: 'Delete a multivariate option and its allocations in every feature state (CREATE_FEATURE).',
    tag: 'features',
    auth: 'admin',
    params: OptionId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});
