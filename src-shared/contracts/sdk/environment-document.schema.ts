/**
 * CONTRACT FOR THE SDK MODULE: the wire shapes the official Flagsmith SDKs read from Flagdesk.
 *
 * - The environment document (`GET /api/v1/environment-document/`, server-side key): Flagsmith's
 *   `flag_engine` `EnvironmentModel` dumped without its integration configs, exactly as the Flagsmith
 *   server's `map_environment_to_sdk_document` produces it. SDKs in local-evaluation mode parse it field
 *   by field (flagsmith-nodejs `buildEnvironmentModel`, flag_engine's pydantic models), so every name
 *   here is load-bearing: `property_` (with the underscore), `django_id`, `featurestate_uuid`,
 *   `mv_fs_value_uuid`, `identity_traits` / `identity_features` and so on.
 * - The remote-evaluation answers: an item of `GET /api/v1/flags/` and the body of
 *   `GET|POST /api/v1/identities/`.
 *
 * The evaluation engine (`src-shared/domain/evaluation`) reads the document types below directly.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** `T` or null, null first (see `Nullable` in the HTTP contracts for why the order matters). */
const OrNull = <T extends TSchema>(t: T) => Type.Union([Type.Null(), t]);

/**
 * A flag value as Flagsmith sends it: a string, an integer, a float or a boolean (or null when the flag
 * has no value). Numbers and booleans stay typed on the wire; SDKs do not coerce them.
 */
export const FlagValueSchema = Type.Union([Type.Null(), Type.String(), Type.Number(), Type.Boolean()], {
  description: 'A flag value: string, integer, float or boolean; null when the flag has no value.',
});
export type FlagValueWire = Static<typeof FlagValueSchema>;

/** A trait value: string, integer, float or boolean (null deletes the trait when sent by an SDK). */
export const TraitValueSchema = Type.Union([Type.Null(), Type.String(), Type.Number(), Type.Boolean()], {
  description: 'A trait value: string, integer, float or boolean.',
});
export type TraitValueWire = Static<typeof TraitValueSchema>;

// ---------------------------------------------------------------------------------------------------
// Segments

/** The condition operators of Flagsmith's segment rules (flag_engine `segments/constants.py`). */
export const SEGMENT_CONDITION_OPERATORS = [
  'EQUAL',
  'GREATER_THAN',
  'LESS_THAN',
  'LESS_THAN_INCLUSIVE',
  'CONTAINS',
  'GREATER_THAN_INCLUSIVE',
  'NOT_CONTAINS',
  'NOT_EQUAL',
  'REGEX',
  'PERCENTAGE_SPLIT',
  'MODULO',
  'IS_SET',
  'IS_NOT_SET',
  'IN',
] as const;
export type SegmentConditionOperator = (typeof SEGMENT_CONDITION_OPERATORS)[number];

/** How a rule combines its conditions and sub-rules. */
export const SEGMENT_RULE_TYPES = ['ALL', 'ANY', 'NONE'] as const;
export type SegmentRuleType = (typeof SEGMENT_RULE_TYPES)[number];

export const SegmentConditionOperatorSchema = Type.Union(
  SEGMENT_CONDITION_OPERATORS.map((op) => Type.Literal(op)),
  { description: 'Condition operator.' },
);
export const SegmentRuleTypeSchema = Type.Union(
  SEGMENT_RULE_TYPES.map((t) => Type.Literal(t)),
  { description: 'ALL: every condition and sub-rule matches; ANY: at least one; NONE: none.' },
);

/** One condition: `trait[property_] <operator> value`. */
export const SegmentConditionDocumentSchema = Type.Object(
  {
    operator: SegmentConditionOperatorSchema,
    property_: OrNull(Type.String({ description: 'Trait key (null for PERCENTAGE_SPLIT). The trailing underscore is part of the wire name.' })),
    value: OrNull(
      Type.String({
        description:
          'Always a string: a number, "true"/"false", a version with the ":semver" suffix, a regex, "divisor|remainder" for MODULO, or a comma-separated list for IN.',
      }),
    ),
  },
  { description: 'A segment condition as flag_engine reads it.' },
);
export type SegmentConditionDocument = Static<typeof SegmentConditionDocumentSchema>;

/** A rule: conditions plus nested rules, combined by `type`. Recursive. */
export const SegmentRuleDocumentSchema = Type.Recursive(
  (This) =>
    Type.Object({
      type: SegmentRuleTypeSchema,
      rules: Type.Array(This, { description: 'Nested rules.' }),
      conditions: Type.Array(SegmentConditionDocumentSchema),
    }),
  { $id: 'SegmentRuleDocument', description: 'A segment rule as flag_engine reads it.' },
);
export type SegmentRuleDocument = Static<typeof SegmentRuleDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Features and feature states

export const FeatureTypeSchema = Type.Union([Type.Literal('STANDARD'), Type.Literal('MULTIVARIATE')], {
  description: 'STANDARD, or MULTIVARIATE when the feature has multivariate options.',
});

/** `FeatureModel`: only what evaluation needs. */
export const FeatureDocumentSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  type: FeatureTypeSchema,
});
export type FeatureDocument = Static<typeof FeatureDocumentSchema>;

/** `MultivariateFeatureOptionModel`. */
export const MultivariateFeatureOptionDocumentSchema = Type.Object({
  id: OrNull(Type.Integer({ description: 'Option id.' })),
  value: FlagValueSchema,
});

/** `MultivariateFeatureStateValueModel`: one option's share of a feature state. */
export const MultivariateFeatureStateValueDocumentSchema = Type.Object({
  id: OrNull(Type.Integer({ description: 'Id of this allocation row; orders the options when splitting (uuid as fallback).' })),
  multivariate_feature_option: MultivariateFeatureOptionDocumentSchema,
  percentage_allocation: Type.Number({ minimum: 0, maximum: 100, description: 'Percentage of identities (0-100) that get this option.' }),
  mv_fs_value_uuid: Type.String({ description: 'UUID of this allocation row.' }),
});
export type MultivariateFeatureStateValueDocument = Static<typeof MultivariateFeatureStateValueDocumentSchema>;

/** `FeatureSegmentModel`: present only on segment overrides. Lower priority number wins. */
export const FeatureSegmentDocumentSchema = Type.Object({
  priority: OrNull(Type.Integer({ description: 'Override order: 0 is the highest priority.' })),
});

/** `FeatureStateModel`: an environment default, a segment override or an identity override. */
export const FeatureStateDocumentSchema = Type.Object({
  feature: FeatureDocumentSchema,
  enabled: Type.Boolean(),
  feature_state_value: FlagValueSchema,
  django_id: OrNull(Type.Integer({ description: 'Feature state id in the database.' })),
  featurestate_uuid: Type.String({ description: 'Feature state uuid.' }),
  feature_segment: OrNull(FeatureSegmentDocumentSchema),
  multivariate_feature_state_values: Type.Array(MultivariateFeatureStateValueDocumentSchema),
});
export type FeatureStateDocument = Static<typeof FeatureStateDocumentSchema>;

/** `SegmentModel`: rules plus this environment's overrides for the segment. */
export const SegmentDocumentSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  rules: Type.Array(SegmentRuleDocumentSchema),
  feature_states: Type.Array(FeatureStateDocumentSchema, { description: 'Segment overrides in this environment (feature_segment set).' }),
});
export type SegmentDocument = Static<typeof SegmentDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Organisation, project, identities, environment

export const OrganisationDocumentSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  feature_analytics: Type.Boolean(),
  stop_serving_flags: Type.Boolean({ description: 'When true, SDKs get no flags at all.' }),
  persist_trait_data: Type.Boolean({ description: 'When false, traits sent by SDKs are evaluated but not stored.' }),
});
export type OrganisationDocument = Static<typeof OrganisationDocumentSchema>;

export const ProjectDocumentSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  organisation: OrganisationDocumentSchema,
  hide_disabled_flags: Type.Boolean(),
  segments: Type.Array(SegmentDocumentSchema),
  enable_realtime_updates: Type.Boolean({ description: 'Always false in Flagdesk.' }),
  server_key_only_feature_ids: Type.Array(Type.Integer(), { description: 'Features never shown to client-side keys.' }),
});
export type ProjectDocument = Static<typeof ProjectDocumentSchema>;

/** `TraitModel`. */
export const TraitDocumentSchema = Type.Object({
  trait_key: Type.String(),
  trait_value: TraitValueSchema,
});
export type TraitDocument = Static<typeof TraitDocumentSchema>;

/** `IdentityModel`: in the document, an identity that has overrides (`identity_overrides`). */
export const IdentityDocumentSchema = Type.Object({
  identifier: Type.String(),
  environment_api_key: Type.String({ description: "The environment's client-side key." }),
  created_date: Type.String({ format: 'date-time' }),
  identity_uuid: Type.String(),
  django_id: OrNull(Type.Integer({ description: 'Identity id in the database.' })),
  identity_features: Type.Array(FeatureStateDocumentSchema, { description: 'Identity overrides.' }),
  identity_traits: Type.Array(TraitDocumentSchema),
});
export type IdentityDocument = Static<typeof IdentityDocumentSchema>;

/** The environment document (`EnvironmentModel` without integration configs). */
export const EnvironmentDocumentSchema = Type.Object(
  {
    id: Type.Integer(),
    api_key: Type.String({ description: "The environment's client-side key." }),
    name: Type.String(),
    project: ProjectDocumentSchema,
    feature_states: Type.Array(FeatureStateDocumentSchema, { description: 'Environment defaults, one per feature.' }),
    identity_overrides: Type.Array(IdentityDocumentSchema, { description: 'Identities with overrides, for local evaluation.' }),
    allow_client_traits: Type.Boolean({ description: 'When false, client-side keys cannot set traits.' }),
    hide_sensitive_data: Type.Boolean(),
    hide_disabled_flags: OrNull(Type.Boolean({ description: "Overrides the project's setting when not null." })),
    use_identity_composite_key_for_hashing: Type.Boolean({
      description: 'When true, identities hash as `<api_key>_<identifier>` (what SDKs in local evaluation do); otherwise by database id.',
    }),
    use_identity_overrides_in_local_eval: Type.Boolean(),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { description: 'Everything an SDK needs to evaluate flags locally.' },
);
export type EnvironmentDocument = Static<typeof EnvironmentDocumentSchema>;

// ---------------------------------------------------------------------------------------------------
// Remote evaluation answers

/** The feature inside a flag (`SDKFeatureSerializer`). */
export const SdkFeatureSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  created_date: Type.String({ format: 'date-time' }),
  description: OrNull(Type.String()),
  initial_value: OrNull(Type.String({ description: 'The default value as first entered, as a string.' })),
  default_enabled: Type.Boolean(),
  type: FeatureTypeSchema,
});
export type SdkFeatureWire = Static<typeof SdkFeatureSchema>;

/** One flag of `GET /api/v1/flags/` and of the identities answer (`SDKFeatureStateSerializer`). */
export const SdkFlagSchema = Type.Object({
  id: Type.Integer({ description: 'Id of the feature state that decided the flag.' }),
  feature: SdkFeatureSchema,
  feature_state_value: FlagValueSchema,
  enabled: Type.Boolean(),
  environment: Type.Integer({ description: 'Environment id.' }),
  identity: OrNull(Type.Integer({ description: 'Identity id when an identity override decided the flag.' })),
  feature_segment: OrNull(Type.Integer({ description: 'Feature segment id when a segment override decided the flag.' })),
});
export type SdkFlagWire = Static<typeof SdkFlagSchema>;

/** A trait in the identities answer. */
export const SdkTraitSchema = Type.Object({
  trait_key: Type.String(),
  trait_value: TraitValueSchema,
});
export type SdkTraitWire = Static<typeof SdkTraitSchema>;

/** The answer of `GET|POST /api/v1/identities/`: the identity's flags and traits. */
export const SdkIdentitiesResponseSchema = Type.Object({
  identifier: Type.Optional(Type.String()),
  flags: Type.Array(SdkFlagSchema),
  traits: Type.Array(SdkTraitSchema),
});
export type SdkIdentitiesResponseWire = Static<typeof SdkIdentitiesResponseSchema>;
