import { Type, type Static, type TObject } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { FeatureVersionCreateSchema, VersionChangeSchema, VersionConflictSchema, VersionStatus } from './versions.contract.js';

/*
 * Change requests (issue 5) on v2 environments, with Flagsmith's paths: create through
 * `POST /api/v1/environments/{api_key}/create-change-request/`, everything else under
 * `/api/v1/features/workflows/change-requests/`. As the spec says, the content is carried on `change_sets`
 * (one per feature) and `environment_feature_versions`, never on `feature_states`. Flagdesk additions:
 * approvals bound to the content they saw (`content_hash`, stale after any edit or base move), a diff
 * against the live state, "needs rebase" for scheduled changes that hit a conflict, and a rebase endpoint.
 */

/** Where a change request is. `needs_rebase`: a change set conflicts with what went live after its base. */
export const ChangeRequestStatus = { OPEN: 'open', SCHEDULED: 'scheduled', COMMITTED: 'committed', NEEDS_REBASE: 'needs_rebase' } as const;
export type ChangeRequestStatus = (typeof ChangeRequestStatus)[keyof typeof ChangeRequestStatus];

const ChangeSetFields = {
  feature: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'The feature this change set changes (one change set per feature).' }),
  live_from: Type.Optional(Nullable(Timestamp)),
  feature_states_to_create: FeatureVersionCreateSchema.properties.feature_states_to_create,
  feature_states_to_update: FeatureVersionCreateSchema.properties.feature_states_to_update,
  segment_ids_to_delete_overrides: FeatureVersionCreateSchema.properties.segment_ids_to_delete_overrides,
};

/** One feature's change, as written: Flagsmith's `VersionChangeSet` fields, applied to the feature's live version. */
export const ChangeSetInputSchema = Type.Object(ChangeSetFields, { description: 'A change to one feature: overrides to add, states to update, overrides to remove; `live_from` in the future schedules it.' });
export type ChangeSetInput = Static<typeof ChangeSetInputSchema>;

const StateOut = Type.Object({
  feature_segment: Nullable(Type.Object({ segment: Type.Integer(), priority: Type.Integer() })),
  enabled: Type.Boolean(),
  feature_state_value: Type.Object({ type: Type.String(), string_value: Nullable(Type.String()), integer_value: Nullable(Type.Integer()), boolean_value: Nullable(Type.Boolean()) }),
  multivariate_feature_state_values: Type.Array(Type.Object({ multivariate_feature_option: Type.Integer(), percentage_allocation: Type.Number() })),
});

export const ChangeSetSchema = Type.Object(
  {
    id: Type.Integer(),
    feature: Type.Integer(),
    live_from: Nullable(Timestamp),
    feature_states_to_create: Type.Array(StateOut, { description: 'Overrides the change adds (derived from its content against its base).' }),
    feature_states_to_update: Type.Array(StateOut, { description: 'States the change sets (the environment default has `feature_segment: null`).' }),
    segment_ids_to_delete_overrides: Type.Array(Type.Integer()),
    base_version_uuid: Nullable(Type.String({ description: 'The live version the change was made from (or last rebased on).' })),
    content_hash: Type.String({ description: 'Hash of the change’s content (`sha256:…`).' }),
    environment_feature_version: Nullable(Type.String({ description: 'The version the commit created (uuid); null before commit.' })),
    version_status: Nullable(Type.Union(Object.values(VersionStatus).map((s) => Type.Literal(s)))),
    conflicts: Type.Array(VersionConflictSchema, { description: 'Fields where the change clashes with what is live now (three-way: base, live, mine); empty when it merges.' }),
  },
  { description: 'A change set: one feature’s change in a change request.' },
);
export type ChangeSetWire = Static<typeof ChangeSetSchema>;

export const ApprovalSchema = Type.Object({
  user: Type.Integer(),
  approved_at: Nullable(Timestamp),
  is_assignee: Type.Boolean({ description: 'Assigned as a reviewer (Flagsmith lists assignees as approvals with `approved_at: null`).' }),
  content_hash: Nullable(Type.String({ description: 'Flagdesk: the content the approval was given for.' })),
  is_stale: Type.Boolean({ description: 'Flagdesk: the change or its base moved since the approval; a stale approval does not count.' }),
});

export const ChangeRequestSchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    title: Type.String(),
    description: Nullable(Type.String()),
    user: Nullable(Type.Integer({ description: 'The author (null when made with an API key).' })),
    environment: Type.Integer(),
    project: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
    committed_at: Nullable(Timestamp),
    committed_by: Nullable(Type.Integer()),
    deleted_at: Type.Null(),
    is_committed: Type.Boolean(),
    is_approved: Type.Boolean({ description: 'Enough current (not stale) approvals for the environment’s `minimum_change_request_approvals`.' }),
    status: Type.Union(Object.values(ChangeRequestStatus).map((s) => Type.Literal(s))),
    required_approvals: Nullable(Type.Integer()),
    current_approvals: Type.Integer({ description: 'Approvals that are not stale.' }),
    content_hash: Type.String({ description: 'What an approval given now binds to: the content to publish per feature and the version it lands on.' }),
    approvals: Type.Array(ApprovalSchema),
    feature_states: Type.Array(Type.Unknown(), { description: 'Always empty on v2 environments: read `change_sets`.' }),
    change_sets: Type.Array(ChangeSetSchema),
    environment_feature_versions: Type.Array(Type.String(), { description: 'Uuids of the versions the commit created.' }),
  },
  { description: 'A change request on a v2 environment.' },
);
export type ChangeRequestWire = Static<typeof ChangeRequestSchema>;

const Assignee = Type.Object({ user: Type.Integer({ minimum: 1, maximum: 2147483647 }) });
const WriteFields = {
  title: Type.String({ minLength: 1, maxLength: 500 }),
  description: Type.Optional(Nullable(Type.String({ maxLength: 20000 }))),
  change_sets: Type.Array(ChangeSetInputSchema, { minItems: 1, maxItems: 100, description: 'One per feature; committed together or not at all.' }),
  approvals: Type.Optional(Type.Array(Assignee, { maxItems: 100, description: 'Users assigned to review (emailed); as Flagsmith, approvals with only `user`.' })),
};
export const ChangeRequestCreateSchema = Type.Object(WriteFields);
export type ChangeRequestCreateInput = Static<typeof ChangeRequestCreateSchema>;
export const ChangeRequestUpdateSchema = Type.Object({
  title: Type.Optional(WriteFields.title),
  description: WriteFields.description,
  change_sets: Type.Optional(WriteFields.change_sets),
  approvals: WriteFields.approvals,
});
export type ChangeRequestUpdateInput = Static<typeof ChangeRequestUpdateSchema>;

export const RebaseSchema = Type.Object({
  resolutions: Type.Optional(
    Type.Array(
      Type.Object({
        feature: Type.Integer({ minimum: 1, maximum: 2147483647 }),
        path: Type.String({ minLength: 1, maxLength: 200, description: 'A conflict path of that feature’s change set (`conflicts[].path`).' }),
        choice: Type.Union([Type.Literal('mine'), Type.Literal('live')]),
      }),
      { maxItems: 1000, description: 'One choice per conflicting path of each change set.' },
    ),
  ),
  live_from: Type.Optional(Nullable(Timestamp)),
});
export type RebaseInput = Static<typeof RebaseSchema>;

const FeatureDiff = Type.Object({
  feature: Type.Integer(),
  feature_name: Type.String(),
  live_version_uuid: Nullable(Type.String()),
  base_version_uuid: Nullable(Type.String()),
  is_mergeable: Type.Boolean({ description: 'False when the change conflicts with what is live now (see `conflicts`).' }),
  conflicts: Type.Array(VersionConflictSchema),
  content_to_publish: Nullable(Type.Unknown({ description: 'The content the commit would publish now (null on conflict).' })),
  changes: Type.Array(VersionChangeSchema, { description: 'Live → content to publish: environment default and segment overrides (added, removed, changed, reordered).' }),
});
const ApprovalDiff = Type.Object({
  user: Type.Integer(),
  approved_at: Timestamp,
  is_stale: Type.Boolean(),
  approved_content: Type.Array(Type.Object({ feature: Type.Integer(), live_version_uuid: Nullable(Type.String()), content: Type.Unknown() })),
  changes_since_approval: Type.Array(Type.Object({ feature: Type.Integer(), changes: Type.Array(VersionChangeSchema) }), { description: 'Approved content → content to publish, per feature.' }),
});
export const ChangeRequestDiffSchema = Type.Object({
  change_request: Type.Integer(),
  content_hash: Type.String(),
  features: Type.Array(FeatureDiff),
  approvals: Type.Array(ApprovalDiff, { description: 'Approved content vs content to publish.' }),
});
export type ChangeRequestDiffWire = Static<typeof ChangeRequestDiffSchema>;

const CrParams = Type.Object({ id: IdParam });
const BASE = '/api/v1/features/workflows/change-requests';
const TAG = 'change-requests';

function OptionalBody<T extends TObject>(schema: T) {
  return Type.Unsafe<Static<T> | undefined>({ properties: schema.properties, ...(schema.description ? { description: schema.description } : {}) });
}

export const changeRequestRoutes = defineRoutes({
  createChangeRequest: {
    method: 'POST',
    url: '/api/v1/environments/:api_key/create-change-request/',
    summary: 'Create a change request on a v2 environment (CREATE_CHANGE_REQUEST): one change set per feature, applied to its live version; assignees are emailed.',
    tag: TAG,
    auth: 'admin',
    params: Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100 }) }),
    body: ChangeRequestCreateSchema,
    successStatus: 201,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  listChangeRequests: {
    method: 'GET',
    url: `${BASE}/`,
    summary: 'Change requests of an environment, newest first (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    querystring: Type.Object({
      ...PageQuery,
      environment: IdParam,
      committed: Type.Optional(Type.Boolean()),
      search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the title.' })),
    }),
    successStatus: 200,
    response: Paginated(ChangeRequestSchema),
    errors: ['NOT_FOUND'],
  },
  listEnvironmentChangeRequests: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/list-change-requests/',
    summary: "Flagsmith's environment-scoped list of change requests, newest first (VIEW_ENVIRONMENT): filters `committed`, `feature_id` (requests changing that feature) and `search` (part of the title).",
    tag: TAG,
    auth: 'admin',
    params: Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100 }) }),
    querystring: Type.Object({
      ...PageQuery,
      committed: Type.Optional(Type.Boolean()),
      feature_id: Type.Optional(IdParam),
      search: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the title.' })),
    }),
    successStatus: 200,
    response: Paginated(ChangeRequestSchema),
    errors: ['NOT_FOUND'],
  },
  getChangeRequest: {
    method: 'GET',
    url: `${BASE}/:id/`,
    summary: 'One change request (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND'],
  },
  updateChangeRequest: {
    method: 'PUT',
    url: `${BASE}/:id/`,
    summary: 'Change an open change request (its author, or UPDATE_FEATURE_STATE); new change sets are applied to the live versions. Approvals given before become stale.',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    body: ChangeRequestUpdateSchema,
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  partialUpdateChangeRequest: {
    method: 'PATCH',
    url: `${BASE}/:id/`,
    summary: 'As PUT.',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    body: ChangeRequestUpdateSchema,
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  deleteChangeRequest: {
    method: 'DELETE',
    url: `${BASE}/:id/`,
    summary: 'Delete a change request that is not committed (its author, or UPDATE_FEATURE_STATE).',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  approveChangeRequest: {
    method: 'POST',
    url: `${BASE}/:id/approve/`,
    summary: 'Approve the change request’s current content (APPROVE_CHANGE_REQUEST; never the author). The approval binds to `content_hash`.',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  commitChangeRequest: {
    method: 'POST',
    url: `${BASE}/:id/commit/`,
    summary:
      'Publish every change set as a new version in one transaction, all or none (UPDATE_FEATURE_STATE), once enough current approvals exist. A future `live_from` schedules the versions.',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  rebaseChangeRequest: {
    method: 'POST',
    url: `${BASE}/:id/rebase/`,
    summary: 'Flagdesk: re-base the change sets on the current live versions, choosing `mine` or `live` per conflicting path; a scheduled change that hit a conflict opens again for approval and a new commit.',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    body: OptionalBody(RebaseSchema),
    successStatus: 200,
    response: ChangeRequestSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  getChangeRequestDiff: {
    method: 'GET',
    url: `${BASE}/:id/diff/`,
    summary: 'Flagdesk: the change request against the live state (structured and as sentences), and approved content vs content to publish (VIEW_ENVIRONMENT).',
    tag: TAG,
    auth: 'admin',
    params: CrParams,
    successStatus: 200,
    response: ChangeRequestDiffSchema,
    errors: ['NOT_FOUND'],
  },
});
