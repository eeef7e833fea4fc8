import type { DbExecutor } from '../../platform/database/database.js';
import type { WebhookFeatureState, VersionFeatureState } from '../../../src-shared/contracts/http/webhooks.contract.js';

/** Where a webhook listens: one environment, or a whole organisation. */
export type WebhookScope = { environmentId: number } | { organisationId: number };

export interface WebhookRecord {
  id: number;
  uuid: string;
  organisationId: number;
  environmentId: number | null;
  url: string;
  enabled: boolean;
  secret: string | null;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'failed' | 'succeeded' | 'dead';

export interface DeliveryAttemptRecord {
  attemptNumber: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  outcome: 'succeeded' | 'retry' | 'dead' | 'abandoned';
  nextRetryAt: string | null;
}

export interface DeliveryRecord {
  id: number;
  uuid: string;
  webhookId: number;
  eventUuid: string;
  eventType: string;
  eventData: unknown;
  eventCreatedAt: string;
  sequence: number;
  idempotencyKey: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** What the worker needs to send one delivery. */
export interface OutgoingDelivery extends DeliveryRecord {
  url: string;
  secret: string | null;
  lockedBy: string | null;
}

export interface NewDelivery {
  uuid: string;
  webhookId: number;
  sequence: number;
  idempotencyKey: string;
  maxAttempts: number;
}

export interface AttemptResult {
  deliveryId: number;
  workerId: string;
  startedAt: string;
  finishedAt: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
  outcome: 'succeeded' | 'retry' | 'dead';
  nextRetryAt: string | null;
}

/** Storage of webhooks, the event outbox and delivery attempts. */
export interface WebhooksStore {
  listWebhooks(scope: WebhookScope): Promise<WebhookRecord[]>;
  /** A webhook of exactly this scope (an organisation scope never finds an environment webhook). */
  findWebhook(id: number, scope: WebhookScope): Promise<WebhookRecord | undefined>;
  insertWebhook(trx: DbExecutor, row: Omit<WebhookRecord, 'id'>): Promise<WebhookRecord>;
  updateWebhook(trx: DbExecutor, id: number, patch: Partial<Pick<WebhookRecord, 'url' | 'enabled' | 'secret' | 'updatedAt'>>): Promise<void>;
  deleteWebhook(trx: DbExecutor, id: number): Promise<void>;

  // --- emission, inside the emitting transaction ---
  /** The organisation and project of an environment; undefined when it does not exist. */
  environmentOwner(trx: DbExecutor, environmentId: number): Promise<{ organisationId: number; projectId: number } | undefined>;
  /** Ids of the enabled webhooks of an environment, or the organisation-level ones of an organisation. */
  enabledWebhookIds(trx: DbExecutor, scope: WebhookScope): Promise<number[]>;
  /**
   * Advances and returns the scope's event sequence. Takes the row lock of the environment / organisation until
   * commit. Undefined when the row is gone (deleted earlier in this transaction, with its webhooks).
   */
  nextSequence(trx: DbExecutor, scope: WebhookScope): Promise<number | undefined>;
  insertEvent(trx: DbExecutor, row: { uuid: string; eventType: string; organisationId: number; environmentId: number | null; dataJson: string; createdAt: string }): Promise<number>;
  insertDeliveries(trx: DbExecutor, eventId: number, now: string, rows: NewDelivery[]): Promise<void>;
  /** Gives an event's deliveries to these webhooks their sequence number (organisation scope, taken at commit). */
  setDeliverySequence(trx: DbExecutor, eventId: number, webhookIds: readonly number[], sequence: number): Promise<void>;
  /** A feature state in the webhook shape, read inside the caller's transaction. */
  describeFeatureState(trx: DbExecutor, featureStateId: number): Promise<WebhookFeatureState | undefined>;
  /** The non-identity feature states of a version, in the NEW_VERSION_PUBLISHED shape. */
  describeVersionFeatureStates(trx: DbExecutor, versionUuid: string): Promise<VersionFeatureState[]>;
  featureName(trx: DbExecutor, featureId: number): Promise<string | undefined>;

  // --- the delivery worker ---
  /** Enabled webhooks whose head delivery (lowest undelivered sequence) is due, most overdue first. */
  dueWebhooks(options: { now: string; limit: number; excludeWebhookIds: number[] }): Promise<number[]>;
  /**
   * Claims, with a lease, up to `limit` deliveries of one webhook: the due prefix of its queue in
   * sequence order, starting at the head. Nothing when the head is not due (waiting for a retry, or in
   * flight with a live lease), so a webhook's events are only ever sent in order, by one worker at a time.
   */
  claimBatch(workerId: string, webhookId: number, options: { now: string; leaseUntil: string; limit: number }): Promise<OutgoingDelivery[]>;
  /**
   * Records an attempt and, if the worker still holds the lease, the delivery's new state; in the same
   * transaction extends the lease of the rest of the worker's batch (`renew`). False when the lease was
   * lost (another worker took the delivery over): the attempt is recorded as abandoned.
   */
  finishAttempt(result: AttemptResult, renew?: { ids: number[]; until: string }): Promise<boolean>;
  /** Gives back claimed deliveries that were not attempted (the batch stopped at a failure). */
  releaseClaims(workerId: string, ids: number[], now: string): Promise<void>;
  /** Deliveries not yet delivered and not dead (pending, in flight, or waiting for a retry): the outbox depth. */
  countUndeliveredDeliveries(): Promise<number>;

  // --- the deliveries API ---
  listDeliveries(webhookId: number, options: { offset: number; limit: number; status?: DeliveryStatus }): Promise<{ total: number; items: (DeliveryRecord & { attemptLog: DeliveryAttemptRecord[] })[] }>;
  findDelivery(webhookId: number, deliveryId: number): Promise<(DeliveryRecord & { attemptLog: DeliveryAttemptRecord[] }) | undefined>;
  /** Queues a dead or failed delivery again (attempts reset); false when it is in another state. */
  requeueDelivery(deliveryId: number, now: string): Promise<boolean>;
}
