import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, Timestamp } from './route-contract.js';

/*
 * Flagdesk's own routes (issue 14): the impact preview of a change (who it affects, evaluated over every
 * identity stored in the environment with the SDKs' engine) and the one-step revert of a committed
 * change request. Not part of Flagsmith's API.
 */

export const ImpactRuleKindSchema = Type.Union([Type.Literal('ENVIRONMENT_DEFAULT'), Type.Literal('SEGMENT_OVERRIDE'), Type.Literal('IDENTITY_OVERRIDE')]);

export const ImpactRuleSchema = Type.Object(
  {
    kind: ImpactRuleKindSchema,
    segment_id: Nullable(Type.Integer({ description: 'The segment of a SEGMENT_OVERRIDE rule.' })),
    segment_name: Nullable(Type.String()),
    is_percentage_split: Type.Boolean({ description: 'The segment’s rules include a PERCENTAGE_SPLIT condition.' }),
    identities: Type.Integer({ description: 'Identities this rule decides under the change.' }),
    changed: Type.Integer({ description: 'Of those, identities whose flag changes (enabled, value or variant).' }),
    variant_split: Type.Integer({ description: 'Of those, identities whose value comes from a multivariate variant (percentage split of variations).' }),
  },
  { description: 'One rule that decides the flag under the change.' },
);
export type ImpactRuleWire = Static<typeof ImpactRuleSchema>;

const Identifiers = Type.Array(Type.String(), { maxItems: 20 });

export const FeatureImpactSchema = Type.Object(
  {
    feature_id: Type.Integer(),
    feature_name: Type.String(),
    identities_evaluated: Type.Integer(),
    changed: Type.Object({
      any: Type.Integer({ description: 'Identities whose flag changes in any way.' }),
      enabled: Type.Integer({ description: 'Identities whose enabled state changes.' }),
      value: Type.Integer({ description: 'Identities whose value changes.' }),
      variant: Type.Integer({ description: 'Identities whose multivariate variant changes.' }),
    }),
    rules: Type.Array(ImpactRuleSchema, { description: 'Breakdown by the rule that decides each identity under the change, most identities first.' }),
    examples: Type.Object(
      { enabled: Identifiers, value: Identifiers, variant: Identifiers },
      { description: 'Up to 20 identifiers per kind of change, in identity order.' },
    ),
    has_provisional_buckets: Type.Boolean({ description: 'The change adds a segment override with variations: its split is estimated until it is published (its bucketing key does not exist yet).' }),
  },
  { description: 'The impact of the change on one feature.' },
);
export type FeatureImpactWire = Static<typeof FeatureImpactSchema>;

export const ImpactStatus = { RUNNING: 'running', DONE: 'done', CANCELLED: 'cancelled', FAILED: 'failed' } as const;
export type ImpactStatus = (typeof ImpactStatus)[keyof typeof ImpactStatus];

export const ImpactPreviewSchema = Type.Object(
  {
    id: Type.String({ description: 'The preview job; poll it at `/api/v1/impact-previews/{id}/`.' }),
    status: Type.Union(Object.values(ImpactStatus).map((s) => Type.Literal(s))),
    subject: Type.Object({
      kind: Type.Union([Type.Literal('version'), Type.Literal('change_request'), Type.Literal('change_request_revert')]),
      environment_id: Type.Integer(),
      feature_id: Nullable(Type.Integer()),
      version_uuid: Nullable(Type.String()),
      change_request_id: Nullable(Type.Integer()),
    }),
    progress: Type.Object({ evaluated: Type.Integer(), total: Type.Integer({ description: 'Identities stored in the environment when the preview started.' }) }),
    identities_evaluated: Type.Integer(),
    changed_any: Type.Integer({ description: 'Identities whose flags change in at least one feature.' }),
    features: Type.Array(FeatureImpactSchema, { description: 'Per feature (one for a version); filled as the preview runs.' }),
    merged_with_live: Type.Boolean({ description: 'The change was made from an older version; the preview is of its merge with what is live now (D8).' }),
    error: Nullable(Type.String()),
    started_at: Timestamp,
    finished_at: Nullable(Timestamp),
  },
  { description: 'An impact preview: the change evaluated for every identity stored in the environment, live against changed.' },
);
export type ImpactPreviewWire = Static<typeof ImpactPreviewSchema>;

const PreviewBody = Type.Optional(
  Nullable(
    Type.Object(
      {
        wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30000, description: 'How long to wait for the preview before answering 202 with it still running (default 10,000).' })),
      },
      { additionalProperties: false },
    ),
  ),
);

const previewErrors = ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'] as const;

export const RevertResultSchema = Type.Object(
  {
    reverted: Type.Array(Type.Object({ feature: Type.Integer(), feature_name: Type.String(), version_uuid: Type.String({ description: 'The new version holding the replaced content.' }) })),
    skipped: Type.Array(
      Type.Object({ feature: Type.Integer(), feature_name: Type.String(), reason: Type.String({ description: 'Why this feature was not reverted (it changed again since).' }) }),
    ),
    change_request: Nullable(Type.Integer({ description: 'On an environment that requires approvals: the new change request holding the revert.' })),
  },
  { description: 'What a revert did.' },
);
export type RevertResultWire = Static<typeof RevertResultSchema>;

export const impactRoutes = defineRoutes({
  previewFeatureVersionImpact: {
    method: 'POST',
    url: '/api/v1/environments/:environment_pk/features/:feature_pk/versions/:uuid/impact/',
    summary:
      'Flagdesk: evaluate the feature for every identity stored in the environment under the live version and under this draft or scheduled version (merged with what is live now when it is stale). Answers 200 when done within `wait_ms`, else 202 with the running preview to poll.',
    tag: 'Impact',
    auth: 'admin',
    params: Type.Object({ environment_pk: IdParam, feature_pk: IdParam, uuid: Type.String({ maxLength: 64 }) }),
    body: PreviewBody,
    successStatus: 200,
    otherSuccessStatuses: [202],
    response: ImpactPreviewSchema,
    errors: [...previewErrors, 'UNAVAILABLE'],
  },
  previewChangeRequestImpact: {
    method: 'POST',
    url: '/api/v1/features/workflows/change-requests/:id/impact/',
    summary: 'Flagdesk: the impact preview of a change request as a whole (every feature it changes), or with `revert: true` of reverting a committed one.',
    tag: 'Impact',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Optional(
      Nullable(
        Type.Object(
          {
            wait_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 30000 })),
            revert: Type.Optional(Type.Boolean({ description: 'Preview reverting the committed change request instead.' })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    successStatus: 200,
    otherSuccessStatuses: [202],
    response: ImpactPreviewSchema,
    errors: [...previewErrors, 'UNAVAILABLE'],
  },
  getImpactPreview: {
    method: 'GET',
    url: '/api/v1/impact-previews/:id/',
    summary: 'Flagdesk: a running or finished impact preview, with its progress. Kept for 10 minutes after it finishes, by the server instance that runs it.',
    tag: 'Impact',
    auth: 'admin',
    params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
    successStatus: 200,
    response: ImpactPreviewSchema,
    errors: ['NOT_FOUND'],
  },
  cancelImpactPreview: {
    method: 'DELETE',
    url: '/api/v1/impact-previews/:id/',
    summary: 'Flagdesk: cancels a running impact preview (it stops after the batch it is evaluating).',
    tag: 'Impact',
    auth: 'admin',
    params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND'],
  },
  revertChangeRequest: {
    method: 'POST',
    url: '/api/v1/features/workflows/change-requests/:id/revert/',
    summary:
      'Flagdesk: reverts every feature a committed change request changed to the version it replaced, as new versions in one transaction (a new change request where the environment requires approvals). A feature that changed again since is a conflict: nothing is reverted unless `skip_conflicting` is true, which leaves those features out.',
    tag: 'Impact',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    body: Type.Optional(
      Nullable(
        Type.Object(
          { skip_conflicting: Type.Optional(Type.Boolean()), description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))) },
          { additionalProperties: false },
        ),
      ),
    ),
    successStatus: 201,
    response: RevertResultSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED', 'REVISION_CONFLICT'],
  },
});
