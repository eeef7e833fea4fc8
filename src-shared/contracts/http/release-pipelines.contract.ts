import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { VersionChangeSchema, VersionConflictSchema } from './versions.contract.js';

/*
 * Release pipelines (issue 5 item 5): Flagsmith's `/projects/{project_pk}/release-pipelines/` family
 * (pipelines with ordered stages, each bound to a v2 environment of the project, with one trigger and a
 * list of actions; add-feature / remove-feature), with Flagdesk's additions: stage routes of their own,
 * a `PUBLISH_VERSION` action, and promotion of an exact version from one stage to the next with its diff
 * against the target's live version and a three-way merge where the target diverged (D8).
 */

/** When a stage's actions run for a feature: as it enters the stage, or a wait after that. */
export const StageTriggerType = { ON_ENTER: 'ON_ENTER', WAIT_FOR: 'WAIT_FOR' } as const;
export type StageTriggerType = (typeof StageTriggerType)[keyof typeof StageTriggerType];

/**
 * What a stage does to a feature in its environment. The first two are Flagsmith's (`action_body`
 * `{enabled}` and `{enabled, segment_id}`); `PUBLISH_VERSION` (`{version_uuid}`) is Flagdesk's: it
 * publishes that version of the feature (a draft, or a copy of a published one) when the trigger fires.
 */
export const StageActionType = {
  TOGGLE_FEATURE: 'TOGGLE_FEATURE',
  TOGGLE_FEATURE_FOR_SEGMENT: 'TOGGLE_FEATURE_FOR_SEGMENT',
  PUBLISH_VERSION: 'PUBLISH_VERSION',
} as const;
export type StageActionType = (typeof StageActionType)[keyof typeof StageActionType];

const TriggerSchema = Type.Object(
  {
    trigger_type: Type.Union([Type.Literal(StageTriggerType.ON_ENTER), Type.Literal(StageTriggerType.WAIT_FOR)]),
    trigger_body: Nullable(
      Type.Object({
        wait_for: Type.Optional(Type.String({ maxLength: 32, description: 'Django duration as Flagsmith sends it: `HH:MM:SS` or `D HH:MM:SS`.' })),
        wait_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31536000, description: 'Flagdesk: the wait in seconds (instead of `wait_for`).' })),
      }),
    ),
  },
  { description: '`ON_ENTER` runs the actions when a feature enters the stage; `WAIT_FOR` runs them once the wait has passed since it entered.' },
);

const ActionInputSchema = Type.Object({
  action_type: Type.Union(Object.values(StageActionType).map((t) => Type.Literal(t))),
  action_body: Type.Object({
    enabled: Type.Optional(Type.Boolean({ description: 'TOGGLE_FEATURE, TOGGLE_FEATURE_FOR_SEGMENT: enable (true) or disable (false).' })),
    segment_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'TOGGLE_FEATURE_FOR_SEGMENT: a segment of the project.' })),
    version_uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'PUBLISH_VERSION: a version of a feature in the stage’s environment.' })),
  }),
});

/** A stage as sent when creating or replacing it. */
export const StageInputSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  environment: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'A v2 environment of the pipeline’s project.' }),
  order: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, description: 'Position (0 first); default: after the last stage. Unique in the pipeline.' })),
  trigger: Type.Optional(TriggerSchema),
  actions: Type.Optional(Type.Array(ActionInputSchema, { maxItems: 20 })),
});
export type StageInput = Static<typeof StageInputSchema>;

export const StageSchema = Type.Object(
  {
    id: Type.Integer(),
    pipeline: Type.Integer(),
    name: Type.String(),
    order: Type.Integer(),
    environment: Type.Integer(),
    trigger: Type.Object({
      trigger_type: Type.String(),
      trigger_body: Nullable(Type.Object({ wait_for: Type.String(), wait_seconds: Type.Integer() })),
    }),
    actions: Type.Array(
      Type.Object({
        action_type: Type.String(),
        action_body: Type.Object({ enabled: Type.Optional(Type.Boolean()), segment_id: Type.Optional(Type.Integer()), version_uuid: Type.Optional(Type.String()) }),
      }),
    ),
    created_at: Timestamp,
  },
  { description: 'A stage of a release pipeline.' },
);
export type StageWire = Static<typeof StageSchema>;

/** A feature travelling through a pipeline. */
export const PipelineFeatureSchema = Type.Object({
  feature: Type.Integer(),
  feature_name: Type.String(),
  stage: Type.Integer({ description: 'The stage the feature is in.' }),
  entered_at: Timestamp,
  trigger_due_at: Nullable(Timestamp),
  triggered_at: Nullable(Timestamp),
  trigger_error: Nullable(Type.String({ description: 'Why the stage’s actions failed, when they did.' })),
});
export type PipelineFeatureWire = Static<typeof PipelineFeatureSchema>;

export const ReleasePipelineSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Nullable(Type.String()),
    project: Type.Integer(),
    published_at: Nullable(Timestamp),
    published_by: Nullable(Type.Integer({ description: 'Id of the user who published it (null for an API key).' })),
    stages: Type.Array(StageSchema, { description: 'In order.' }),
    stages_count: Type.Integer(),
    features: Type.Array(PipelineFeatureSchema),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'A release pipeline of a project.' },
);
export type ReleasePipelineWire = Static<typeof ReleasePipelineSchema>;

const PipelineBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  stages: Type.Optional(Type.Array(StageInputSchema, { maxItems: 30, description: 'The stages in order (replaces them on PUT; only while no feature is in the pipeline).' })),
});
export type PipelineInput = Static<typeof PipelineBody>;

const FeatureBody = Type.Object({ feature_id: Type.Integer({ minimum: 1, maximum: 2147483647 }) });

const PromoteFields = {
  feature_id: Type.Integer({ minimum: 1, maximum: 2147483647 }),
  version_uuid: Type.String({ minLength: 1, maxLength: 64, description: 'The exact version to promote: a published version of the feature in the source stage’s environment.' }),
  from_stage: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of the source stage (default: the stage the feature is in); the target is the next stage.' })),
};
const PromoteBody = Type.Object(PromoteFields);
export type PromoteInput = Static<typeof PromoteBody>;

/** What promoting would do, or did. */
export const PromotionSchema = Type.Object({
  feature: Type.Integer(),
  version_uuid: Type.String(),
  from_stage: Type.Integer(),
  to_stage: Type.Integer(),
  target_environment: Type.Integer(),
  live_version_uuid: Nullable(Type.String({ description: 'The target’s live version.' })),
  base_version_uuid: Nullable(Type.String({ description: 'The merge base: the version the target last received from the pipeline, else its live version when the feature entered.' })),
  changes: Type.Array(VersionChangeSchema, { description: 'The promoted version against the target’s live version.' }),
  merge: Type.Object({
    status: Type.Union([Type.Literal('clean'), Type.Literal('conflict')]),
    changes: Type.Array(VersionChangeSchema, { description: 'What publishing changes on the target: its live version against the merged content (empty on conflict).' }),
    conflicts: Type.Array(VersionConflictSchema),
  }),
  published_version_uuid: Nullable(Type.String({ description: 'The version published on the target (null in a preview).' })),
  entered_stage: Type.Boolean({ description: 'Whether the feature moved into the target stage (false for a preview or a re-promotion to a stage it had reached).' }),
});
export type PromotionWire = Static<typeof PromotionSchema>;

const ProjectPk = Type.Object({ project_pk: IdParam });
const PipelinePk = Type.Object({ project_pk: IdParam, id: IdParam });
const StagePk = Type.Object({ project_pk: IdParam, pipeline_pk: IdParam, id: IdParam });
const StagesPk = Type.Object({ project_pk: IdParam, pipeline_pk: IdParam });
const BASE = '/api/v1/projects/:project_pk/release-pipelines';
const TAG = 'release-pipelines';
const WRITE_ERRORS = ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED', 'VALIDATION_FAILED'] as const;

export const releasePipelineRoutes = defineRoutes({
  listReleasePipelines: {
    method: 'GET', url: `${BASE}/`, tag: TAG, auth: 'admin',
    summary: 'The release pipelines of a project, paginated (VIEW_PROJECT).',
    params: ProjectPk, querystring: Type.Object(PageQuery),
    successStatus: 200, response: Paginated(ReleasePipelineSchema), errors: ['NOT_FOUND'],
  },
  createReleasePipeline: {
    method: 'POST', url: `${BASE}/`, tag: TAG, auth: 'admin',
    summary: 'Create a pipeline, optionally with its stages (project admin). Each stage is bound to a v2 environment of the project.',
    params: ProjectPk, body: PipelineBody,
    successStatus: 201, response: ReleasePipelineSchema, errors: WRITE_ERRORS,
  },
  getReleasePipeline: {
    method: 'GET', url: `${BASE}/:id/`, tag: TAG, auth: 'admin',
    summary: 'One pipeline with its stages and the features in it (VIEW_PROJECT).',
    params: PipelinePk, successStatus: 200, response: ReleasePipelineSchema, errors: ['NOT_FOUND'],
  },
  updateReleasePipeline: {
    method: 'PUT', url: `${BASE}/:id/`, tag: TAG, auth: 'admin',
    summary: 'Rename a pipeline; `stages` replaces its stages while no feature is in it (else 400 PRECONDITION_FAILED) (project admin).',
    params: PipelinePk, body: PipelineBody, successStatus: 200, response: ReleasePipelineSchema, errors: WRITE_ERRORS,
  },
  publishReleasePipeline: {
    method: 'POST', url: `${BASE}/:id/publish-pipeline/`, tag: TAG, auth: 'admin',
    summary: 'Publish a pipeline (project admin), as Flagsmith’s dashboard does before adding features; 400 PRECONDITION_FAILED when it is already published.',
    params: PipelinePk, successStatus: 200, response: ReleasePipelineSchema, errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  deleteReleasePipeline: {
    method: 'DELETE', url: `${BASE}/:id/`, tag: TAG, auth: 'admin',
    summary: 'Delete a pipeline (project admin). Versions it published stay.',
    params: PipelinePk, successStatus: 204, response: NoContent, errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  listReleasePipelineStages: {
    method: 'GET', url: `${BASE}/:pipeline_pk/stages/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: the stages of a pipeline in order (VIEW_PROJECT).',
    params: StagesPk, successStatus: 200, response: Type.Array(StageSchema), errors: ['NOT_FOUND'],
  },
  createReleasePipelineStage: {
    method: 'POST', url: `${BASE}/:pipeline_pk/stages/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: add a stage (project admin); without `order` it goes last.',
    params: StagesPk, body: StageInputSchema, successStatus: 201, response: StageSchema, errors: WRITE_ERRORS,
  },
  getReleasePipelineStage: {
    method: 'GET', url: `${BASE}/:pipeline_pk/stages/:id/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: one stage (VIEW_PROJECT).',
    params: StagePk, successStatus: 200, response: StageSchema, errors: ['NOT_FOUND'],
  },
  updateReleasePipelineStage: {
    method: 'PUT', url: `${BASE}/:pipeline_pk/stages/:id/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: replace a stage (project admin). Its environment cannot change while a feature is in it.',
    params: StagePk, body: StageInputSchema, successStatus: 200, response: StageSchema, errors: WRITE_ERRORS,
  },
  deleteReleasePipelineStage: {
    method: 'DELETE', url: `${BASE}/:pipeline_pk/stages/:id/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: delete a stage that holds no feature (project admin).',
    params: StagePk, successStatus: 204, response: NoContent, errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  addFeatureToReleasePipeline: {
    method: 'POST', url: `${BASE}/:id/add-feature/`, tag: TAG, auth: 'admin',
    summary: 'A feature enters the first stage (project admin): every stage records its environment’s live version as the merge base, and the first stage’s ON_ENTER actions run.',
    params: PipelinePk, body: FeatureBody, successStatus: 200, response: ReleasePipelineSchema, errors: WRITE_ERRORS,
  },
  removeFeatureFromReleasePipeline: {
    method: 'POST', url: `${BASE}/:id/remove-feature/`, tag: TAG, auth: 'admin',
    summary: 'Take a feature out of the pipeline (project admin); pending wait triggers are dropped.',
    params: PipelinePk, body: FeatureBody, successStatus: 200, response: ReleasePipelineSchema, errors: WRITE_ERRORS,
  },
  previewReleasePipelinePromotion: {
    method: 'GET', url: `${BASE}/:id/promote/preview/`, tag: TAG, auth: 'admin',
    summary: 'Flagdesk: what promoting a version would do: its diff against the target’s live version and the three-way merge where the target diverged (VIEW_ENVIRONMENT on the target).',
    params: PipelinePk, querystring: PromoteBody, successStatus: 200, response: PromotionSchema, errors: WRITE_ERRORS,
  },
  promoteReleasePipelineFeature: {
    method: 'POST', url: `${BASE}/:id/promote/`, tag: TAG, auth: 'admin',
    summary:
      'Flagdesk: promote an exact version to the next stage (UPDATE_FEATURE_STATE on the target). A clean merge publishes a version on the target (NEW_VERSION_PUBLISHED, FLAG_UPDATED, EF_VERSION audit) and the feature enters the stage; a conflict answers 400 PRECONDITION_FAILED with the three-way detail and changes nothing.',
    params: PipelinePk, body: PromoteBody, successStatus: 200, response: PromotionSchema, errors: WRITE_ERRORS,
  },
});
