import { Type, type Static, type TObject } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { FEATURE_VALUE_MAX_LENGTH, MAX_ID } from './limits.js';
import { MultivariateStateValueSchema, TypedFeatureStateValueSchema } from './feature-states.contract.js';

/*
 * Feature Versioning v2 (issue 3, ADR 0005): Flagsmith's versions API, with Flagdesk's additions (status,
 * base version, conflict detail, restore, diff). Only on environments with v2 versioning; a v1
 * environment answers 400 PRECONDITION_FAILED.
 */

/** Lifecycle of a version (ADR 0005). */
export const VersionStatus = { DRAFT: 'draft', SCHEDULED: 'scheduled', PUBLISHED: 'published', CONFLICT: 'conflict' } as const;
export type VersionStatus = (typeof VersionStatus)[keyof typeof VersionStatus];

/** One field changed on both sides of a three-way merge (D8), as the API shows it. */
export const VersionConflictSchema = Type.Object(
  {
    path: Type.String({ description: 'Merge path, e.g. `environmentDefault.enabled`, `segmentOverrides.12.value`, `segmentOverrideOrder`.' }),
    field: Type.Union([Type.Literal('enabled'), Type.Literal('value'), Type.Literal('weight'), Type.Literal('override'), Type.Literal('order')]),
    segment_id: Nullable(Type.Integer({ description: 'The override’s segment; null for the environment default and the override order.' })),
    option_id: Nullable(Type.Integer({ description: 'The multivariate option of a `weight` conflict.' })),
    base: Type.Unknown({ description: 'The value in the base version (null where absent).' }),
    live: Type.Unknown({ description: 'The value in the version that is live now (null where absent).' }),
    mine: Type.Unknown({ description: 'The value in this version (null where absent).' }),
  },
  { description: 'A conflict between this version and a change published after its base.' },
);
export type VersionConflictWire = Static<typeof VersionConflictSchema>;

const VersionFields = {
  created_at: Timestamp,
  updated_at: Timestamp,
  published: Type.Boolean({ description: 'True once publish was called (also for a version scheduled for later).' }),
  live_from: Nullable(Timestamp),
  uuid: Type.String(),
  is_live: Type.Boolean({ description: 'Published and `live_from` has passed (as in Flagsmith, also true for older published versions).' }),
  published_by: Nullable(Type.Integer({ description: 'Id of the user who published it; null for drafts and API-key publishes.' })),
  created_by: Nullable(Type.Integer({ description: 'Id of the user who created it; null for API keys and the initial version.' })),
  description: Nullable(Type.String()),
  status: Type.Union(Object.values(VersionStatus).map((s) => Type.Literal(s)), { description: 'Flagdesk: draft, scheduled (published for a future live_from), published, or conflict (a scheduled version that could not go live).' }),
  base_version_uuid: Nullable(Type.String({ description: 'Flagdesk: the live version this draft was made from; publishing merges against it (D8).' })),
  conflicts: Nullable(Type.Array(VersionConflictSchema, { description: 'Flagdesk: for a `conflict` version, what clashed at its live_from.' })),
};

/** A version, in Flagsmith's `EnvironmentFeatureVersionSerializer` shape plus Flagdesk's fields. */
export const FeatureVersionSchema = Type.Object(VersionFields, { description: 'A version of one feature in one environment.' });
export type FeatureVersionWire = Static<typeof FeatureVersionSchema>;

/** `EnvironmentFeatureVersionRetrieveSerializer`: adds the previous version, feature and environment. */
export const FeatureVersionDetailSchema = Type.Object(
  {
    ...VersionFields,
    previous_version_uuid: Nullable(Type.String({ description: 'The version that was live when this one went live.' })),
    feature: Type.Integer(),
    environment: Type.Integer(),
  },
  { description: 'A version with its place in the chain.' },
);
export type FeatureVersionDetailWire = Static<typeof FeatureVersionDetailSchema>;

/** A feature state inside a version (environment default or segment override). */
export const VersionFeatureStateSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Stable while the draft is edited.' }),
    uuid: Type.String(),
    feature: Type.Integer(),
    environment: Type.Integer(),
    identity: Type.Null(),
    feature_segment: Nullable(
      Type.Object({
        id: Type.Integer(),
        uuid: Type.String(),
        segment: Type.Integer(),
        priority: Type.Integer({ description: 'Lower is evaluated first.' }),
      }),
    ),
    enabled: Type.Boolean(),
    feature_state_value: TypedFeatureStateValueSchema,
    multivariate_feature_state_values: Type.Array(MultivariateStateValueSchema),
    live_from: Nullable(Timestamp),
    created_at: Timestamp,
    updated_at: Timestamp,
    change_request: Type.Null(),
    environment_feature_version: Type.String({ description: 'Uuid of the version.' }),
  },
  { description: 'A feature state of a version.' },
);
export type VersionFeatureStateWire = Static<typeof VersionFeatureStateSchema>;

/**
 * The value fields carry no JSON type on purpose (the server's Ajv coerces types, which would turn 0 or
 * false into null); the service checks them and answers 400 naming the field.
 */
const TypedValueInput = Type.Object({
  type: Type.Optional(Type.Union([Type.Literal('unicode'), Type.Literal('int'), Type.Literal('bool')])),
  string_value: Type.Optional(Type.Unknown({ maxLength: FEATURE_VALUE_MAX_LENGTH, description: `String (at most ${FEATURE_VALUE_MAX_LENGTH} characters) or null.` })),
  integer_value: Type.Optional(Type.Unknown({ description: 'Integer or null.' })),
  boolean_value: Type.Optional(Type.Unknown({ description: 'Boolean or null.' })),
});
const MultivariateInput = Type.Array(
  Type.Object({
    id: Type.Optional(Type.Integer({ maximum: MAX_ID, description: 'Ignored; the option identifies the row.' })),
    multivariate_feature_option: Type.Integer({ minimum: 1, maximum: 2147483647 }),
    percentage_allocation: Type.Number({ minimum: 0, maximum: 100 }),
  }),
  { maxItems: 100, description: 'Replaces the state’s multivariate shares; the total may not exceed 100.' },
);
const SegmentRef = Type.Object({
  id: Type.Optional(Type.Integer({ maximum: MAX_ID, description: 'Ignored; the segment identifies the override.' })),
  segment: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of the segment the override is for.' }),
  // Not nullable on purpose: with the server's type coercion, `[null, integer]` would read 0 as null.
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Wanted position (0 = evaluated first); default: last for a new override, unchanged otherwise.' })),
});
const StateContentInput = {
  enabled: Type.Optional(Type.Boolean()),
  feature_state_value: Type.Optional(TypedValueInput),
  multivariate_feature_state_values: Type.Optional(MultivariateInput),
};

/** A segment override to add to a version. */
export const VersionStateCreateSchema = Type.Object({ ...StateContentInput, feature_segment: SegmentRef });
export type VersionStateCreateInput = Static<typeof VersionStateCreateSchema>;
/** A change to the environment default (`feature_segment` null or absent) or to the override of `feature_segment.segment`. */
export const VersionStateUpdateSchema = Type.Object({ ...StateContentInput, feature_segment: Type.Optional(Nullable(SegmentRef)) });
export type VersionStateUpdateInput = Static<typeof VersionStateUpdateSchema>;

/*
 * The lists are not nullable on purpose: under the server's type coercion a `[null, array]` union unwraps a
 * one-item array while trying the null branch. Omit a list instead of sending null.
 */
export const FeatureVersionCreateSchema = Type.Object({
  description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  live_from: Type.Optional(
    Nullable(Timestamp),
  ),
  feature_states_to_create: Type.Optional(Type.Array(VersionStateCreateSchema, { maxItems: 1000, description: 'Segment overrides to add (one per segment).' })),
  feature_states_to_update: Type.Optional(
    Type.Array(VersionStateUpdateSchema, { maxItems: 1000, description: 'The environment default has `feature_segment: null`; an override is matched by `feature_segment.segment`.' }),
  ),
  segment_ids_to_delete_overrides: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647 }), { maxItems: 1000, description: 'Segments whose override the new version drops.' })),
  publish_immediately: Type.Optional(Type.Boolean({ description: 'Publish the new version in the same call (default false: it stays a draft).' })),
});
export type FeatureVersionCreateInput = Static<typeof FeatureVersionCreateSchema>;

/** One change between two versions, from `src-shared/domain/versioning/version-diff.ts`, with a readable sentence. */
export const VersionChangeSchema = Type.Object({
  kind: Type.Union([Type.Literal('enabled'), Type.Literal('value'), Type.Literal('weight'), Type.Literal('override-added'), Type.Literal('override-removed'), Type.Literal('override-priority')]),
  segment_id: Nullable(Type.Integer({ description: 'The override’s segment; null for the environment default.' })),
  option_id: Nullable(Type.Integer({ description: 'The multivariate option of a `weight` change.' })),
  from: Type.Unknown({ description: 'Before (typed value, boolean, weight, priority or override; null where absent).' }),
  to: Type.Unknown({ description: 'After (null where absent).' }),
  sentence: Type.String({ description: 'The change in English, with segment names and option values.' }),
});
export type VersionChangeWire = Static<typeof VersionChangeSchema>;

export const FeatureVersionDiffSchema = Type.Object({
  version_uuid: Type.String(),
  against_version_uuid: Nullable(Type.String({ description: 'The version compared with; null when this version has no predecessor (then there are no changes).' })),
  changes: Type.Array(VersionChangeSchema, { description: 'What turns `against` into this version.' }),
});
export type FeatureVersionDiffWire = Static<typeof FeatureVersionDiffSchema>;

const EnvFeature = {
  environment_pk: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Numeric id of the environment (not its API key).' }),
  feature_pk: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of the feature.' }),
};
const VersionUuid = Type.String({ minLength: 1, maxLength: 64, description: 'Uuid of the version.' });
const VersionParams = Type.Object({ ...EnvFeature, uuid: VersionUuid });
const VersionStateParams = Type.Object({ ...EnvFeature, uuid: VersionUuid, id: IdParam });

/**
 * A body that may be omitted entirely (scripts POST publish and restore without one): no top-level JSON
 * type, so an absent body passes, while the fields of a body that is sent are still checked. The routes
 * refuse a body that is sent but is not a JSON object (`requireObjectBody`, issue 10 §2.4).
 */
function OptionalBody<T extends TObject>(schema: T) {
  return Type.Unsafe<Static<T> | undefined>({
    properties: schema.properties,
    ...(schema.description ? { description: schema.description } : {}),
  });
}
const PublishBody = OptionalBody(Type.Object({ live_from: Type.Optional(Nullable(Timestamp)) }, { description: 'Optional; `live_from` in the future schedules the version.' }));
const RestoreBody = OptionalBody(Type.Object({ description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))) }, { description: 'Optional; the new version’s description.' }));

const BASE = '/api/v1/environments/:environment_pk/features/:feature_pk/versions';
const TAG = 'versions';
const DRAFT_ERRORS = ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED', 'VALIDATION_FAILED'] as const;

export const versionRoutes = defineRoutes({
  listFeatureVersions: {
    method: 'GET',
    url: `${BASE}/`,
    summary: 'Versions of a feature in a v2 environment, newest first, paginated (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: Type.Object(EnvFeature),
    querystring: Type.Object({
      ...PageQuery,
      is_live: Type.Optional(Type.Boolean({ description: 'Only versions that are (true) or are not (false) published with live_from passed.' })),
      published: Type.Optional(Type.Boolean({ description: 'Only published (true, including scheduled) or unpublished (false: drafts, conflicts) versions.' })),
    }),
    successStatus: 200,
    response: Paginated(FeatureVersionSchema),
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  createFeatureVersion: {
    method: 'POST',
    url: `${BASE}/`,
    summary:
      'Create a draft version from the live one, applying the given changes (UPDATE_FEATURE_STATE); with `publish_immediately` it is published in the same call. Composes any number of changes into one version.',
    tag: TAG,
    auth: 'admin',
    params: Type.Object(EnvFeature),
    body: FeatureVersionCreateSchema,
    successStatus: 201,
    response: FeatureVersionSchema,
    errors: DRAFT_ERRORS,
  },
  getFeatureVersion: {
    method: 'GET',
    url: `${BASE}/:uuid/`,
    summary: 'One version (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    successStatus: 200,
    response: FeatureVersionSchema,
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  deleteFeatureVersion: {
    method: 'DELETE',
    url: `${BASE}/:uuid/`,
    summary: 'Delete a draft (or a scheduled version that failed on a conflict). Published versions are immutable: 400 PRECONDITION_FAILED.',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  publishFeatureVersion: {
    method: 'POST',
    url: `${BASE}/:uuid/publish/`,
    summary:
      'Publish a draft (UPDATE_FEATURE_STATE). It is merged with changes published since its base (D8); a conflict answers 400 PRECONDITION_FAILED with `details.conflicts` and the draft stays a draft. A future `live_from` schedules it (webhooks and audit fire when it goes live); a past one means now.',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    body: PublishBody,
    successStatus: 200,
    response: FeatureVersionSchema,
    errors: DRAFT_ERRORS,
  },
  restoreFeatureVersion: {
    method: 'POST',
    url: `${BASE}/:uuid/restore/`,
    summary: 'Flagdesk addition: roll back by publishing a copy of an earlier published version’s content as a new version, in one call (UPDATE_FEATURE_STATE). Returns the new version.',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    body: RestoreBody,
    successStatus: 201,
    response: FeatureVersionSchema,
    errors: DRAFT_ERRORS,
  },
  getFeatureVersionDiff: {
    method: 'GET',
    url: `${BASE}/:uuid/diff/`,
    summary: 'Flagdesk addition: the changes from another version (default: the previous live version, or a draft’s base) to this one, structured and as sentences (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    querystring: Type.Object({ against: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Uuid of a version of the same feature and environment.' })) }),
    successStatus: 200,
    response: FeatureVersionDiffSchema,
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED', 'VALIDATION_FAILED'],
  },
  listFeatureVersionFeatureStates: {
    method: 'GET',
    url: `${BASE}/:uuid/featurestates/`,
    summary: 'The feature states of a version: the environment default first, then overrides by priority. A plain array, as in Flagsmith (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    successStatus: 200,
    response: Type.Array(VersionFeatureStateSchema),
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  createFeatureVersionFeatureState: {
    method: 'POST',
    url: `${BASE}/:uuid/featurestates/`,
    summary: 'Add a segment override to a draft (UPDATE_FEATURE_STATE or MANAGE_SEGMENT_OVERRIDES). Published versions cannot be changed (400 PRECONDITION_FAILED).',
    tag: TAG,
    auth: 'admin',
    params: VersionParams,
    body: VersionStateCreateSchema,
    successStatus: 201,
    response: VersionFeatureStateSchema,
    errors: DRAFT_ERRORS,
  },
  getFeatureVersionFeatureState: {
    method: 'GET',
    url: `${BASE}/:uuid/featurestates/:id/`,
    summary: 'One feature state of a version (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: VersionStateParams,
    successStatus: 200,
    response: VersionFeatureStateSchema,
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
  updateFeatureVersionFeatureState: {
    method: 'PUT',
    url: `${BASE}/:uuid/featurestates/:id/`,
    summary: 'Change a draft’s environment default (UPDATE_FEATURE_STATE) or one of its overrides (or MANAGE_SEGMENT_OVERRIDES); omitted fields keep their value. Published versions: 400 PRECONDITION_FAILED.',
    tag: TAG,
    auth: 'admin',
    params: VersionStateParams,
    body: VersionStateUpdateSchema,
    successStatus: 200,
    response: VersionFeatureStateSchema,
    errors: DRAFT_ERRORS,
  },
  partialUpdateFeatureVersionFeatureState: {
    method: 'PATCH',
    url: `${BASE}/:uuid/featurestates/:id/`,
    summary: 'As PUT.',
    tag: TAG,
    auth: 'admin',
    params: VersionStateParams,
    body: VersionStateUpdateSchema,
    successStatus: 200,
    response: VersionFeatureStateSchema,
    errors: DRAFT_ERRORS,
  },
  deleteFeatureVersionFeatureState: {
    method: 'DELETE',
    url: `${BASE}/:uuid/featurestates/:id/`,
    summary: 'Remove a segment override from a draft. The environment default cannot be deleted (400); published versions cannot be changed (400 PRECONDITION_FAILED).',
    tag: TAG,
    auth: 'admin',
    params: VersionStateParams,
    successStatus: 204,
    response: NoContent,
    errors: DRAFT_ERRORS,
  },
  getEnvironmentFeatureVersion: {
    method: 'GET',
    url: '/api/v1/environment-feature-versions/:uuid/',
    summary: 'One version by uuid, with `previous_version_uuid`, `feature` and `environment` (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: Type.Object({ uuid: VersionUuid }),
    successStatus: 200,
    response: FeatureVersionDetailSchema,
    errors: ['NOT_FOUND'],
  },
});
