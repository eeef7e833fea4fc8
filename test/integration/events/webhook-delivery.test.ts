import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';
import { resolveDeliveryOptions, WebhookDeliveryWorker } from '../../../sync-server/modules/webhooks/webhook-delivery.worker.js';
import { createSqlWebhooksStore } from '../../../sync-server/modules/webhooks/webhooks.store.sql.js';
import type { Principal } from '../../../sync-server/modules/access/principal.js';

const WEBHOOKS = { timeoutMs: 1500, backoffBaseMs: 1000, maxAttempts: 4, leaseMs: 30_000, random: () => 0.5 };

describe.each(DIALECTS)('webhook delivery to real receivers on %s', (dialect) => {
  let api: TestApi;
  let fx: ReturnType<typeof eventsFixtures>;
  let env: { id: number; apiKey: string };
  let featureStateId: number;
  let admin: Principal;
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver().start();
    receivers.push(r);
    return r;
  }
  async function envHook(url: string, secret?: string): Promise<number> {
    const r = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url, ...(secret ? { secret } : {}) } });
    expect(r.status).toBe(201);
    return r.body.id;
  }
  async function orgHook(url: string, secret?: string): Promise<number> {
    const r = await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url, ...(secret ? { secret } : {}) } });
    expect(r.status).toBe(201);
    return r.body.id;
  }
  /** What the feature-states service does on a v1 save: write, FLAG_UPDATED, audit entry, one transaction. */
  async function saveFlag(enabled: boolean, value: string): Promise<void> {
    const { events, audit } = api.built.services;
    await api.testDb.db.transaction(async (trx) => {
      const previous = await events.describeFeatureState(trx, featureStateId);
      await trx.updateTable('feature_states').set({ enabled, string_value: value }).where('id', '=', featureStateId).execute();
      const next = await events.describeFeatureState(trx, featureStateId);
      await events.emitFlagUpdated(trx, { environmentId: env.id, newState: next!, previousState: previous!, changedBy: admin });
      await audit.record(trx, admin, { organisationId: api.organisationId, environmentId: env.id, log: 'Flag state updated for feature: beta', relatedObjectType: 'FEATURE_STATE', relatedObjectId: featureStateId });
    });
  }
  async function emit(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await api.testDb.db.transaction((trx) => api.built.services.events.emit(trx, { scope: { environmentId: env.id }, eventType: 'FLAG_UPDATED', data: { i } }));
    }
  }
  const runOnce = () => api.built.services.jobs.runOnce();
  const deliveries = async (webhookId: number, query: Record<string, string | number> = {}) =>
    (await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: webhookId }, query: { page_size: 1000, ...query } })).body.results;

  beforeEach(async () => {
    api = await new TestApi(dialect, { webhooks: WEBHOOKS }).start();
    fx = eventsFixtures(api);
    const projectId = await fx.project('Shop');
    env = await fx.environment(projectId, 'Production');
    const featureId = await fx.feature(projectId, 'beta');
    featureStateId = await fx.featureState({ featureId, environmentId: env.id, enabled: false, value: 'old' });
    const user = await api.testDb.db.kysely.selectFrom('users').select('id').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow();
    admin = { kind: 'user', userId: user.id, email: 'admin@example.com' };
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    await api.stop();
  });

  test('a FLAG_UPDATED body is signed with the secret, carries its idempotency key and sequence, in Flagsmith shape', async () => {
    const rx = await receiver();
    await envHook(rx.url, 'top-secret');
    await saveFlag(true, 'new');
    await runOnce();

    expect(rx.requests).toHaveLength(1);
    const [req] = rx.requests;
    expect(verifySignature(req!.raw, 'top-secret', String(req!.headers['x-flagsmith-signature']))).toBe(true);
    expect(verifySignature(req!.raw, 'wrong', String(req!.headers['x-flagsmith-signature']))).toBe(false);
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['x-flagdesk-sequence']).toBe('1');
    expect(req!.headers['x-flagdesk-idempotency-key']).toBe(req!.json.idempotency_key);
    // Keys are sorted at every level, as Flagsmith's json.dumps(sort_keys=True).
    expect(req!.raw.startsWith('{"created_at":')).toBe(true);
    const state = (enabled: boolean, value: string) => ({
      feature: { id: expect.any(Number), created_date: '2026-06-01T12:00:00.000Z', default_enabled: false, description: null, initial_value: null, name: 'beta', project: { id: expect.any(Number), name: 'Shop' }, type: 'STANDARD' },
      environment: { id: env.id, name: 'Production' },
      identity: null,
      identity_identifier: null,
      feature_segment: null,
      enabled,
      feature_state_value: value,
    });
    expect(req!.json).toEqual({
      event_type: 'FLAG_UPDATED',
      data: { new_state: state(true, 'new'), previous_state: state(false, 'old'), changed_by: 'admin@example.com', timestamp: '2026-06-01T12:00:00.000Z' },
      sequence: 1,
      idempotency_key: expect.any(String),
      event_id: expect.any(String),
      created_at: '2026-06-01T12:00:00.000Z',
    });
    const [delivery] = await deliveries(await firstHookId());
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, attempt_log: [{ outcome: 'succeeded', status_code: 200, response_excerpt: 'ok', error: null }] });
  });

  async function firstHookId(): Promise<number> {
    return (await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } })).body[0].id;
  }

  test('with the runner polling, as in the server, a commit wakes the worker and events go out without a manual pass', async () => {
    const rx = await receiver();
    await envHook(rx.url);
    api.built.services.jobs.start();
    const started = performance.now();
    await emit(3);
    await rx.waitFor(3);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(rx.sequences()).toEqual([1, 2, 3]);
  });

  test('without a secret there is no signature header', async () => {
    const rx = await receiver();
    await envHook(rx.url);
    await emit(1);
    await runOnce();
    expect(rx.requests[0]!.headers['x-flagsmith-signature']).toBeUndefined();
  });

  test('a receiver that is down for a while gets every event once it is back, once each, in sequence order', async () => {
    const rx = await receiver();
    const hook = await envHook(rx.url);
    await rx.stop();
    await emit(5);
    await runOnce();
    api.clock.advanceMs(1000);
    await runOnce();
    // Only the head was tried (twice); the four later events waited behind it.
    const waiting = await deliveries(hook);
    expect(waiting.map((d: { status: string; attempts: number }) => [d.status, d.attempts])).toEqual([['pending', 0], ['pending', 0], ['pending', 0], ['pending', 0], ['failed', 2]]);
    expect(waiting[4].attempt_log.map((a: { error: string }) => a.error)).toEqual([expect.stringContaining('ECONNREFUSED'), expect.stringContaining('ECONNREFUSED')]);

    await rx.start();
    await runOnce();
    expect(rx.requests).toHaveLength(0); // the retry is not due yet (backoff 2 s)
    api.clock.advanceMs(2000);
    await runOnce();
    expect(rx.sequences()).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(rx.requests.map((r) => r.json.idempotency_key)).size).toBe(5);
    expect(rx.requests.map((r) => r.json.data.i)).toEqual([0, 1, 2, 3, 4]);
    expect((await deliveries(hook)).every((d: { status: string }) => d.status === 'succeeded')).toBe(true);
  });

  test('a worker killed mid-delivery loses nothing: after its lease expires the retry carries the same idempotency key and body', async () => {
    const rx = await receiver();
    const hook = await envHook(rx.url, 'k');
    await emit(1);
    rx.behaviour = 'hang';
    // A second process's worker claims the delivery and then "dies" (its request never completes).
    const doomed = new WebhookDeliveryWorker(createSqlWebhooksStore(api.testDb.db), api.clock, resolveDeliveryOptions({ ...WEBHOOKS, timeoutMs: 60_000 }));
    void doomed.tick({ wait: false });
    await rx.waitFor(1);
    expect((await deliveries(hook))[0]).toMatchObject({ status: 'delivering', attempts: 1 });

    rx.behaviour = 200;
    await runOnce();
    expect(rx.requests).toHaveLength(1); // the lease still holds
    api.clock.advanceMs(30_001);
    await runOnce();
    expect(rx.requests).toHaveLength(2);
    const [lost, retry] = rx.requests;
    expect(retry!.headers['x-flagdesk-idempotency-key']).toBe(lost!.headers['x-flagdesk-idempotency-key']);
    expect(retry!.raw).toBe(lost!.raw);
    expect(retry!.headers['x-flagsmith-signature']).toBe(lost!.headers['x-flagsmith-signature']);

    // The dead worker's request finally fails; its late result does not overwrite the delivery.
    await rx.stop();
    await doomed.drain();
    const [d] = await deliveries(hook);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(d.attempt_log.map((a: { outcome: string }) => a.outcome).sort()).toEqual(['abandoned', 'succeeded']);
  });

  test('a hanging receiver does not delay deliveries to another webhook', async () => {
    const hanging = await receiver();
    hanging.behaviour = 'hang';
    const healthy = await receiver();
    const stuck = await envHook(hanging.url);
    await envHook(healthy.url);
    await emit(3);
    const started = performance.now();
    const pass = runOnce();
    await healthy.waitFor(3);
    const lag = performance.now() - started;
    await pass;
    expect(lag).toBeLessThan(WEBHOOKS.timeoutMs / 2);
    expect(healthy.sequences()).toEqual([1, 2, 3]);
    // The hanging webhook timed out on its first event and holds its own later events back.
    const states = await deliveries(stuck);
    expect(states.map((d: { status: string }) => d.status)).toEqual(['pending', 'pending', 'failed']);
    expect(states[2].attempt_log[0].error).toBe(`timed out after ${WEBHOOKS.timeoutMs} ms`);
  });

  test('a delivery is dead after max attempts, releases the events behind it, and can be redelivered with the same key', async () => {
    const rx = await receiver();
    rx.behaviour = 500;
    const hook = await envHook(rx.url);
    await emit(1);
    for (const waitMs of [0, 1000, 2000, 4000]) {
      api.clock.advanceMs(waitMs);
      await runOnce();
    }
    expect(rx.requests).toHaveLength(4);
    const [dead] = await deliveries(hook);
    expect(dead).toMatchObject({ status: 'dead', attempts: 4, last_status_code: 500, last_error: 'HTTP 500' });
    expect(dead.attempt_log[0]).toMatchObject({ outcome: 'dead', status_code: 500, response_excerpt: 'failing with 500', next_retry_at: null });

    rx.behaviour = 200;
    await emit(1);
    await runOnce();
    expect(rx.requests.at(-1)!.json.sequence).toBe(2); // not held back by the dead one

    const again = await api.op('redeliverEnvironmentWebhookDelivery', { params: { api_key: env.apiKey, id: hook, delivery_id: dead.id } });
    expect(again.status).toBe(202);
    await runOnce();
    const last = rx.requests.at(-1)!;
    expect(last.json).toMatchObject({ sequence: 1, idempotency_key: dead.idempotency_key });
    const [, redelivered] = await deliveries(hook);
    expect(redelivered).toMatchObject({ id: dead.id, status: 'succeeded', attempts: 1 });
    expect(redelivered.attempt_log.map((a: { attempt_number: number; outcome: string }) => [a.attempt_number, a.outcome])).toEqual([[5, 'succeeded'], [4, 'dead'], [3, 'retry'], [2, 'retry'], [1, 'retry']]);
  });

  test('a disabled webhook gets no new events; what it had pending waits until it is enabled again', async () => {
    const rx = await receiver();
    const hook = await envHook(rx.url);
    rx.behaviour = 503;
    await emit(1);
    await runOnce();
    await api.op('partialUpdateEnvironmentWebhook', { params: { api_key: env.apiKey, id: hook }, body: { enabled: false } });
    await emit(1);
    rx.behaviour = 200;
    api.clock.advanceMs(5000);
    await runOnce();
    expect(rx.requests).toHaveLength(1);
    await api.op('partialUpdateEnvironmentWebhook', { params: { api_key: env.apiKey, id: hook }, body: { enabled: true } });
    await runOnce();
    expect(rx.sequences()).toEqual([1, 1]);
    expect(await deliveries(hook)).toHaveLength(1);
  });

  // 500 real saves and 1,000 deliveries: minutes on a loaded 2-core machine (no timing is asserted).
  test('500 saves produce exactly 500 FLAG_UPDATED per destination, 500 audit entries streamed to the organisation webhook, in order, with a valid chain', { timeout: 300_000 }, async () => {
    const envRx = await receiver();
    const orgRx = await receiver();
    await envHook(envRx.url, 'env-secret');
    await orgHook(orgRx.url, 'org-secret');
    const auditBefore = await api.testDb.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();

    // Ten writers at a time: sequences and the audit chain must stay gap-free under concurrency.
    const N = 500;
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < N) {
          const i = next++;
          await saveFlag(i % 2 === 0, `v${i}`);
        }
      }),
    );
    await runOnce();

    expect(envRx.requests).toHaveLength(N);
    expect(envRx.sequences()).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(envRx.requests.every((r) => r.json.event_type === 'FLAG_UPDATED' && verifySignature(r.raw, 'env-secret', String(r.headers['x-flagsmith-signature'])))).toBe(true);
    expect(new Set(envRx.requests.map((r) => r.json.idempotency_key)).size).toBe(N);

    // The organisation webhook also receives the audit entry of its own creation, first.
    expect(orgRx.requests[0]!.json.data.log).toBe(`Organisation webhook created: ${orgRx.url}`);
    const flagEvents = orgRx.requests.filter((r) => r.json.event_type === 'FLAG_UPDATED');
    const auditEvents = orgRx.requests.slice(1).filter((r) => r.json.event_type === 'AUDIT_LOG_CREATED');
    expect(flagEvents).toHaveLength(N);
    expect(auditEvents).toHaveLength(N);
    expect(orgRx.sequences()).toEqual(Array.from({ length: 2 * N + 1 }, (_, i) => i + 1));
    expect(orgRx.requests.every((r) => verifySignature(r.raw, 'org-secret', String(r.headers['x-flagsmith-signature'])))).toBe(true);
    // Each save's FLAG_UPDATED reaches the organisation in the same order as the environment.
    expect(flagEvents.map((r) => r.json.data.new_state.feature_state_value)).toEqual(envRx.requests.map((r) => r.json.data.new_state.feature_state_value));
    expect(auditEvents[0]!.json.data).toMatchObject({ log: 'Flag state updated for feature: beta', related_object_type: 'FEATURE_STATE', related_object_id: featureStateId, author: { email: 'admin@example.com' }, environment: { id: env.id }, is_system_event: false });

    const auditAfter = await api.testDb.db.kysely.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(auditAfter.n) - Number(auditBefore.n)).toBe(N);
    const rows = await api.op('listAuditLogs', { query: { environments: env.id, search: 'flag state updated', page_size: 1 } });
    expect(rows.body.count).toBe(N);
    const integrity = await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } });
    expect(integrity.body).toMatchObject({ is_valid: true, first_broken: null });
  });
});

describe.each(DIALECTS)('webhook retry schedule on %s', (dialect) => {
  // Jitter draws, in order: the low end, the high end, the middle, the low end, and one whose delay the cap cuts.
  const draws = [0, 0.999, 0.5, 0, 0.2];
  let api: TestApi;
  let rx: WebhookReceiver;

  beforeEach(async () => {
    let i = 0;
    api = await new TestApi(dialect, { webhooks: { timeoutMs: 1500, backoffBaseMs: 1000, backoffCapMs: 5000, maxAttempts: 6, random: () => draws[i++] ?? 0.5 } }).start();
    rx = await new WebhookReceiver().start();
    rx.behaviour = 502;
  });
  afterEach(async () => {
    await rx.stop();
    await api.stop();
  });

  test('retries back off exponentially from the base, scaled by a jitter of 0.5 to 1.5, capped, until the delivery is dead', async () => {
    const env = await eventsFixtures(api).environment(await eventsFixtures(api).project());
    const hook = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: rx.url } });
    await api.testDb.db.transaction((trx) => api.built.services.events.emit(trx, { scope: { environmentId: env.id }, eventType: 'FLAG_UPDATED', data: {} }));
    await api.built.services.jobs.runOnce();
    const delays: number[] = [];
    for (;;) {
      const [d] = (await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: hook.body.id } })).body.results;
      if (d.status === 'dead') break;
      const last = d.attempt_log[0];
      const delay = Date.parse(last.next_retry_at) - Date.parse(last.started_at);
      delays.push(delay);
      // Not sent a moment before it is due; sent when it is.
      api.clock.advanceMs(delay - 1);
      await api.built.services.jobs.runOnce();
      expect(rx.requests).toHaveLength(delays.length);
      api.clock.advanceMs(1);
      await api.built.services.jobs.runOnce();
      expect(rx.requests).toHaveLength(delays.length + 1);
    }
    // base·2^(n-1)·(0.5 + draw), at most the cap: 1000·0.5, 2000·1.499, 4000·1.0, 8000·0.5, min(16000·0.7, 5000).
    expect(delays).toEqual([500, 2998, 4000, 4000, 5000]);
    expect(rx.requests).toHaveLength(6);
    const [dead] = (await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: hook.body.id } })).body.results;
    expect(dead).toMatchObject({ status: 'dead', attempts: 6, last_status_code: 502 });
    expect(dead.attempt_log[0]).toMatchObject({ outcome: 'dead', next_retry_at: null, response_excerpt: 'failing with 502', latency_ms: expect.any(Number) });
  });
});
