import type { ColumnType, Generated } from 'kysely';

/**
 * Kysely table types. They mirror the migrations in `platform/migrations`; a store maps rows to the
 * wire shapes defined by the TypeBox contracts in src-shared.
 *
 * Portable conventions (SQLite and PostgreSQL run the same queries):
 * - booleans are `boolean` on PostgreSQL and 0/1 on SQLite; read them with `Boolean(x)`;
 * - timestamps are ISO-8601 UTC strings (`2026-11-24T10:00:00.000Z`), which sort as text;
 * - JSON documents are text columns named `*_json`.
 */
type Bool = ColumnType<boolean | number, boolean, boolean>;
type Id = Generated<number>;

export interface OrganisationsTable {
  id: Id;
  uuid: string;
  name: string;
  persist_trait_data: Bool;
  stop_serving_flags: Bool;
  plan_name: string;
  /** Plan limit; see spec "Plan-limit accounting". */
  max_segment_overrides_per_environment: number;
  /** Plan limit; null means unlimited history. */
  feature_history_visibility_days: number | null;
  created_at: string;
  /** Last sequence number given to an organisation-scoped webhook event (migration 0003). */
  event_sequence: Generated<number>;
  /** Number of entries in the organisation's audit hash chain, and the hash of the newest one. */
  audit_chain_length: Generated<number>;
  audit_head_hash: string | null;
}

export interface UsersTable {
  id: Id;
  uuid: string;
  email: string;
  first_name: string;
  last_name: string;
  /** scrypt hash, `scrypt$N$r$p$salt$hash`. */
  password_hash: string;
  is_active: Bool;
  created_at: string;
}

export interface OrganisationUsersTable {
  organisation_id: number;
  user_id: number;
  role: 'ADMIN' | 'USER';
  created_at: string;
}

export interface AuthTokensTable {
  id: Id;
  user_id: number;
  /** SHA-256 of the token; the token itself is never stored. */
  key_hash: string;
  created_at: string;
}

export interface OrganisationApiKeysTable {
  id: Id;
  organisation_id: number;
  name: string;
  /** Public prefix shown in lists and used in URLs. */
  prefix: string;
  key_hash: string;
  is_admin: Bool;
  revoked: Bool;
  created_at: string;
  expires_at: string | null;
}

export interface ProjectsTable {
  id: Id;
  uuid: string;
  organisation_id: number;
  name: string;
  hide_disabled_flags: Bool;
  created_at: string;
}

export interface UserProjectPermissionsTable {
  id: Id;
  project_id: number;
  user_id: number;
  admin: Bool;
  /** JSON array of project permission keys. */
  permissions_json: string;
}

export interface EnvironmentsTable {
  id: Id;
  uuid: string;
  project_id: number;
  name: string;
  description: string | null;
  /** Public client-side SDK key; also the environment's URL key in the Admin API. */
  api_key: string;
  use_v2_feature_versioning: Bool;
  minimum_change_request_approvals: number | null;
  allow_client_traits: Bool;
  hide_disabled_flags: Bool | null;
  /** Bumped in the same transaction as every write that changes the environment document. */
  document_revision: number;
  created_at: string;
  updated_at: string;
  /** Last sequence number given to an environment-scoped webhook event (migration 0003). */
  event_sequence: Generated<number>;
  /** `v1`, `enabling`, `v2`, `disabling` or `failed`: where the v1 ↔ v2 migration job is (migration 0007). */
  versioning_status: Generated<string>;
  /** Progress of the running migration job, `{done, total}` as JSON; null when none runs. */
  versioning_progress_json: string | null;
}

export interface EnvironmentApiKeysTable {
  id: Id;
  environment_id: number;
  name: string;
  /** Shown prefix, e.g. `ser.AbCd`. */
  prefix: string;
  key_hash: string;
  active: Bool;
  created_at: string;
  expires_at: string | null;
}

export interface UserEnvironmentPermissionsTable {
  id: Id;
  environment_id: number;
  user_id: number;
  admin: Bool;
  permissions_json: string;
}

export interface FeaturesTable {
  id: Id;
  uuid: string;
  project_id: number;
  name: string;
  type: 'STANDARD' | 'MULTIVARIATE';
  initial_value: string | null;
  default_enabled: Bool;
  description: string | null;
  is_archived: Bool;
  is_server_key_only: Bool;
  created_at: string;
}

export interface MultivariateOptionsTable {
  id: Id;
  uuid: string;
  feature_id: number;
  type: 'unicode' | 'int' | 'bool';
  string_value: string | null;
  integer_value: number | null;
  boolean_value: Bool | null;
  default_percentage_allocation: number;
}

export interface SegmentsTable {
  id: Id;
  uuid: string;
  project_id: number;
  /** Set for feature-specific segments. */
  feature_id: number | null;
  name: string;
  description: string | null;
  /** JSON of the nested rules/conditions as the Admin API gives them (with assigned ids). */
  rules_json: string;
  created_at: string;
  updated_at: string;
}

export interface FeatureSegmentsTable {
  id: Id;
  uuid: string;
  feature_id: number;
  segment_id: number;
  environment_id: number;
  /** Lower number wins among matching segments. */
  priority: number;
  /** The version this override belongs to on a v2 environment; null on v1. */
  environment_feature_version_uuid: string | null;
  created_at: string;
}

export interface IdentitiesTable {
  id: Id;
  uuid: string;
  identifier: string;
  environment_id: number;
  created_at: string;
}

export interface TraitsTable {
  id: Id;
  identity_id: number;
  trait_key: string;
  /** JSON-encoded trait value, keeping its type (string, integer, float, boolean). */
  value_json: string;
  created_at: string;
}

export interface FeatureStatesTable {
  id: Id;
  uuid: string;
  feature_id: number;
  environment_id: number;
  identity_id: number | null;
  feature_segment_id: number | null;
  enabled: Bool;
  value_type: 'unicode' | 'int' | 'bool';
  string_value: string | null;
  integer_value: number | null;
  boolean_value: Bool | null;
  /** v1 version counter (Flagsmith's FeatureState.version); null for drafts. */
  version: number | null;
  live_from: string | null;
  environment_feature_version_uuid: string | null;
  /**
   * Multivariate bucketing seed (Flagsmith's `mv_hashing_salt`): the id of the first state of this
   * lineage (environment, feature, segment or default); null for identity overrides (their own id).
   */
  mv_hashing_salt: number | null;
  created_at: string;
  updated_at: string;
}

export interface MultivariateFeatureStateValuesTable {
  id: Id;
  uuid: string;
  feature_state_id: number;
  multivariate_option_id: number;
  percentage_allocation: number;
}

export interface AuditLogTable {
  id: Id;
  uuid: string;
  organisation_id: number;
  project_id: number | null;
  environment_id: number | null;
  log: string;
  author_user_id: number | null;
  author_api_key_id: number | null;
  related_object_type: string;
  related_object_id: number | null;
  related_object_uuid: string | null;
  created_at: string;
  is_system_event: ColumnType<boolean | number, boolean | undefined, boolean>;
  /** Position in the organisation's hash chain (1-based), the previous entry's hash and this entry's hash. */
  chain_seq: number | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface JobsTable {
  id: Id;
  /** Handler name, dotted lowercase (`webhook.deliver`, `versioning.enable-v2`). */
  kind: string;
  payload_json: string;
  /** Enqueueing the same key twice creates one job. */
  idempotency_key: string | null;
  /** Not before this time. */
  run_at: string;
  status: 'pending' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  /** Worker that holds the job and until when; an expired lease makes it claimable again (crash recovery). */
  locked_by: string | null;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** An environment webhook (`environment_id` set) or an organisation webhook (`environment_id` null). */
export interface WebhooksTable {
  id: Id;
  uuid: string;
  organisation_id: number;
  environment_id: number | null;
  url: string;
  enabled: Bool;
  /** HMAC key for `X-Flagsmith-Signature`; stored usable, see docs/adr/0004-webhook-delivery.md. */
  secret: string | null;
  created_at: string;
  updated_at: string;
}

/** One emitted event; its deliveries fan it out to webhooks. */
export interface EventsTable {
  id: Id;
  uuid: string;
  event_type: string;
  organisation_id: number;
  environment_id: number | null;
  /** The `data` member of the webhook body. */
  data_json: string;
  created_at: string;
}

/** The outbox: one row per (event, destination webhook), written in the transaction that emitted the event. */
export interface WebhookDeliveriesTable {
  id: Id;
  uuid: string;
  webhook_id: number;
  event_id: number;
  /** Per-environment (environment webhooks) or per-organisation (organisation webhooks) event sequence. */
  sequence: number;
  idempotency_key: string;
  status: 'pending' | 'delivering' | 'failed' | 'succeeded' | 'dead';
  /** Attempts since the delivery was (re)queued. */
  attempts: number;
  max_attempts: number;
  next_attempt_at: string;
  locked_by: string | null;
  locked_until: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface WebhookDeliveryAttemptsTable {
  id: Id;
  delivery_id: number;
  /** Counts every attempt of the delivery, across redeliveries. */
  attempt_number: number;
  worker_id: string;
  started_at: string;
  status_code: number | null;
  latency_ms: number;
  /** At most 1 KiB of the response body. */
  response_excerpt: string | null;
  error: string | null;
  outcome: 'succeeded' | 'retry' | 'dead' | 'abandoned';
  next_retry_at: string | null;
}

export interface EmailsTable {
  id: Id;
  uuid: string;
  organisation_id: number | null;
  /** JSON array of recipient addresses. */
  to_json: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  /** `queued` until the job runs; then `sent` (SMTP) or `stored` (no SMTP configured: kept here and logged). */
  status: 'queued' | 'sent' | 'stored' | 'failed';
  transport: 'smtp' | 'database' | null;
  message_id: string | null;
  error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
}

/** A feature's version in an environment (ADR 0005, migration 0007). */
export interface EnvironmentFeatureVersionsTable {
  id: Id;
  uuid: string;
  environment_id: number;
  feature_id: number;
  status: 'draft' | 'scheduled' | 'published' | 'conflict';
  description: string | null;
  /** Canonical `VersionContent` JSON (src-shared/domain/versioning). */
  content_json: string;
  content_hash: string;
  /** Base64 Yjs state of a draft; null once published. */
  draft_state: string | null;
  base_version_uuid: string | null;
  previous_version_uuid: string | null;
  /** Three-way detail of a scheduled version that could not go live. */
  conflict_json: string | null;
  change_request_id: number | null;
  live_from: string | null;
  /** Go-live order per (environment, feature): the live version is the greatest (live_from, live_seq). */
  live_seq: number | null;
  published_at: string | null;
  created_by_user_id: number | null;
  created_by_api_key_id: number | null;
  published_by_user_id: number | null;
  published_by_api_key_id: number | null;
  created_at: string;
  updated_at: string;
}

/** A release pipeline of a project (issue 5 item 5, migration 0009). */
export interface ReleasePipelinesTable {
  id: Id;
  project_id: number;
  name: string;
  description: string | null;
  published_at: string | null;
  published_by_user_id: number | null;
  created_at: string;
  updated_at: string;
}

/** A stage of a release pipeline: an environment, a trigger and actions (JSON). */
export interface ReleasePipelineStagesTable {
  id: Id;
  pipeline_id: number;
  name: string;
  stage_order: number;
  environment_id: number;
  trigger_type: string;
  /** The wait of a WAIT_FOR trigger; null for ON_ENTER. */
  wait_seconds: number | null;
  actions_json: string;
  created_at: string;
}

/** A feature in a release pipeline, and the stage it is in. */
export interface ReleasePipelineFeaturesTable {
  id: Id;
  pipeline_id: number;
  feature_id: number;
  stage_id: number;
  entered_at: string;
  entered_by_user_id: number | null;
  entered_by_api_key_id: number | null;
  /** Set while a wait trigger is pending. */
  trigger_due_at: string | null;
  triggered_at: string | null;
  trigger_error: string | null;
  created_at: string;
}

/** Per feature in a pipeline and stage: the merge base of promotions into that stage. */
export interface ReleasePipelineStageBasesTable {
  id: Id;
  pipeline_feature_id: number;
  stage_id: number;
  base_version_uuid: string | null;
  received_version_uuid: string | null;
}

/** The change feed's counter (one row, id 1): the last sequence given to a replicated change (migration 0010, ADR 0006). */
export interface SyncCounterTable {
  id: number;
  value: number;
}

/** The latest change of each replicated document, written by triggers in the writing transaction (ADR 0006). */
export interface SyncChangesTable {
  collection: string;
  /** The document's primary key in its collection (a uuid, or `user:<id>` for access changes). */
  doc_id: string;
  /** Commit-ordered change sequence; null only inside the writing transaction on PostgreSQL. */
  seq: number | null;
  organisation_id: number | null;
  project_id: number | null;
  environment_id: number | null;
  /** Set for per-user documents (intents) and access changes. */
  user_id: number | null;
  deleted: Bool;
}

/** A command a replica queued while offline, with the result of running it on arrival (migration 0010). */
export interface SyncIntentsTable {
  /** The replica's document id (a uuid). */
  id: string;
  user_id: number | null;
  api_key_id: number | null;
  organisation_id: number;
  project_id: number;
  environment_id: number;
  kind: string;
  payload_json: string;
  status: string;
  result_json: string | null;
  created_at: string;
  received_at: string;
  updated_at: string;
}

/** A change request (issue 5, migration 0008). */
export interface ChangeRequestsTable {
  id: Id;
  uuid: string;
  environment_id: number;
  title: string;
  description: string | null;
  author_user_id: number | null;
  author_api_key_id: number | null;
  committed_at: string | null;
  committed_by_user_id: number | null;
  created_at: string;
  updated_at: string;
}

/** One feature's change in a change request: its content against its base version. */
export interface ChangeRequestChangeSetsTable {
  id: Id;
  change_request_id: number;
  feature_id: number;
  live_from: string | null;
  base_version_uuid: string | null;
  content_json: string;
  content_hash: string;
  version_uuid: string | null;
  conflict_json: string | null;
  created_at: string;
  updated_at: string;
}

/** An approval, bound to the content it saw (`content_hash`). */
export interface ChangeRequestApprovalsTable {
  id: Id;
  change_request_id: number;
  user_id: number;
  approved_at: string;
  content_hash: string;
  content_json: string;
}

export interface ChangeRequestAssigneesTable {
  id: Id;
  change_request_id: number;
  user_id: number;
  created_at: string;
}

export interface Database {
  organisations: OrganisationsTable;
  users: UsersTable;
  organisation_users: OrganisationUsersTable;
  auth_tokens: AuthTokensTable;
  organisation_api_keys: OrganisationApiKeysTable;
  projects: ProjectsTable;
  user_project_permissions: UserProjectPermissionsTable;
  environments: EnvironmentsTable;
  environment_api_keys: EnvironmentApiKeysTable;
  user_environment_permissions: UserEnvironmentPermissionsTable;
  features: FeaturesTable;
  multivariate_options: MultivariateOptionsTable;
  segments: SegmentsTable;
  feature_segments: FeatureSegmentsTable;
  identities: IdentitiesTable;
  traits: TraitsTable;
  feature_states: FeatureStatesTable;
  multivariate_feature_state_values: MultivariateFeatureStateValuesTable;
  audit_log: AuditLogTable;
  jobs: JobsTable;
  webhooks: WebhooksTable;
  events: EventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  emails: EmailsTable;
  environment_feature_versions: EnvironmentFeatureVersionsTable;
  change_requests: ChangeRequestsTable;
  change_request_change_sets: ChangeRequestChangeSetsTable;
  change_request_approvals: ChangeRequestApprovalsTable;
  change_request_assignees: ChangeRequestAssigneesTable;
  sync_counter: SyncCounterTable;
  sync_changes: SyncChangesTable;
  sync_intents: SyncIntentsTable;
  release_pipelines: ReleasePipelinesTable;
  release_pipeline_stages: ReleasePipelineStagesTable;
  release_pipeline_features: ReleasePipelineFeaturesTable;
  release_pipeline_stage_bases: ReleasePipelineStageBasesTable;
}
