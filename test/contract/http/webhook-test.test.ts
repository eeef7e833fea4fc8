import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';

describe.each(DIALECTS)('webhook test call on %s', (dialect) => {
  const api = new TestApi(dialect, { webhooks: { timeoutMs: 2000 } });
  const fx = eventsFixtures(api);
  const receiver = new WebhookReceiver();
  let env: { id: number; apiKey: string };
  let viewer: { id: number; auth: string };

  beforeAll(async () => {
    await api.start();
    await receiver.start();
    const projectId = await fx.project();
    env = await fx.environment(projectId);
    viewer = await fx.user('viewer@example.com');
    await fx.grantProject(viewer.id, projectId, ['VIEW_PROJECT']);
    await fx.grantEnvironment(viewer.id, env.id, ['VIEW_ENVIRONMENT']);
  });
  afterAll(async () => {
    await receiver.stop();
    await api.stop();
  });

  test('sends one signed sample FLAG_UPDATED and reports the receiver’s status; nothing is stored', async () => {
    receiver.clear();
    receiver.behaviour = 200;
    const r = await api.op('testWebhook', { body: { webhook_url: receiver.url, scope: { type: 'environment', id: env.apiKey }, secret: 'shh' } });
    expect(r).toMatchObject({ status: 200, body: { detail: 'Webhook test successful', status: 200 } });
    expect(receiver.requests).toHaveLength(1);
    const [sent] = receiver.requests;
    expect(sent!.json).toMatchObject({ event_type: 'FLAG_UPDATED', data: { test: true } });
    expect(verifySignature(sent!.raw, 'shh', String(sent!.headers['x-flagsmith-signature']))).toBe(true);
    expect((await api.op('listEnvironmentWebhooks', { params: { api_key: env.apiKey } })).body).toEqual([]);
    // By numeric environment id too, and the organisation scope sends AUDIT_LOG_CREATED unsigned.
    expect((await api.op('testWebhook', { body: { webhook_url: receiver.url, scope: { type: 'environment', id: env.id } } })).status).toBe(200);
    expect((await api.op('testWebhook', { body: { webhook_url: receiver.url, scope: { type: 'organisation', id: api.organisationId } } })).status).toBe(200);
    expect(receiver.requests[2]!.json.event_type).toBe('AUDIT_LOG_CREATED');
    expect(receiver.requests[2]!.headers['x-flagsmith-signature']).toBeUndefined();
  });

  test('an error status or an unreachable URL is a 400 saying which', async () => {
    receiver.behaviour = 503;
    const failing = await api.op('testWebhook', { body: { webhook_url: receiver.url, scope: { type: 'environment', id: env.apiKey } } });
    expect(failing).toMatchObject({ status: 400, body: { code: 'PRECONDITION_FAILED', detail: 'Webhook returned error status', details: { status: 503, body: 'Webhook returned HTTP 503.' } } });
    const refused = await api.op('testWebhook', { body: { webhook_url: 'http://127.0.0.1:1/hook', scope: { type: 'environment', id: env.apiKey } } });
    expect(refused).toMatchObject({ status: 400, body: { detail: 'Could not connect to webhook URL', details: { reason: 'WEBHOOK_UNREACHABLE' } } });
    const bad = await api.op('testWebhook', { body: { webhook_url: 'ftp://example.com', scope: { type: 'environment', id: env.apiKey } } });
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body/webhook_url', message: 'must use http or https' }] } });
  });

  test('needs environment admin: a viewer is refused and nothing is sent', async () => {
    receiver.clear();
    receiver.behaviour = 200;
    const r = await api.op('testWebhook', { auth: viewer.auth, body: { webhook_url: receiver.url, scope: { type: 'environment', id: env.apiKey } } });
    expect(r.status).toBe(403);
    expect(receiver.requests).toHaveLength(0);
  });
});
