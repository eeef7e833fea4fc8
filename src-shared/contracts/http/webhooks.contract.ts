import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent, Nullable, PageQuery, Paginated, Timestamp } from './route-contract.js';
import { AuditLogSchema } from './audit.contract.js';

// ---------------------------------------------------------------------------------------------------
// Events: what a webhook receiver gets.
// ---------------------------------------------------------------------------------------------------

/**
 * Event types. The first four are Flagsmith's; SCHEDULED_VERSION_CONFLICT is Flagdesk's (a scheduled
 * version did not go live because it conflicts with a newer change, D8).
 */
export const WebhookEventType = {
  FLAG_UPDATED: 'FLAG_UPDATED',
  FLAG_DELETED: 'FLAG_DELETED',
  NEW_VERSION_PUBLISHED: 'NEW_VERSION_PUBLISHED',
  AUDIT_LOG_CREATED: 'AUDIT_LOG_CREATED',
  SCHEDULED_VERSION_CONFLICT: 'SCHEDULED_VERSION_CONFLICT',
  RELEASE_PIPELINE_STAGE_ENTERED: 'RELEASE_PIPELINE_STAGE_ENTERED',
  RELEASE_PIPELINE_STAGE_TRIGGERED: 'RELEASE_PIPELINE_STAGE_TRIGGERED',
  RELEASE_PIPELINE_PROMOTED: 'RELEASE_PIPELINE_PROMOTED',
} as const;
export type WebhookEventType = (typeof WebhookEventType)[keyof typeof WebhookEventType];

const FlagValue = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: 'The typed flag value (string, integer or boolean), or null.' });

/** A feature state as Flagsmith's webhooks describe it (`Webhook.generate_webhook_feature_state_data`). */
export const WebhookFeatureStateSchema = Type.Object(
  {
    feature: Type.Object({
      id: Type.Integer(),
      created_date: Timestamp,
      default_enabled: Type.Boolean(),
      description: Nullable(Type.String()),
      initial_value: Nullable(Type.String()),
      name: Type.String(),
      project: Type.Object({ id: Type.Integer(), name: Type.String() }),
      type: Type.String({ description: 'STANDARD or MULTIVARIATE.' }),
    }),
    environment: Type.Object({ id: Type.Integer(), name: Type.String() }),
    identity: Nullable(Type.Integer({ description: 'Identity id, for an identity override.' })),
    identity_identifier: Nullable(Type.String({ description: 'Identity identifier, for an identity override.' })),
    feature_segment: Nullable(
      Type.Object(
        {
          segment: Type.Object({ id: Type.Integer(), name: Type.String(), description: Nullable(Type.String()) }),
          priority: Type.Integer(),
        },
        { description: 'Set for a segment override.' },
      ),
    ),
    enabled: Type.Boolean(),
    feature_state_value: FlagValue,
  },
  { description: 'A feature state in webhook payloads: environment default, segment override or identity override.' },
);
export type WebhookFeatureState = Static<typeof WebhookFeatureStateSchema>;

/**
 * `FLAG_UPDATED` data. Fired once per save on v1 environments, once per changed feature state of a
 * published version on v2, and for identity overrides in this same shape on both. Delivered to
 * environment and organisation webhooks.
 */
export const FlagUpdatedDataSchema = Type.Object({
  new_state: WebhookFeatureStateSchema,
  previous_state: Nullable(WebhookFeatureStateSchema),
  changed_by: Type.String({ description: "Email of the user, or the organisation API key's name; empty for system changes." }),
  timestamp: Timestamp,
});
export type FlagUpdatedData = Static<typeof FlagUpdatedDataSchema>;

/** `FLAG_DELETED` data: the state that was removed is `previous_state`. Environment and organisation webhooks. */
export const FlagDeletedDataSchema = Type.Object({
  new_state: Type.Null(),
  previous_state: WebhookFeatureStateSchema,
  changed_by: Type.String(),
  timestamp: Timestamp,
});
export type FlagDeletedData = Static<typeof FlagDeletedDataSchema>;

/** Who published a version: a user, or an organisation API key. */
export const PublishedBySchema = Nullable(
  Type.Union([
    Type.Object({ id: Type.Integer(), email: Type.String() }),
    Type.Object({ api_key: Type.Object({ id: Type.Integer(), name: Type.String() }) }),
  ]),
);

/** A feature state inside a published version (Flagsmith's `_FeatureStateSchema`, plus the segment it overrides). */
export const VersionFeatureStateSchema = Type.Object({
  enabled: Type.Boolean(),
  value: FlagValue,
  multivariate_feature_state_values: Type.Array(
    Type.Object({
      id: Type.Integer(),
      multivariate_feature_option: Type.Object({ id: Type.Integer(), value: FlagValue }),
      percentage_allocation: Type.Number(),
    }),
  ),
  feature_segment: Nullable(Type.Object({ segment: Type.Object({ id: Type.Integer(), name: Type.String() }), priority: Type.Integer() }, { description: 'null for the environment default.' })),
});
export type VersionFeatureState = Static<typeof VersionFeatureStateSchema>;

/** `NEW_VERSION_PUBLISHED` data: once per published version (v2), to environment webhooks only. */
export const NewVersionPublishedDataSchema = Type.Object({
  uuid: Type.String({ description: 'The version uuid.' }),
  feature: Type.Object({ id: Type.Integer(), name: Type.String() }),
  environment_id: Type.Integer(),
  published_by: PublishedBySchema,
  feature_states: Type.Array(VersionFeatureStateSchema),
});
export type NewVersionPublishedData = Static<typeof NewVersionPublishedDataSchema>;

/** `AUDIT_LOG_CREATED` data: the new entry, as the audit API lists it. To organisation webhooks. */
export const AuditLogCreatedDataSchema = AuditLogSchema;

/**
 * `SCHEDULED_VERSION_CONFLICT` data (Flagdesk): a scheduled version reached its `live_from` but conflicts
 * with a change published after its base (D8), so it was not published. To environment webhooks.
 */
export const ScheduledVersionConflictDataSchema = Type.Object({
  version_uuid: Type.String({ description: 'The scheduled version that did not publish.' }),
  conflicting_version_uuid: Type.String({ description: 'The live version it conflicts with.' }),
  feature: Type.Object({ id: Type.Integer(), name: Type.String() }),
  environment: Type.Object({ id: Type.Integer(), name: Type.String(), api_key: Type.String() }),
  scheduled_for: Timestamp,
  change_request: Nullable(Type.Object({ id: Type.Integer(), title: Type.String() })),
  author: Nullable(Type.Object({ id: Type.Integer(), email: Type.String() })),
  detected_at: Timestamp,
});
export type ScheduledVersionConflictData = Static<typeof ScheduledVersionConflictDataSchema>;

/**
 * `RELEASE_PIPELINE_STAGE_ENTERED`, `RELEASE_PIPELINE_STAGE_TRIGGERED` and `RELEASE_PIPELINE_PROMOTED` data
 * (Flagdesk, issue 5): a feature entered a stage of a release pipeline, the stage's trigger fired (its
 * actions ran, or failed: `error`), or a version was promoted into the stage. To the environment webhooks
 * of the stage's environment.
 */
export const ReleasePipelineEventDataSchema = Type.Object({
  pipeline: Type.Object({ id: Type.Integer(), name: Type.String() }),
  stage: Type.Object({ id: Type.Integer(), name: Type.String(), order: Type.Integer() }),
  feature: Type.Object({ id: Type.Integer(), name: Type.String() }),
  environment: Type.Object({ id: Type.Integer(), name: Type.String(), api_key: Type.String() }),
  version_uuids: Type.Array(Type.String(), { description: 'Versions the step published on the stage’s environment.' }),
  source_version_uuid: Nullable(Type.String({ description: 'For a promotion: the promoted version.' })),
  error: Nullable(Type.String({ description: 'For a trigger whose actions failed: why.' })),
  actor: Nullable(Type.Object({ id: Type.Integer(), email: Type.String() })),
  occurred_at: Timestamp,
});
export type ReleasePipelineEventData = Static<typeof ReleasePipelineEventDataSchema>;

/**
 * The JSON body POSTed to a webhook: Flagsmith's `{event_type, data}` with keys sorted, plus delivery
 * metadata. Headers: `X-Flagsmith-Signature` (hex HMAC-SHA256 of the raw body with the webhook secret,
 * when one is set), `X-Flagdesk-Idempotency-Key`, `X-Flagdesk-Sequence`, `X-Flagdesk-Event-Type`.
 */
export const WebhookBodySchema = Type.Object({
  event_type: Type.Union(Object.values(WebhookEventType).map((t) => Type.Literal(t))),
  data: Type.Union([FlagUpdatedDataSchema, FlagDeletedDataSchema, NewVersionPublishedDataSchema, AuditLogCreatedDataSchema, ScheduledVersionConflictDataSchema, ReleasePipelineEventDataSchema]),
  sequence: Type.Integer({ description: 'Per environment (environment webhooks) or per organisation (organisation webhooks); increases with every event. Gaps are normal.' }),
  idempotency_key: Type.String({ description: 'Same on every retry of this delivery; receivers use it to drop duplicates.' }),
  event_id: Type.String({ description: 'Uuid of the event; the same for every webhook the event goes to.' }),
  created_at: Timestamp,
});
export type WebhookBody = Static<typeof WebhookBodySchema>;

// ---------------------------------------------------------------------------------------------------
// Webhook administration.
// ---------------------------------------------------------------------------------------------------

export const WebhookSchema = Type.Object(
  {
    id: Type.Integer(),
    url: Type.String(),
    enabled: Type.Boolean(),
    has_secret: Type.Boolean({ description: 'Whether payloads are signed. The secret itself is write-only.' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { description: 'An environment or organisation webhook (Flagsmith fields; `secret` is write-only here).' },
);
export type WebhookWire = Static<typeof WebhookSchema>;

const WebhookUrl = Type.String({ minLength: 1, maxLength: 200, description: 'http(s) URL that receives the POSTs.' });
const WebhookSecret = Nullable(Type.String({ maxLength: 255, description: 'HMAC key for `X-Flagsmith-Signature`; empty or null for unsigned payloads.' }));

export const WebhookCreateBody = Type.Object(
  {
    url: WebhookUrl,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    secret: Type.Optional(WebhookSecret),
  },
  { additionalProperties: false },
);
/** PUT: url required; an omitted secret keeps the stored one (it is never read back), `""` or null removes it. */
export const WebhookUpdateBody = WebhookCreateBody;
export const WebhookPatchBody = Type.Partial(WebhookCreateBody, { additionalProperties: false });
export type WebhookPatch = Static<typeof WebhookPatchBody>;

export const DeliveryAttemptSchema = Type.Object({
  attempt_number: Type.Integer(),
  started_at: Timestamp,
  status_code: Nullable(Type.Integer({ description: 'HTTP status of the answer; null when none came.' })),
  latency_ms: Type.Integer(),
  response_excerpt: Nullable(Type.String({ description: 'First 1 KiB of the response body.' })),
  error: Nullable(Type.String({ description: 'Connection error, timeout, or non-2xx status.' })),
  outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('retry'), Type.Literal('dead'), Type.Literal('abandoned')]),
  next_retry_at: Nullable(Timestamp),
});

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.Integer(),
    uuid: Type.String(),
    event_id: Type.String({ description: 'Uuid of the event.' }),
    event_type: Type.String(),
    sequence: Type.Integer(),
    idempotency_key: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivering'), Type.Literal('failed'), Type.Literal('succeeded'), Type.Literal('dead')], {
      description: 'pending: not tried yet (or waiting behind an earlier event); failed: will be retried at next_attempt_at; dead: gave up after max_attempts.',
    }),
    attempts: Type.Integer({ description: 'Attempts since the delivery was last queued.' }),
    max_attempts: Type.Integer(),
    next_attempt_at: Nullable(Timestamp),
    last_status_code: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
    payload: Type.Object({ event_type: Type.String(), data: Type.Unknown() }, { description: 'The event as sent (without delivery metadata).' }),
    attempt_log: Type.Array(DeliveryAttemptSchema, { description: 'Every attempt, newest first.' }),
  },
  { description: 'One event on its way to one webhook (Flagdesk addition).' },
);
export type WebhookDeliveryWire = Static<typeof WebhookDeliverySchema>;

const EnvParams = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100 }) });
const EnvWebhookParams = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100 }), id: IdParam });
const EnvDeliveryParams = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 100 }), id: IdParam, delivery_id: IdParam });
const OrgParams = Type.Object({ organisation_pk: IdParam });
const OrgWebhookParams = Type.Object({ organisation_pk: IdParam, id: IdParam });
const OrgDeliveryParams = Type.Object({ organisation_pk: IdParam, id: IdParam, delivery_id: IdParam });
const DeliveryQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivering'), Type.Literal('failed'), Type.Literal('succeeded'), Type.Literal('dead')])),
});

export const WebhookTestBody = Type.Object(
  {
    webhook_url: WebhookUrl,
    scope: Type.Object(
      {
        type: Type.Union([Type.Literal('environment'), Type.Literal('organisation')]),
        id: Type.Union([Type.Integer({ minimum: 1, maximum: 2147483647 }), Type.String({ minLength: 1, maxLength: 100 })], { description: 'Environment client-side key or id; organisation id.' }),
      },
      { additionalProperties: false },
    ),
    secret: Type.Optional(WebhookSecret),
  },
  { additionalProperties: false },
);

const ENV = 'Environment admin (or project / organisation admin).';
const ORG = 'Organisation admin.';

export const webhookRoutes = defineRoutes({
  listEnvironmentWebhooks: {
    method: 'GET', url: '/api/v1/environments/:api_key/webhooks/', tag: 'webhooks', auth: 'admin',
    summary: `The environment's webhooks. ${ENV}`,
    params: EnvParams, successStatus: 200, response: Type.Array(WebhookSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createEnvironmentWebhook: {
    method: 'POST', url: '/api/v1/environments/:api_key/webhooks/', tag: 'webhooks', auth: 'admin',
    summary: `Adds a webhook that receives FLAG_UPDATED, FLAG_DELETED, NEW_VERSION_PUBLISHED and SCHEDULED_VERSION_CONFLICT events of the environment. ${ENV}`,
    params: EnvParams, body: WebhookCreateBody, successStatus: 201, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateEnvironmentWebhook: {
    method: 'PUT', url: '/api/v1/environments/:api_key/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Replaces a webhook's url and enabled flag; an omitted secret is kept. ${ENV}`,
    params: EnvWebhookParams, body: WebhookUpdateBody, successStatus: 200, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateEnvironmentWebhook: {
    method: 'PATCH', url: '/api/v1/environments/:api_key/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Changes some of a webhook's fields (e.g. \`{"enabled": false}\`). ${ENV}`,
    params: EnvWebhookParams, body: WebhookPatchBody, successStatus: 200, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteEnvironmentWebhook: {
    method: 'DELETE', url: '/api/v1/environments/:api_key/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Removes a webhook and its pending deliveries. ${ENV}`,
    params: EnvWebhookParams, successStatus: 204, response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  listEnvironmentWebhookDeliveries: {
    method: 'GET', url: '/api/v1/environments/:api_key/webhooks/:id/deliveries/', tag: 'webhooks', auth: 'admin',
    summary: `Deliveries of a webhook with every attempt, newest first (Flagdesk addition). ${ENV}`,
    params: EnvWebhookParams, querystring: DeliveryQuery, successStatus: 200, response: Paginated(WebhookDeliverySchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  redeliverEnvironmentWebhookDelivery: {
    method: 'POST', url: '/api/v1/environments/:api_key/webhooks/:id/deliveries/:delivery_id/redeliver/', tag: 'webhooks', auth: 'admin',
    summary: `Queues a dead or failed delivery again, now, with the same idempotency key and body (Flagdesk addition). ${ENV}`,
    params: EnvDeliveryParams, successStatus: 202, response: WebhookDeliverySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  listOrganisationWebhooks: {
    method: 'GET', url: '/api/v1/organisations/:organisation_pk/webhooks/', tag: 'webhooks', auth: 'admin',
    summary: `The organisation's webhooks. ${ORG}`,
    params: OrgParams, successStatus: 200, response: Type.Array(WebhookSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createOrganisationWebhook: {
    method: 'POST', url: '/api/v1/organisations/:organisation_pk/webhooks/', tag: 'webhooks', auth: 'admin',
    summary: `Adds a webhook that receives FLAG_UPDATED and FLAG_DELETED of every environment and AUDIT_LOG_CREATED for every audit entry (the audit-log webhook). ${ORG}`,
    params: OrgParams, body: WebhookCreateBody, successStatus: 201, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateOrganisationWebhook: {
    method: 'PUT', url: '/api/v1/organisations/:organisation_pk/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Replaces a webhook's url and enabled flag; an omitted secret is kept. ${ORG}`,
    params: OrgWebhookParams, body: WebhookUpdateBody, successStatus: 200, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateOrganisationWebhook: {
    method: 'PATCH', url: '/api/v1/organisations/:organisation_pk/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Changes some of a webhook's fields. ${ORG}`,
    params: OrgWebhookParams, body: WebhookPatchBody, successStatus: 200, response: WebhookSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteOrganisationWebhook: {
    method: 'DELETE', url: '/api/v1/organisations/:organisation_pk/webhooks/:id/', tag: 'webhooks', auth: 'admin',
    summary: `Removes a webhook and its pending deliveries. ${ORG}`,
    params: OrgWebhookParams, successStatus: 204, response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  listOrganisationWebhookDeliveries: {
    method: 'GET', url: '/api/v1/organisations/:organisation_pk/webhooks/:id/deliveries/', tag: 'webhooks', auth: 'admin',
    summary: `Deliveries of an organisation webhook with every attempt, newest first (Flagdesk addition). ${ORG}`,
    params: OrgWebhookParams, querystring: DeliveryQuery, successStatus: 200, response: Paginated(WebhookDeliverySchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  redeliverOrganisationWebhookDelivery: {
    method: 'POST', url: '/api/v1/organisations/:organisation_pk/webhooks/:id/deliveries/:delivery_id/redeliver/', tag: 'webhooks', auth: 'admin',
    summary: `Queues a dead or failed delivery again, now, with the same idempotency key and body (Flagdesk addition). ${ORG}`,
    params: OrgDeliveryParams, successStatus: 202, response: WebhookDeliverySchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'PRECONDITION_FAILED'],
  },
  testWebhook: {
    method: 'POST', url: '/api/v1/webhooks/test/', tag: 'webhooks', auth: 'admin',
    summary: `Sends one sample event to a URL now (FLAG_UPDATED for an environment scope, AUDIT_LOG_CREATED for an organisation), signed with the secret when one is given, and reports the answer. Nothing is stored. Environment admin for an environment scope (id: its client-side key, or its numeric id); ${ORG.toLowerCase()} for an organisation scope. A non-2xx answer or no answer is a 400 PRECONDITION_FAILED with \`details.status\` and \`details.body\`.`,
    body: WebhookTestBody, successStatus: 200,
    response: Type.Object({ detail: Type.String(), status: Type.Integer({ description: 'HTTP status the receiver answered.' }) }),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED', 'PRECONDITION_FAILED'],
  },
});
