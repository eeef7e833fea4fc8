import { afterCommit, beforeCommit, type DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import {
  WebhookEventType,
  type FlagDeletedData,
  type FlagUpdatedData,
  type NewVersionPublishedData,
  type ScheduledVersionConflictData,
  type VersionFeatureState,
  type WebhookFeatureState,
} from '../../../src-shared/contracts/http/webhooks.contract.js';
import type { AuditLogWire } from '../../../src-shared/contracts/http/audit.contract.js';
import type { Principal } from '../access/principal.js';
import type { NewDelivery, WebhookScope, WebhooksStore } from './webhooks.store.js';

/** Which webhooks an event goes to. */
export type EventDestinations = 'environment' | 'environment+organisation' | 'organisation';

export interface EmitInput {
  /** The environment the event is about, or (for organisation-only events) the organisation. */
  scope: { environmentId: number } | { organisationId: number };
  eventType: WebhookEventType;
  /** The `data` member of the webhook body; must be JSON. */
  data: unknown;
  /** Default: `environment` for an environment scope, `organisation` for an organisation scope. */
  destinations?: EventDestinations;
}

export interface EmitResult {
  /** Uuid of the stored event; null when no enabled webhook was listening (nothing is stored then). */
  eventId: string | null;
  deliveries: number;
}

/**
 * The outbox of webhook events (D3). Every method runs inside the caller's write transaction: the event
 * and one delivery row per enabled destination webhook commit (or roll back) with the change that
 * caused them, and the delivery worker sends them after commit. Each delivery carries an idempotency
 * key and its scope's sequence number (per environment for environment webhooks, per organisation for
 * organisation webhooks), taken under the environment / organisation row lock so the order of sequence
 * numbers is the commit order.
 */
export interface EventsService {
  emit(trx: DbExecutor, input: EmitInput): Promise<EmitResult>;

  /**
   * `FLAG_UPDATED` to environment and organisation webhooks. Call once per v1 save, once per changed
   * feature state of a published v2 version, and for identity overrides (same shape on v1 and v2).
   * Describe the states with `describeFeatureState` before and after the write.
   */
  emitFlagUpdated(trx: DbExecutor, input: { environmentId: number; newState: WebhookFeatureState; previousState: WebhookFeatureState | null; changedBy: Principal | null }): Promise<EmitResult>;
  /** `FLAG_DELETED` to environment and organisation webhooks; describe the state before deleting it. */
  emitFlagDeleted(trx: DbExecutor, input: { environmentId: number; previousState: WebhookFeatureState; changedBy: Principal | null }): Promise<EmitResult>;
  /**
   * `NEW_VERSION_PUBLISHED` to environment webhooks only, once per published version. Feature states are
   * read from the version (its non-identity states) unless given. For a scheduled version, call it in
   * the transaction that makes it live (at `live_from`), not when it is scheduled.
   */
  emitNewVersionPublished(
    trx: DbExecutor,
    input: { environmentId: number; versionUuid: string; featureId: number; publishedBy: Principal | null; featureStates?: VersionFeatureState[] },
  ): Promise<EmitResult>;
  /** `AUDIT_LOG_CREATED` to organisation webhooks (the audit-log webhook). The audit service calls it for every entry. */
  emitAuditLogCreated(trx: DbExecutor, input: { organisationId: number; entry: AuditLogWire }): Promise<EmitResult>;
  /** `SCHEDULED_VERSION_CONFLICT` (Flagdesk) to environment webhooks. */
  emitScheduledVersionConflict(trx: DbExecutor, input: { environmentId: number; data: ScheduledVersionConflictData }): Promise<EmitResult>;

  /** A feature state in the webhook shape (environment default, segment override or identity override). */
  describeFeatureState(trx: DbExecutor, featureStateId: number): Promise<WebhookFeatureState | undefined>;
  /** True when the organisation has an enabled organisation webhook (saves building payloads nobody receives). */
  hasOrganisationWebhooks(trx: DbExecutor, organisationId: number): Promise<boolean>;
}

/** `changed_by` as Flagsmith fills it: the user's email, or the API key's name. */
function changedBy(p: Principal | null): string {
  if (!p) return '';
  return p.kind === 'user' ? p.email : p.name;
}

export function createEventsService(store: WebhooksStore, clock: Clock, options: { maxAttempts: number; nudge: () => void }): EventsService {
  async function emit(trx: DbExecutor, input: EmitInput): Promise<EmitResult> {
    const isEnvironment = 'environmentId' in input.scope;
    const destinations = input.destinations ?? (isEnvironment ? 'environment' : 'organisation');
    let organisationId: number;
    let environmentId: number | null = null;
    if ('environmentId' in input.scope) {
      environmentId = input.scope.environmentId;
      const owner = await store.environmentOwner(trx, environmentId);
      if (!owner) throw new Error(`Invariant violated: event ${input.eventType} for unknown environment ${environmentId}`);
      organisationId = owner.organisationId;
    } else {
      if (destinations !== 'organisation') throw new Error(`Invariant violated: ${destinations} events need an environment scope`);
      organisationId = input.scope.organisationId;
    }

    const targets: { scope: WebhookScope; webhookIds: number[] }[] = [];
    if (environmentId !== null && destinations !== 'organisation') targets.push({ scope: { environmentId }, webhookIds: await store.enabledWebhookIds(trx, { environmentId }) });
    if (destinations !== 'environment') targets.push({ scope: { organisationId }, webhookIds: await store.enabledWebhookIds(trx, { organisationId }) });
    if (targets.every((t) => t.webhookIds.length === 0)) return { eventId: null, deliveries: 0 };

    const now = clock.now().toISOString();
    const eventUuid = generateUuid();
    const eventId = await store.insertEvent(trx, { uuid: eventUuid, eventType: input.eventType, organisationId, environmentId, dataJson: JSON.stringify(input.data), createdAt: now });
    const rows: NewDelivery[] = [];
    let organisationTarget: { scope: WebhookScope; webhookIds: number[] } | undefined;
    for (const target of targets) {
      if (target.webhookIds.length === 0) continue;
      if ('environmentId' in target.scope) {
        const sequence = await store.nextSequence(trx, target.scope);
        if (sequence === undefined) throw new Error(`Invariant violated: event ${input.eventType} for a missing environment`);
        for (const webhookId of target.webhookIds) rows.push({ uuid: generateUuid(), webhookId, sequence, idempotencyKey: generateUuid(), maxAttempts: options.maxAttempts });
      } else {
        // The organisation's counter is on the organisation row, which writers lock last, at commit (as the
        // audit chain does): taking it here, mid-transaction, would let two writers lock environment and
        // organisation in opposite orders. Until then the rows carry a provisional, unique negative number;
        // nothing reads them before the commit.
        organisationTarget = target;
        for (const webhookId of target.webhookIds) rows.push({ uuid: generateUuid(), webhookId, sequence: -eventId, idempotencyKey: generateUuid(), maxAttempts: options.maxAttempts });
      }
    }
    await store.insertDeliveries(trx, eventId, now, rows);
    if (organisationTarget) {
      const { scope, webhookIds } = organisationTarget;
      await beforeCommit(trx, async () => {
        const sequence = await store.nextSequence(trx, scope);
        // The organisation was deleted later in this transaction: these deliveries went with its webhooks.
        if (sequence !== undefined) await store.setDeliverySequence(trx, eventId, webhookIds, sequence);
      });
    }
    afterCommit(trx, options.nudge);
    return { eventId: eventUuid, deliveries: rows.length };
  }

  return {
    emit,
    async emitFlagUpdated(trx, input) {
      const data: FlagUpdatedData = { new_state: input.newState, previous_state: input.previousState, changed_by: changedBy(input.changedBy), timestamp: clock.now().toISOString() };
      return emit(trx, { scope: { environmentId: input.environmentId }, eventType: WebhookEventType.FLAG_UPDATED, data, destinations: 'environment+organisation' });
    },
    async emitFlagDeleted(trx, input) {
      const data: FlagDeletedData = { new_state: null, previous_state: input.previousState, changed_by: changedBy(input.changedBy), timestamp: clock.now().toISOString() };
      return emit(trx, { scope: { environmentId: input.environmentId }, eventType: WebhookEventType.FLAG_DELETED, data, destinations: 'environment+organisation' });
    },
    async emitNewVersionPublished(trx, input) {
      const featureName = (await store.featureName(trx, input.featureId)) ?? '';
      const p = input.publishedBy;
      const data: NewVersionPublishedData = {
        uuid: input.versionUuid,
        feature: { id: input.featureId, name: featureName },
        environment_id: input.environmentId,
        published_by: p === null ? null : p.kind === 'user' ? { id: p.userId, email: p.email } : { api_key: { id: p.apiKeyId, name: p.name } },
        feature_states: input.featureStates ?? (await store.describeVersionFeatureStates(trx, input.versionUuid)),
      };
      return emit(trx, { scope: { environmentId: input.environmentId }, eventType: WebhookEventType.NEW_VERSION_PUBLISHED, data, destinations: 'environment' });
    },
    async emitAuditLogCreated(trx, input) {
      return emit(trx, { scope: { organisationId: input.organisationId }, eventType: WebhookEventType.AUDIT_LOG_CREATED, data: input.entry, destinations: 'organisation' });
    },
    async emitScheduledVersionConflict(trx, input) {
      return emit(trx, { scope: { environmentId: input.environmentId }, eventType: WebhookEventType.SCHEDULED_VERSION_CONFLICT, data: input.data, destinations: 'environment' });
    },
    describeFeatureState: (trx, id) => store.describeFeatureState(trx, id),
    async hasOrganisationWebhooks(trx, organisationId) {
      return (await store.enabledWebhookIds(trx, { organisationId })).length > 0;
    },
  };
}
