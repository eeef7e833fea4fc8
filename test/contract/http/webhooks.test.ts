import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';

/** A port nothing listens on: deliveries to it fail at once with ECONNREFUSED. */
const REFUSING_URL = 'http://127.0.0.1:1/hook';

describe.each(DIALECTS)('webhook routes on %s', (dialect) => {
  const api = new TestApi(dialect, { webhooks: { timeoutMs: 2000, backoffBaseMs: 1000, maxAttempts: 2, random: () => 0.5 } });
  const fx = eventsFixtures(api);
  let env: { id: number; apiKey: string };
  let other: { id: number; adminAuth: string };
  let viewer: { id: number; auth: string };

  beforeAll(async () => {
    await api.start();
    const projectId = await fx.project();
    env = await fx.environment(projectId);
    other = await fx.otherOrganisation();
    viewer = await fx.user('viewer@example.com');
    await fx.grantProject(viewer.id, projectId, ['VIEW_PROJECT']);
    await fx.grantEnvironment(viewer.id, env.id, ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE']);
  });
  afterAll(() => api.stop());

  async function emitTo(environmentId: number, n = 1): Promise<void> {
    const { db } = api.testDb;
    for (let i = 0; i < n; i++) {
      await db.transaction((trx) => api.built.services.events.emit(trx, { scope: { environmentId }, eventType: 'FLAG_UPDATED', data: { n: i }, destinations: 'environment+organisation' }));
    }
  }

  test('environment webhooks: create, list, update, patch and delete; the secret is write-only', async () => {
    const created = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: 'https://hooks.example.com/a', secret: 's3cret' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(Number), url: 'https://hooks.example.com/a', enabled: true, has_secret: true, created_at: '2026-06-01T12:00:00.000Z', updated_at: '2026-06-01T12:00:00.000Z' });
    expect(JSON.stringify(created.body)).not.toContain('s3cret');
    const id = created.body.id;

    const list = await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } });
    expect(list).toMatchObject({ status: 200, body: [{ id, url: 'https://hooks.example.com/a', has_secret: true }] });

    const put = await api.op('updateEnvironmentWebhook', { params: { api_key: env.apiKey, id }, body: { url: 'https://hooks.example.com/b', enabled: false } });
    expect(put).toMatchObject({ status: 200, body: { id, url: 'https://hooks.example.com/b', enabled: false, has_secret: true } });

    const patch = await api.op('partialUpdateEnvironmentWebhook', { params: { api_key: env.apiKey, id }, body: { enabled: true, secret: '' } });
    expect(patch).toMatchObject({ status: 200, body: { id, url: 'https://hooks.example.com/b', enabled: true, has_secret: false } });

    expect((await api.op('deleteEnvironmentWebhook', { params: { api_key: env.apiKey, id } })).status).toBe(204);
    expect((await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } })).body).toEqual([]);
    expect((await api.op('deleteEnvironmentWebhook', { params: { api_key: env.apiKey, id } })).status).toBe(404);
  });

  test('a url that is not http(s) is a 400 naming url, and nothing is written', async () => {
    for (const url of ['ftp://example.com/x', 'not a url', 'javascript:alert(1)']) {
      const r = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url } });
      expect(r.status).toBe(400);
      expect(r.body.details.issues[0].path).toBe('body/url');
    }
    const missing = await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { enabled: true } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/url');
    const hook = await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: 'https://ok.example' } });
    const badPatch = await api.op('partialUpdateOrganisationWebhook', { params: { organisation_pk: api.organisationId, id: hook.body.id }, body: { url: 'mailto:x@example.com' } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.details.issues[0].path).toBe('body/url');
    expect((await api.op('listOrganisationWebhooks', { params: { organisation_pk: api.organisationId } })).body).toMatchObject([{ url: 'https://ok.example' }]);
    await api.op('deleteOrganisationWebhook', { params: { organisation_pk: api.organisationId, id: hook.body.id } });
    expect((await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } })).body).toEqual([]);
  });

  test("another organisation's environment is 404; a user without environment admin is 403", async () => {
    const foreign = await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey }, auth: other.adminAuth });
    expect(foreign.status).toBe(404);
    const denied = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: 'https://x.example' }, auth: viewer.auth });
    expect(denied.status).toBe(403);
    const unknown = await api.op('updateEnvironmentWebhook', { params: { api_key: 'no-such-key', id: 1 }, body: { url: 'https://x.example' } });
    expect(unknown.status).toBe(404);
  });

  test('organisation webhooks: create, list, update, patch and delete, organisation admins only', async () => {
    const org = { organisation_pk: api.organisationId };
    const created = await api.op('createOrganisationWebhook', { params: org, body: { url: 'http://audit.example.com/in', enabled: false } });
    expect(created).toMatchObject({ status: 201, body: { url: 'http://audit.example.com/in', enabled: false, has_secret: false } });
    const id = created.body.id;
    expect((await api.op('listOrganisationWebhooks', { params: org })).body).toMatchObject([{ id }]);
    // Environment webhooks are not organisation webhooks.
    expect((await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } })).body).toEqual([]);
    expect((await api.op('updateOrganisationWebhook', { params: { ...org, id }, body: { url: 'http://audit.example.com/v2', secret: 'k' } })).body).toMatchObject({ url: 'http://audit.example.com/v2', enabled: true, has_secret: true });
    expect((await api.op('partialUpdateOrganisationWebhook', { params: { ...org, id }, body: { enabled: false } })).body).toMatchObject({ enabled: false, has_secret: true });

    expect((await api.op('listOrganisationWebhooks', { params: org, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createOrganisationWebhook', { params: org, body: { url: 'https://x.example' }, auth: other.adminAuth })).status).toBe(404);
    expect((await api.op('updateOrganisationWebhook', { params: { ...org, id: 999999 }, body: { url: 'https://x.example' } })).status).toBe(404);
    expect((await api.op('deleteOrganisationWebhook', { params: { ...org, id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteOrganisationWebhook', { params: { ...org, id } })).status).toBe(204);
  });

  test('deliveries are listed newest first with their attempts; a failed one can be redelivered, a pending one cannot', async () => {
    const hook = await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: REFUSING_URL } });
    await emitTo(env.id, 2);
    await api.built.services.jobs.runOnce();

    const list = await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: hook.body.id }, query: { page_size: 1 } });
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(2);
    expect(list.body.next).toContain('page=2');
    // Newest first: the second event waits behind the first, which failed once.
    const [newest] = list.body.results;
    expect(newest).toMatchObject({ event_type: 'FLAG_UPDATED', status: 'pending', attempts: 0, attempt_log: [], payload: { event_type: 'FLAG_UPDATED', data: { n: 1 } } });
    const page2 = await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: hook.body.id }, query: { page: 2, page_size: 1 } });
    const [first] = page2.body.results;
    expect(first).toMatchObject({ status: 'failed', attempts: 1, max_attempts: 2, last_status_code: null, next_attempt_at: '2026-06-01T12:00:01.000Z' });
    expect(first.attempt_log).toEqual([
      { attempt_number: 1, started_at: '2026-06-01T12:00:00.000Z', status_code: null, latency_ms: expect.any(Number), response_excerpt: null, error: expect.stringContaining('ECONNREFUSED'), outcome: 'retry', next_retry_at: '2026-06-01T12:00:01.000Z' },
    ]);
    expect(first.sequence).toBeLessThan(newest.sequence);

    const notYet = await api.op('redeliverEnvironmentWebhookDelivery', { params: { api_key: env.apiKey, id: hook.body.id, delivery_id: newest.id } });
    expect(notYet.status).toBe(400);
    expect(notYet.body.code).toBe('PRECONDITION_FAILED');

    const again = await api.op('redeliverEnvironmentWebhookDelivery', { params: { api_key: env.apiKey, id: hook.body.id, delivery_id: first.id } });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.id, status: 'pending', attempts: 0, idempotency_key: first.idempotency_key, next_attempt_at: '2026-06-01T12:00:00.000Z' });

    const missing = await api.op('redeliverEnvironmentWebhookDelivery', { params: { api_key: env.apiKey, id: hook.body.id, delivery_id: 999999 } });
    expect(missing.status).toBe(404);
    const denied = await api.op('listEnvironmentWebhookDeliveries', { params: { api_key: env.apiKey, id: hook.body.id }, auth: viewer.auth });
    expect(denied.status).toBe(403);
    await api.op('deleteEnvironmentWebhook', { params: { api_key: env.apiKey, id: hook.body.id } });
  });

  test('organisation webhook deliveries are listed and redelivered the same way', async () => {
    const org = { organisation_pk: api.organisationId };
    const hook = await api.op('createOrganisationWebhook', { params: org, body: { url: REFUSING_URL } });
    await emitTo(env.id);
    await api.built.services.jobs.runOnce();
    api.clock.advanceMs(1000);
    await api.built.services.jobs.runOnce();
    const list = await api.op('listOrganisationWebhookDeliveries', { params: { ...org, id: hook.body.id }, query: { status: 'dead' } });
    expect(list.status).toBe(200);
    expect(list.body.results).toHaveLength(1);
    const [dead] = list.body.results;
    expect(dead).toMatchObject({ status: 'dead', attempts: 2, next_attempt_at: null, completed_at: '2026-06-01T12:00:01.000Z' });
    expect(dead.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['dead', 'retry']);

    const again = await api.op('redeliverOrganisationWebhookDelivery', { params: { ...org, id: hook.body.id, delivery_id: dead.id } });
    expect(again).toMatchObject({ status: 202, body: { status: 'pending', attempts: 0, idempotency_key: dead.idempotency_key } });
    const foreign = await api.op('redeliverOrganisationWebhookDelivery', { params: { organisation_pk: other.id, id: hook.body.id, delivery_id: dead.id }, auth: other.adminAuth });
    expect(foreign.status).toBe(404);
    expect((await api.op('listOrganisationWebhookDeliveries', { params: { ...org, id: 999999 } })).status).toBe(404);
    await api.op('deleteOrganisationWebhook', { params: { ...org, id: hook.body.id } });
  });
});
