import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const DAY = 24 * 3600_000;

/**
 * The audit log of real changes (v2 publishes, identity overrides) as the list API filters and pages it,
 * as the organisation's audit-log webhook streams it (signed), and as the integrity endpoint verifies it.
 */
describe.each(DIALECTS)('audit log of real changes on %s', (dialect) => {
  let api: TestApi;
  let rx: WebhookReceiver;
  let one: V2World;
  let two: V2World;
  const times: string[] = [];
  const published: string[] = [];
  let overrideId = 0;

  beforeEach(async () => {
    api = await new TestApi(dialect, { webhooks: { timeoutMs: 2000 } }).start();
    rx = await new WebhookReceiver().start();
    await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: rx.url, secret: 'audit-secret' } });
    one = await v2World(api);
    two = await v2World(api);
    await api.built.services.jobs.runOnce();
    rx.clear();
    times.length = 0;
    published.length = 0;

    // Day 1: a version in world one; day 2: a version in world two; day 3: an identity override and a version in world one.
    const publish = async (w: V2World, value: string) => {
      const r = await api.op('createFeatureVersion', { params: at(w), body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue(value) }] } });
      expect(r.status).toBe(201);
      published.push(r.body.uuid);
    };
    api.clock.advanceMs(DAY);
    times.push(api.clock.now().toISOString());
    await publish(one, 'day1');
    api.clock.advanceMs(DAY);
    times.push(api.clock.now().toISOString());
    await publish(two, 'day2');
    api.clock.advanceMs(DAY);
    times.push(api.clock.now().toISOString());
    const identity = await api.op('createIdentity', { params: { environment_api_key: one.env.api_key }, body: { identifier: 'carol' } });
    const override = await api.op('createIdentityFeatureState', { params: { environment_api_key: one.env.api_key, identity_pk: identity.body.id }, body: { feature: one.feature, enabled: true } });
    overrideId = override.body.id;
    await publish(one, 'day3');
    await api.built.services.jobs.runOnce();
  });
  afterEach(async () => {
    await rx.stop();
    await api.stop();
  });

  const list = async (query: Record<string, string | number | boolean>) => (await api.op('listAuditLogs', { query: { page_size: 100, ...query } })).body;

  test('the organisation webhook streams every new entry, signed, exactly as the API lists it', async () => {
    // The organisation webhooks also receive each environment's FLAG_UPDATED (one per publish and override).
    expect(rx.ofType('FLAG_UPDATED')).toHaveLength(4);
    const stream = rx.ofType('AUDIT_LOG_CREATED');
    expect(stream).toHaveLength(5);
    for (const r of rx.requests) expect(verifySignature(r.raw, 'audit-secret', String(r.headers['x-flagsmith-signature']))).toBe(true);
    const since = await list({ from: times[0]! });
    // Newest first in the API, in order of creation on the webhook.
    expect(stream.map((r) => r.json.data)).toEqual([...since.results].reverse());
    expect(stream.map((r) => [r.json.data.related_object_type, r.json.data.related_object_uuid])).toEqual([
      ['EF_VERSION', published[0]],
      ['EF_VERSION', published[1]],
      ['IDENTITY', null],
      ['FEATURE_STATE', null],
      ['EF_VERSION', published[2]],
    ]);
  });

  test('the list API filters by project, environment, date range and search, and pages', async () => {
    const logsOf = (body: { results: { related_object_type: string; related_object_uuid: string | null }[] }) => body.results.map((e) => e.related_object_uuid ?? e.related_object_type);
    expect(logsOf(await list({ project: one.project, from: times[0]! }))).toEqual([published[2], 'FEATURE_STATE', 'IDENTITY', published[0]]);
    expect(logsOf(await list({ environments: two.env.id, from: times[0]! }))).toEqual([published[1]]);
    expect(logsOf(await list({ from: times[1]!, to: times[2]! }))).toEqual([published[1]]);
    expect(logsOf(await list({ search: "identity 'carol'" }))).toEqual(['FEATURE_STATE']);
    const byOverride = await list({ search: "identity 'carol'" });
    expect(byOverride.results[0]).toMatchObject({ related_object_id: overrideId, environment: { id: one.env.id } });

    const page1 = await api.op('listAuditLogs', { query: { from: times[0]!, page_size: 2 } });
    const page3 = await api.op('listAuditLogs', { query: { from: times[0]!, page_size: 2, page: 3 } });
    expect(page1.body.count).toBe(5);
    expect(page1.body.next).toContain('page=2');
    expect(page1.body.previous).toBeNull();
    expect(logsOf(page1.body)).toEqual([published[2], 'FEATURE_STATE']);
    expect(logsOf(page3.body)).toEqual([published[0]]);
    expect(page3.body.next).toBeNull();
  });

  test('the chain verifies; an edited version entry is HASH_MISMATCH, a removed one MISSING_ENTRY', async () => {
    const k = api.testDb.db.kysely;
    const integrity = async () => (await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } })).body;
    expect(await integrity()).toMatchObject({ is_valid: true, first_broken: null });

    const entry = await k.selectFrom('audit_log').select(['id', 'log']).where('related_object_uuid', '=', published[1]!).executeTakeFirstOrThrow();
    await k.updateTable('audit_log').set({ log: 'New version published for feature: something else' }).where('id', '=', entry.id).execute();
    expect(await integrity()).toMatchObject({ is_valid: false, first_broken: { id: entry.id, reason: 'HASH_MISMATCH' } });
    await k.updateTable('audit_log').set({ log: entry.log }).where('id', '=', entry.id).execute();
    expect((await integrity()).is_valid).toBe(true);

    await k.deleteFrom('audit_log').where('id', '=', entry.id).execute();
    const broken = await integrity();
    expect(broken).toMatchObject({ is_valid: false, first_broken: { reason: 'MISSING_ENTRY' } });
    expect(broken.first_broken.id).toBeGreaterThan(entry.id);
  });
});
