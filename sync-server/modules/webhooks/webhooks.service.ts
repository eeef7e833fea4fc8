import type { Db } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { ADMIN } from '../../../src-shared/domain/permissions/permissions.js';
import { notFound, preconditionFailed, validationFailed } from '../../../src-shared/errors/app-error.js';
import type { WebhookDeliveryWire, WebhookWire } from '../../../src-shared/contracts/http/webhooks.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import { sendTestWebhook, type WebhookTestInput } from './webhook-test.js';
import type { DeliveryAttemptRecord, DeliveryRecord, DeliveryStatus, WebhookRecord, WebhookScope, WebhooksStore } from './webhooks.store.js';

/** Which webhooks a request is about: an environment's (by its API key) or an organisation's own. */
export type WebhookOwner = { environmentApiKey: string } | { organisationId: number };

export interface WebhookInput {
  url: string;
  enabled?: boolean | undefined;
  /** Omitted: keep (on update); `""` or null: none. */
  secret?: string | null | undefined;
}

/**
 * Environment and organisation webhooks, and their deliveries. Environment webhooks need environment
 * admin (or project / organisation admin); organisation webhooks need organisation admin. Secrets are
 * write-only: answers say `has_secret`, never the secret.
 */
export interface WebhooksService {
  list(p: Principal, owner: WebhookOwner): Promise<WebhookWire[]>;
  create(p: Principal, owner: WebhookOwner, input: WebhookInput): Promise<WebhookWire>;
  /** PUT (`partial: false`: url required, enabled defaults to true) or PATCH (`partial: true`). */
  update(p: Principal, owner: WebhookOwner, id: number, input: Partial<WebhookInput>, partial: boolean): Promise<WebhookWire>;
  remove(p: Principal, owner: WebhookOwner, id: number): Promise<void>;
  listDeliveries(p: Principal, owner: WebhookOwner, id: number, page: { offset: number; limit: number; status?: DeliveryStatus }): Promise<{ total: number; items: WebhookDeliveryWire[] }>;
  /** Sends one sample event to a URL now and reports the answer (webhook-test.ts); nothing is stored or audited. */
  test(p: Principal, input: WebhookTestInput): Promise<{ detail: string; status: number }>;
  /** Queues a dead or failed delivery again with the same idempotency key; PRECONDITION_FAILED otherwise. */
  redeliver(p: Principal, owner: WebhookOwner, id: number, deliveryId: number): Promise<WebhookDeliveryWire>;
}

export function toWebhookWire(w: WebhookRecord): WebhookWire {
  return { id: w.id, url: w.url, enabled: w.enabled, has_secret: Boolean(w.secret), created_at: w.createdAt, updated_at: w.updatedAt };
}

export function toDeliveryWire(d: DeliveryRecord & { attemptLog: DeliveryAttemptRecord[] }): WebhookDeliveryWire {
  const waiting = d.status === 'pending' || d.status === 'failed';
  return {
    id: d.id,
    uuid: d.uuid,
    event_id: d.eventUuid,
    event_type: d.eventType,
    sequence: d.sequence,
    idempotency_key: d.idempotencyKey,
    status: d.status,
    attempts: d.attempts,
    max_attempts: d.maxAttempts,
    next_attempt_at: waiting ? d.nextAttemptAt : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt,
    completed_at: d.completedAt,
    payload: { event_type: d.eventType, data: d.eventData },
    attempt_log: d.attemptLog.map((a) => ({
      attempt_number: a.attemptNumber,
      started_at: a.startedAt,
      status_code: a.statusCode,
      latency_ms: a.latencyMs,
      response_excerpt: a.responseExcerpt,
      error: a.error,
      outcome: a.outcome,
      next_retry_at: a.nextRetryAt,
    })),
  };
}

/** Accepts absolute http(s) URLs only; anything else is a 400 naming `url`. */
function checkUrl(url: string, field = 'body/url'): string {
  const trimmed = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw validationFailed(field, 'must be a valid absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw validationFailed(field, 'must use http or https');
  if (!parsed.hostname) throw validationFailed(field, 'must name a host');
  return trimmed;
}

function secretOf(secret: string | null | undefined): string | null {
  return secret === undefined || secret === null || secret === '' ? null : secret;
}

export function createWebhooksService(deps: { db: Db; clock: Clock; store: WebhooksStore; access: AccessService; audit: AuditService; nudge: () => void; testTimeoutMs?: number }): WebhooksService {
  const { db, clock, store, access, audit } = deps;

  /** Checks the caller may manage the owner's webhooks; returns the storage scope and the audit context. */
  async function resolve(p: Principal, owner: WebhookOwner): Promise<{ scope: WebhookScope; organisationId: number; projectId: number | null; environmentId: number | null }> {
    if ('environmentApiKey' in owner) {
      const env = await access.assertEnvironmentByApiKey(p, owner.environmentApiKey, ADMIN);
      return { scope: { environmentId: env.environmentId }, organisationId: env.organisationId, projectId: env.projectId, environmentId: env.environmentId };
    }
    await access.assertOrganisation(p, owner.organisationId, ADMIN);
    return { scope: { organisationId: owner.organisationId }, organisationId: owner.organisationId, projectId: null, environmentId: null };
  }

  async function findOrThrow(id: number, scope: WebhookScope): Promise<WebhookRecord> {
    const w = await store.findWebhook(id, scope);
    if (!w) throw notFound('Webhook');
    return w;
  }

  function kind(scope: WebhookScope): string {
    return 'environmentId' in scope ? 'Environment webhook' : 'Organisation webhook';
  }

  return {
    async list(p, owner) {
      const { scope } = await resolve(p, owner);
      return (await store.listWebhooks(scope)).map(toWebhookWire);
    },
    async create(p, owner, input) {
      const ctx = await resolve(p, owner);
      const url = checkUrl(input.url);
      const now = clock.now().toISOString();
      return db.transaction(async (trx) => {
        const created = await store.insertWebhook(trx, {
          uuid: generateUuid(),
          organisationId: ctx.organisationId,
          environmentId: ctx.environmentId,
          url,
          enabled: input.enabled ?? true,
          secret: secretOf(input.secret),
          createdAt: now,
          updatedAt: now,
        });
        await audit.record(trx, p, { organisationId: ctx.organisationId, projectId: ctx.projectId, environmentId: ctx.environmentId, log: `${kind(ctx.scope)} created: ${url}`, relatedObjectType: AuditObjectType.WEBHOOK, relatedObjectId: created.id });
        return toWebhookWire(created);
      });
    },
    async update(p, owner, id, input, partial) {
      const ctx = await resolve(p, owner);
      const existing = await findOrThrow(id, ctx.scope);
      if (!partial && input.url === undefined) throw validationFailed('body/url', 'is required');
      const url = input.url === undefined ? undefined : checkUrl(input.url);
      const enabled = input.enabled ?? (partial ? undefined : true);
      const now = clock.now().toISOString();
      const patch = { url, enabled, ...(input.secret !== undefined ? { secret: secretOf(input.secret) } : {}), updatedAt: now };
      const updated = await db.transaction(async (trx) => {
        await store.updateWebhook(trx, id, patch);
        await audit.record(trx, p, { organisationId: ctx.organisationId, projectId: ctx.projectId, environmentId: ctx.environmentId, log: `${kind(ctx.scope)} updated: ${url ?? existing.url}`, relatedObjectType: AuditObjectType.WEBHOOK, relatedObjectId: id });
        return { ...existing, ...(url !== undefined ? { url } : {}), ...(enabled !== undefined ? { enabled } : {}), ...('secret' in patch ? { secret: patch.secret ?? null } : {}), updatedAt: now };
      });
      // Re-enabling releases deliveries that waited while the webhook was off.
      if (updated.enabled && !existing.enabled) deps.nudge();
      return toWebhookWire(updated);
    },
    async remove(p, owner, id) {
      const ctx = await resolve(p, owner);
      const existing = await findOrThrow(id, ctx.scope);
      await db.transaction(async (trx) => {
        await store.deleteWebhook(trx, id);
        await audit.record(trx, p, { organisationId: ctx.organisationId, projectId: ctx.projectId, environmentId: ctx.environmentId, log: `${kind(ctx.scope)} deleted: ${existing.url}`, relatedObjectType: AuditObjectType.WEBHOOK, relatedObjectId: id });
      });
    },
    async listDeliveries(p, owner, id, page) {
      const { scope } = await resolve(p, owner);
      await findOrThrow(id, scope);
      const { total, items } = await store.listDeliveries(id, page);
      return { total, items: items.map(toDeliveryWire) };
    },
    async test(p, input) {
      const { id, type } = input.scope;
      let organisationId: number;
      if (type === 'organisation') {
        organisationId = typeof id === 'number' ? id : Number.parseInt(id, 10);
        if (!Number.isSafeInteger(organisationId) || organisationId < 1) throw validationFailed('body/scope/id', 'must be an organisation id');
        await access.assertOrganisation(p, organisationId, ADMIN);
      } else {
        organisationId = (typeof id === 'number' ? await access.assertEnvironment(p, id, ADMIN) : await access.assertEnvironmentByApiKey(p, id, ADMIN)).organisationId;
      }
      return sendTestWebhook({ url: checkUrl(input.webhook_url, 'body/webhook_url'), secret: secretOf(input.secret), scopeType: type, organisationId, now: clock.now().toISOString(), timeoutMs: deps.testTimeoutMs ?? 10_000 });
    },
    async redeliver(p, owner, id, deliveryId) {
      const { scope } = await resolve(p, owner);
      await findOrThrow(id, scope);
      const delivery = await store.findDelivery(id, deliveryId);
      if (!delivery) throw notFound('Delivery');
      if (!(await store.requeueDelivery(deliveryId, clock.now().toISOString()))) {
        throw preconditionFailed(`Only dead or failed deliveries can be redelivered; this one is ${delivery.status}.`, { reason: 'DELIVERY_NOT_REDELIVERABLE', status: delivery.status });
      }
      deps.nudge();
      const requeued = await store.findDelivery(id, deliveryId);
      if (!requeued) throw notFound('Delivery');
      return toDeliveryWire(requeued);
    },
  };
}
