import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import {
  CONDITION_PROPERTY_MAX_LENGTH,
  CONDITION_VALUE_MAX_LENGTH,
  SEGMENT_RULES_CONDITIONS_LIMIT,
  SEGMENT_RULES_LIMIT,
  SEGMENT_RULES_MAX_DEPTH,
  SegmentOperator,
  SegmentRuleType,
} from '../../domain/segments/segment-rules.rules.js';
import { CONDITION_DESCRIPTION_MAX_LENGTH, MAX_ID } from './limits.js';

const RuleTypeSchema = Type.Union(
  Object.values(SegmentRuleType).map((t) => Type.Literal(t)),
  { description: 'ALL: every condition and child rule matches; ANY: at least one does; NONE: none does.' },
);
const OperatorSchema = Type.Union(
  Object.values(SegmentOperator).map((o) => Type.Literal(o)),
  { description: 'Condition operator of the Flagsmith engine.' },
);

/** A condition as the API shows it (and `segments.rules_json` stores it). */
export const SegmentConditionSchema = Type.Object({
  id: Type.Integer({ description: 'Unique within the segment; send it back to keep it.' }),
  operator: OperatorSchema,
  property: Nullable(Type.String({ description: 'Trait key; null for PERCENTAGE_SPLIT.' })),
  value: Nullable(Type.String({ description: 'Operand as text; null for IS_SET / IS_NOT_SET.' })),
  description: Nullable(Type.String()),
});

/**
 * Rules nest to a fixed depth rather than through a recursive `$ref`: the depth is limited anyway
 * (SEGMENT_RULES_MAX_DEPTH), and plain nested schemas keep Ajv, the serializer and OpenAPI simple.
 * The innermost level leaves `rules` open so that the rules check, not the schema, names a too-deep tree.
 */
function nestedRule(item: (levelsLeft: number) => TSchema, levelsLeft: number): TSchema {
  const bound = { maxItems: SEGMENT_RULES_LIMIT };
  return levelsLeft <= 1 ? Type.Array(Type.Unknown(), bound) : Type.Array(item(levelsLeft - 1), bound);
}

function ruleWire(levelsLeft: number): TSchema {
  return Type.Object({
    id: Type.Integer({ description: 'Unique within the segment; send it back to keep it.' }),
    type: RuleTypeSchema,
    rules: nestedRule(ruleWire, levelsLeft),
    conditions: Type.Array(SegmentConditionSchema),
  });
}

const ConditionInput = Type.Object({
  id: Type.Optional(Nullable(Type.Integer({ maximum: MAX_ID, description: 'Id from a previous GET, to keep it; new conditions omit it.' }))),
  operator: OperatorSchema,
  property: Type.Optional(Nullable(Type.String({ maxLength: CONDITION_PROPERTY_MAX_LENGTH, description: 'Trait key; not needed for PERCENTAGE_SPLIT.' }))),
  value: Type.Optional(
    Type.Unknown({
      maxLength: CONDITION_VALUE_MAX_LENGTH,
      description:
        'Operand: a string, number or boolean, kept as text. REGEX: a valid pattern; PERCENTAGE_SPLIT: 0–100; MODULO: "divisor|remainder" (any other text is kept and never matches, as in Flagsmith); IN: comma-separated values; IS_SET / IS_NOT_SET: none.',
    }),
  ),
  description: Type.Optional(Nullable(Type.String({ maxLength: CONDITION_DESCRIPTION_MAX_LENGTH }))),
  delete: Type.Optional(Type.Boolean({ description: 'True drops this condition (Flagsmith compatibility).' })),
});

function ruleInput(levelsLeft: number): TSchema {
  return Type.Object({
    id: Type.Optional(Nullable(Type.Integer({ maximum: MAX_ID, description: 'Id from a previous GET, to keep it; new rules omit it.' }))),
    type: RuleTypeSchema,
    rules: Type.Optional(nestedRule(ruleInput, levelsLeft)),
    conditions: Type.Optional(Type.Array(ConditionInput, { maxItems: SEGMENT_RULES_CONDITIONS_LIMIT })),
    delete: Type.Optional(Type.Boolean({ description: 'True drops this rule (Flagsmith compatibility).' })),
  });
}

/** A segment, in Flagsmith's `SegmentSerializer` shape (the fields Flagdesk supports). */
export const SegmentSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    project: Type.Integer({ description: 'Id of the project the segment belongs to.' }),
    feature: Nullable(Type.Integer({ description: 'Set for a feature-specific segment: it can only override this feature.' })),
    rules: Type.Array(ruleWire(SEGMENT_RULES_MAX_DEPTH), { description: 'Top-level rules; an identity is in the segment when all of them match.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A segment of a project: identities whose traits match its rules.' },
);
export type SegmentWire = Static<typeof SegmentSchema>;

const SegmentWrite = {
  name: Type.String({ minLength: 1, maxLength: 2000, description: 'Segment name.' }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  project: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ID, description: 'Accepted for Flagsmith compatibility; must be the project in the URL.' })),
  feature: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A feature of the project, to make the segment feature-specific.' }))),
  rules: Type.Array(ruleInput(SEGMENT_RULES_MAX_DEPTH), {
    maxItems: SEGMENT_RULES_LIMIT,
    description: `Rules tree; replaces the stored one. At least one rule; at most ${SEGMENT_RULES_LIMIT} rules and ${SEGMENT_RULES_CONDITIONS_LIMIT} conditions in all, nesting at most ${SEGMENT_RULES_MAX_DEPTH} deep.`,
  }),
};

const ProjectPk = Type.Object({ project_pk: IdParam });
const SegmentPk = Type.Object({ project_pk: IdParam, id: IdParam });
const segmentErrors = ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'] as const;

export const segmentRoutes = defineRoutes({
  listSegments: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/segments/',
    summary: 'Segments of a project (VIEW_PROJECT), by id.',
    tag: 'segments',
    auth: 'admin',
    params: ProjectPk,
    querystring: Type.Object({
      ...PageQuery,
      q: Type.Optional(Type.String({ maxLength: 2000, description: 'Only segments whose name contains this text (case-insensitive).' })),
      include_feature_specific: Type.Optional(Type.Boolean({ description: 'Include feature-specific segments (default true).' })),
    }),
    successStatus: 200,
    response: Paginated(SegmentSchema),
    errors: ['NOT_FOUND'],
  },
  createSegment: {
    method: 'POST',
    url: '/api/v1/projects/:project_pk/segments/',
    summary: 'Create a segment (MANAGE_SEGMENTS).',
    tag: 'segments',
    auth: 'admin',
    params: ProjectPk,
    body: Type.Object(SegmentWrite),
    successStatus: 201,
    response: SegmentSchema,
    errors: segmentErrors,
  },
  getSegment: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/segments/:id/',
    summary: 'One segment (VIEW_PROJECT).',
    tag: 'segments',
    auth: 'admin',
    params: SegmentPk,
    successStatus: 200,
    response: SegmentSchema,
    errors: ['NOT_FOUND'],
  },
  updateSegment: {
    method: 'PUT',
    url: '/api/v1/projects/:project_pk/segments/:id/',
    summary: 'Replace a segment: name, description, feature and its whole rules tree (MANAGE_SEGMENTS).',
    tag: 'segments',
    auth: 'admin',
    params: SegmentPk,
    body: Type.Object(SegmentWrite),
    successStatus: 200,
    response: SegmentSchema,
    errors: segmentErrors,
  },
  partialUpdateSegment: {
    method: 'PATCH',
    url: '/api/v1/projects/:project_pk/segments/:id/',
    summary: 'Change some of a segment’s fields; `rules`, when given, replaces the whole tree (MANAGE_SEGMENTS).',
    tag: 'segments',
    auth: 'admin',
    params: SegmentPk,
    body: Type.Partial(Type.Object(SegmentWrite)),
    successStatus: 200,
    response: SegmentSchema,
    errors: segmentErrors,
  },
  deleteSegment: {
    method: 'DELETE',
    url: '/api/v1/projects/:project_pk/segments/:id/',
    summary: 'Delete a segment with its segment overrides in every environment (MANAGE_SEGMENTS). Each deleted override state fires FLAG_DELETED.',
    tag: 'segments',
    auth: 'admin',
    params: SegmentPk,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
});

/** A feature segment: the container of one segment override of a feature in an environment. */
export const FeatureSegmentSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    feature: Type.Integer(),
    segment: Type.Integer(),
    environment: Type.Integer(),
    priority: Type.Integer({ description: 'Position among the feature’s overrides in the environment, from 0; the lowest matching one wins.' }),
    segment_name: Type.String(),
    is_feature_specific: Type.Boolean({ description: 'True when the segment belongs to this feature only.' }),
  },
  { description: 'Flagsmith’s FeatureSegment. Its override value is a feature state with `feature_segment` set (POST /api/v1/features/featurestates/).' },
);
export type FeatureSegmentWire = Static<typeof FeatureSegmentSchema>;

const FeatureSegmentWrite = {
  feature: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A feature of the environment’s project.' }),
  segment: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A segment of the same project; a feature-specific one only for its feature.' }),
  environment: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Environment id.' }),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Position to move to (others shift); default: after the existing overrides.' })),
};
const FeatureSegmentId = Type.Object({ id: IdParam });
const featureSegmentErrors = ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'] as const;

export const featureSegmentRoutes = defineRoutes({
  listFeatureSegments: {
    method: 'GET',
    url: '/api/v1/features/feature-segments/',
    summary: 'Segment overrides of a feature in an environment (VIEW_ENVIRONMENT), by priority.',
    tag: 'feature-segments',
    auth: 'admin',
    querystring: Type.Object({ ...PageQuery, environment: IdParam, feature: IdParam }),
    successStatus: 200,
    response: Paginated(FeatureSegmentSchema),
    errors: ['NOT_FOUND'],
  },
  createFeatureSegment: {
    method: 'POST',
    url: '/api/v1/features/feature-segments/',
    summary:
      'Create a segment override’s container (MANAGE_SEGMENT_OVERRIDES); then create its feature state. Counts against max_segment_overrides_per_environment (LIMIT_EXCEEDED).',
    tag: 'feature-segments',
    auth: 'admin',
    body: Type.Object({
      ...FeatureSegmentWrite,
      environment_feature_version: Type.Optional(
        Nullable(Type.String({ maxLength: 64, description: 'v2: the draft version (uuid) the override is added to; a v2 environment refuses an override outside a draft.' })),
      ),
    }),
    successStatus: 201,
    response: FeatureSegmentSchema,
    errors: ['PERMISSION_DENIED', 'VALIDATION_FAILED', 'LIMIT_EXCEEDED'],
  },
  getFeatureSegment: {
    method: 'GET',
    url: '/api/v1/features/feature-segments/:id/',
    summary: 'One feature segment (VIEW_ENVIRONMENT).',
    tag: 'feature-segments',
    auth: 'admin',
    params: FeatureSegmentId,
    successStatus: 200,
    response: FeatureSegmentSchema,
    errors: ['NOT_FOUND'],
  },
  updateFeatureSegment: {
    method: 'PUT',
    url: '/api/v1/features/feature-segments/:id/',
    summary: 'Change a feature segment’s segment or priority (MANAGE_SEGMENT_OVERRIDES); feature and environment cannot change.',
    tag: 'feature-segments',
    auth: 'admin',
    params: FeatureSegmentId,
    body: Type.Object(FeatureSegmentWrite),
    successStatus: 200,
    response: FeatureSegmentSchema,
    errors: featureSegmentErrors,
  },
  partialUpdateFeatureSegment: {
    method: 'PATCH',
    url: '/api/v1/features/feature-segments/:id/',
    summary: 'Change some of a feature segment’s fields (MANAGE_SEGMENT_OVERRIDES).',
    tag: 'feature-segments',
    auth: 'admin',
    params: FeatureSegmentId,
    body: Type.Partial(Type.Object(FeatureSegmentWrite)),
    successStatus: 200,
    response: FeatureSegmentSchema,
    errors: featureSegmentErrors,
  },
  deleteFeatureSegment: {
    method: 'DELETE',
    url: '/api/v1/features/feature-segments/:id/',
    summary: 'Delete a segment override with its feature state (MANAGE_SEGMENT_OVERRIDES); fires FLAG_DELETED; later overrides move up.',
    tag: 'feature-segments',
    auth: 'admin',
    params: FeatureSegmentId,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  updateFeatureSegmentPriorities: {
    method: 'POST',
    url: '/api/v1/features/feature-segments/update-priorities/',
    summary:
      'Reorder overrides of one feature in one environment (MANAGE_SEGMENT_OVERRIDES). Each `{id, priority}` is applied in turn, moving that override and shifting the others, as Flagsmith does; priorities stay 0..n-1.',
    tag: 'feature-segments',
    auth: 'admin',
    body: Type.Array(
      Type.Object({
        id: IdParam,
        priority: Type.Integer({ minimum: 0, maximum: 2147483647, description: 'Position to move this override to.' }),
      }),
      { maxItems: 1000 },
    ),
    successStatus: 200,
    response: Type.Array(FeatureSegmentSchema),
    errors: featureSegmentErrors,
  },
});
