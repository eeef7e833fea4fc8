import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, NoContent, Nullable } from './route-contract.js';

/*
 * Flagsmith's experimental flag-update endpoints (`api/experiments/urls.py`, serializers in
 * `api/features/feature_states/serializers.py`): the same payloads on v1 and v2 environments. On v1 they
 * change feature states in place; on v2 each call publishes exactly one version. All answer 204.
 */

const Id = Type.Integer({ minimum: 1, maximum: 2147483647 });

/** `{name}` or `{id}` of a feature of the environment's project (exactly one of them). */
const FeatureIdentifier = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Feature name.' })),
    id: Type.Optional(Id),
  },
  { description: 'The feature, by `name` or by `id` (one of them, not both).' },
);

/** A value as text with the type to read it as, e.g. `{"type": "integer", "value": "42"}`. */
const FlagValue = Type.Object(
  {
    type: Type.Union([Type.Literal('integer'), Type.Literal('string'), Type.Literal('boolean')]),
    value: Type.String({ maxLength: 20000, description: 'Always a string; parsed as `type` says (`true`/`false` for booleans).' }),
  },
  { description: 'The new value.' },
);

/** New shares of existing multivariate options (options themselves are managed with the mv-options routes). */
const MultivariateShares = Type.Array(
  Type.Object({
    multivariate_feature_option: Id,
    percentage_allocation: Type.Number({ minimum: 0, maximum: 100 }),
  }),
  { maxItems: 100, description: 'Replaces the shares; options are given by id and must exist. Flagdesk does not create options here.' },
);

const StateChange = {
  enabled: Type.Optional(Type.Boolean({ description: 'Omitted: unchanged.' })),
  value: Type.Optional(FlagValue),
  multivariate_feature_state_values: Type.Optional(MultivariateShares),
};

/** Body of `update-flag-v1`: the environment default, or with `segment` one segment override (created when missing). */
export const UpdateFlagV1Schema = Type.Object({
  feature: FeatureIdentifier,
  segment: Type.Optional(
    Type.Object({
      id: Id,
      priority: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Position among the overrides (0 first); omitted or null: last for a new override, unchanged otherwise.' }))),
    }),
  ),
  ...StateChange,
});
export type UpdateFlagV1Input = Static<typeof UpdateFlagV1Schema>;

/** Body of `update-flag-v2`: the environment default and any number of segment overrides in one change. */
export const UpdateFlagV2Schema = Type.Object({
  feature: FeatureIdentifier,
  environment_default: Type.Object(StateChange, { description: 'Required (Flagsmith’s update-flag-v2).' }),
  segment_overrides: Type.Optional(
    Type.Array(
      Type.Object({
        segment_id: Id,
        priority: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 2147483647 }))),
        ...StateChange,
      }),
      { maxItems: 1000, description: 'Overrides to create or change; each segment at most once.' },
    ),
  ),
});
export type UpdateFlagV2Input = Static<typeof UpdateFlagV2Schema>;

export const DeleteSegmentOverrideSchema = Type.Object({
  feature: FeatureIdentifier,
  segment: Type.Object({ id: Id }),
});
export type DeleteSegmentOverrideInput = Static<typeof DeleteSegmentOverrideSchema>;

const EnvironmentKeyParam = Type.Object({ environment_key: Type.String({ minLength: 1, maxLength: 100, description: 'The environment’s client-side key.' }) });

const common = {
  tag: 'experiments',
  auth: 'admin',
  method: 'POST',
  params: EnvironmentKeyParam,
  successStatus: 204,
  response: NoContent,
  errors: ['PERMISSION_DENIED', 'NOT_FOUND', 'PRECONDITION_FAILED'],
} as const;

export const experimentRoutes = defineRoutes({
  updateFlagV1: {
    ...common,
    url: '/api/experiments/environments/:environment_key/update-flag-v1/',
    summary:
      'Experimental: updates one feature state, the environment default or (with `segment`) one segment override. On a v1 environment the state changes in place; on v2 the call publishes one version. UPDATE_FEATURE_STATE; 403 when change requests are enabled.',
    body: UpdateFlagV1Schema,
  },
  updateFlagV2: {
    ...common,
    url: '/api/experiments/environments/:environment_key/update-flag-v2/',
    summary:
      'Experimental: updates the environment default and several segment overrides of a feature in one request. On v2 the call publishes one version. UPDATE_FEATURE_STATE; 403 when change requests are enabled.',
    body: UpdateFlagV2Schema,
  },
  deleteSegmentOverride: {
    ...common,
    url: '/api/experiments/environments/:environment_key/delete-segment-override/',
    summary: 'Experimental: deletes the segment override of a feature for a segment (400 when there is none). On v2 the call publishes one version without it.',
    body: DeleteSegmentOverrideSchema,
  },
});
