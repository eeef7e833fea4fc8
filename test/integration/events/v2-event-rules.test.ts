import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { SmtpReceiver, WebhookReceiver, type ReceivedRequest } from '../../support/webhook-receiver.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const HOUR = 3600_000;
const ENV_SECRET = 'env-secret';
const ORG_SECRET = 'org-secret';

/**
 * The event rules of the spec ("Webhooks", "Audit log") end to end: changes made through the real API
 * (versions, identity overrides, v1 feature states), delivered by the real worker to real receivers on
 * loopback, signed, and the audit entries they write read back through the audit API.
 */
describe.each(DIALECTS)('v2 event rules delivered to real receivers on %s', (dialect) => {
  let smtp: SmtpReceiver;
  let api: TestApi;
  let envRx: WebhookReceiver;
  let orgRx: WebhookReceiver;
  let adminUserId: number;

  beforeAll(async () => {
    smtp = await new SmtpReceiver().start();
  });
  afterAll(() => smtp.stop());

  beforeEach(async () => {
    smtp.mails.length = 0;
    api = await new TestApi(dialect, { webhooks: { timeoutMs: 2000 }, email: { smtpUrl: smtp.url, from: 'Flagdesk <noreply@flagdesk.test>', smtpTimeoutMs: 5000 } }).start();
    envRx = await new WebhookReceiver().start();
    orgRx = await new WebhookReceiver().start();
    adminUserId = (await api.testDb.db.kysely.selectFrom('users').select('id').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow()).id;
    const org = await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: orgRx.url, secret: ORG_SECRET } });
    expect(org.status).toBe(201);
  });
  afterEach(async () => {
    await envRx.stop();
    await orgRx.stop();
    await api.stop();
  });

  const runOnce = () => api.built.services.jobs.runOnce();
  const advance = (ms: number) => api.clock.advanceMs(ms);
  const featureName = async (id: number) => (await api.testDb.db.kysely.selectFrom('features').select('name').where('id', '=', id).executeTakeFirstOrThrow()).name;

  /** A v2 world with an environment webhook; setup traffic is delivered and forgotten. */
  async function world(segments: number): Promise<V2World> {
    const w = await v2World(api, { segments });
    const hook = await api.op('createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: envRx.url, secret: ENV_SECRET } });
    expect(hook.status).toBe(201);
    await settle();
    return w;
  }
  /** Delivers everything due and forgets it. */
  async function settle(): Promise<void> {
    await runOnce();
    envRx.clear();
    orgRx.clear();
  }
  async function publish(w: V2World, body: Record<string, unknown>, auth?: string): Promise<{ uuid: string }> {
    const r = await api.op('createFeatureVersion', { params: at(w), body: { ...body, publish_immediately: true }, ...(auth ? { auth } : {}) });
    if (r.status !== 201) throw new Error(`publish failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  async function draft(w: V2World, body: Record<string, unknown>): Promise<{ uuid: string }> {
    const r = await api.op('createFeatureVersion', { params: at(w), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  function expectSigned(rx: WebhookReceiver, secret: string): void {
    for (const r of rx.requests) expect(verifySignature(r.raw, secret, String(r.headers['x-flagsmith-signature'])), r.raw).toBe(true);
  }
  /** Sequences received are consecutive (no gap, no repeat, in order) from the first one. */
  function expectConsecutive(rx: WebhookReceiver): void {
    const seqs = rx.sequences();
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  }
  const data = (r: ReceivedRequest | undefined) => r?.json.data;
  const auditEntries = (rx: WebhookReceiver) => rx.ofType('AUDIT_LOG_CREATED').map(data);

  test('one version changing the environment default and three overrides: four FLAG_UPDATED per destination, one NEW_VERSION_PUBLISHED to the environment webhook only, one EF_VERSION audit entry', async () => {
    const w = await world(3);
    const name = await featureName(w.feature);
    // Setup: a version that creates the three overrides.
    await publish(w, { feature_states_to_create: w.segments.map((segment, i) => ({ feature_segment: { segment, priority: i }, enabled: false, feature_state_value: stringValue('off') })) });
    await settle();

    const v = await publish(w, {
      feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('on') }, ...w.segments.map((segment) => ({ feature_segment: { segment }, enabled: true }))],
    });
    await runOnce();

    expect(envRx.eventTypes().sort()).toEqual(['FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_UPDATED', 'NEW_VERSION_PUBLISHED']);
    expect(orgRx.eventTypes().sort()).toEqual(['AUDIT_LOG_CREATED', 'FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_UPDATED']);
    expectSigned(envRx, ENV_SECRET);
    expectSigned(orgRx, ORG_SECRET);
    expectConsecutive(envRx);
    expectConsecutive(orgRx);
    // Every delivery has its own idempotency key, in the body and the header.
    const keys = [...envRx.requests, ...orgRx.requests].map((r) => r.json.idempotency_key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of [...envRx.requests, ...orgRx.requests]) expect(r.headers['x-flagdesk-idempotency-key']).toBe(r.json.idempotency_key);

    const [published] = envRx.ofType('NEW_VERSION_PUBLISHED').map(data);
    expect(published).toEqual({
      uuid: v.uuid,
      feature: { id: w.feature, name },
      environment_id: w.env.id,
      published_by: { id: adminUserId, email: 'admin@example.com' },
      feature_states: [
        { enabled: true, value: 'on', feature_segment: null, multivariate_feature_state_values: [] },
        ...w.segments.map((segment, i) => ({ enabled: true, value: 'off', feature_segment: { segment: { id: segment, name: `seg-${i}` }, priority: i }, multivariate_feature_state_values: [] })),
      ],
    });

    for (const rx of [envRx, orgRx]) {
      const updates = rx.ofType('FLAG_UPDATED').map(data);
      expect(updates.map((u) => u.new_state.feature_segment?.segment.id ?? null).sort()).toEqual([null, ...w.segments].sort());
      for (const u of updates) {
        expect(u).toMatchObject({ changed_by: 'admin@example.com', new_state: { enabled: true, identity: null, feature: { id: w.feature, name }, environment: { id: w.env.id } }, previous_state: { enabled: false } });
      }
      // The same four changes reach both destinations.
      expect(updates.map((u) => JSON.stringify(u)).sort()).toEqual(envRx.ofType('FLAG_UPDATED').map((r) => JSON.stringify(data(r))).sort());
    }

    // The audit entry, as listed by the API and as streamed to the organisation webhook.
    const listed = await api.op('listAuditLogs', { query: { environments: w.env.id, search: 'new version published' } });
    expect(listed.body.count).toBe(2); // the setup version and this one: one entry per version, not per state
    const entry = listed.body.results[0];
    expect(entry).toMatchObject({
      log: `New version published for feature: ${name}`,
      related_object_type: 'EF_VERSION',
      related_object_id: null,
      related_object_uuid: v.uuid,
      author: { id: adminUserId, email: 'admin@example.com' },
      environment: { id: w.env.id },
      project: { id: w.project },
      is_system_event: false,
    });
    expect(auditEntries(orgRx)).toEqual([entry]);
  });

  test('a version published with an organisation API key names the key as published_by and changed_by, and in the audit entry', async () => {
    const w = await world(0);
    const key = await api.op('createOrganisationApiKey', { params: { organisation_pk: api.organisationId }, body: { name: 'deploy bot' } });
    expect(key.status).toBe(201);
    const keyId = (await api.testDb.db.kysely.selectFrom('organisation_api_keys').select('id').where('prefix', '=', key.body.prefix).executeTakeFirstOrThrow()).id;
    await settle(); // the key's own audit entry

    const v = await publish(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] }, `Api-Key ${key.body.key}`);
    await runOnce();

    expect(envRx.eventTypes().sort()).toEqual(['FLAG_UPDATED', 'NEW_VERSION_PUBLISHED']);
    expect(data(envRx.ofType('NEW_VERSION_PUBLISHED')[0])).toMatchObject({ uuid: v.uuid, published_by: { api_key: { id: keyId, name: 'deploy bot' } } });
    expect(data(envRx.ofType('FLAG_UPDATED')[0])).toMatchObject({ changed_by: 'deploy bot' });
    expect(data(orgRx.ofType('FLAG_UPDATED')[0])).toMatchObject({ changed_by: 'deploy bot' });
    // Flagsmith's audit author is a user; an API key's entry has none (the key is recorded on the row).
    expect(auditEntries(orgRx)).toEqual([expect.objectContaining({ related_object_uuid: v.uuid, related_object_type: 'EF_VERSION', author: null })]);
    const row = await api.testDb.db.kysely.selectFrom('audit_log').select(['author_api_key_id', 'author_user_id']).where('related_object_uuid', '=', v.uuid).executeTakeFirstOrThrow();
    expect(row).toEqual({ author_api_key_id: keyId, author_user_id: null });
  });

  test('a scheduled version delivers nothing when it is scheduled and everything at its live_from', async () => {
    const w = await world(1);
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('later') }] });
    const liveFrom = new Date(api.clock.now().getTime() + HOUR).toISOString();
    const scheduled = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: liveFrom } });
    expect(scheduled.body).toMatchObject({ status: 'scheduled', is_live: false });
    await runOnce();
    expect(envRx.requests).toEqual([]);
    expect(orgRx.requests).toEqual([]);

    advance(HOUR - 1000);
    await runOnce();
    expect(envRx.requests).toEqual([]);
    expect(orgRx.requests).toEqual([]);

    advance(1000);
    await runOnce();
    expect(envRx.eventTypes().sort()).toEqual(['FLAG_UPDATED', 'NEW_VERSION_PUBLISHED']);
    expect(orgRx.eventTypes().sort()).toEqual(['AUDIT_LOG_CREATED', 'FLAG_UPDATED']);
    expectSigned(envRx, ENV_SECRET);
    // Emitted at live_from by the scheduler, on behalf of the user who scheduled it.
    for (const r of [...envRx.requests, ...orgRx.requests]) expect(r.json.created_at).toBe(liveFrom);
    expect(data(envRx.ofType('NEW_VERSION_PUBLISHED')[0])).toMatchObject({ uuid: d.uuid, published_by: { id: adminUserId, email: 'admin@example.com' }, feature_states: [{ enabled: true, value: 'later', feature_segment: null }] });
    expect(data(envRx.ofType('FLAG_UPDATED')[0])).toMatchObject({ timestamp: liveFrom, new_state: { enabled: true, feature_state_value: 'later' }, previous_state: { enabled: false } });
    expect(auditEntries(orgRx)).toEqual([expect.objectContaining({ related_object_type: 'EF_VERSION', related_object_uuid: d.uuid, related_object_id: null, is_system_event: true, created_date: liveFrom })]);

    // Nothing is delivered twice on later passes.
    advance(HOUR);
    await runOnce();
    expect(envRx.requests).toHaveLength(2);
  });

  test('identity overrides on a v2 environment keep the v1 shape: FLAG_UPDATED / FLAG_DELETED with the identity, FEATURE_STATE audit, no version', async () => {
    const w = await world(0);
    const name = await featureName(w.feature);
    const versionsBefore = (await api.op('listFeatureVersions', { params: at(w) })).body.count;
    const identity = await api.op('createIdentity', { params: { environment_api_key: w.env.api_key }, body: { identifier: 'alice' } });
    expect(identity.status).toBe(201);
    await settle(); // the identity's own audit entry

    const created = await api.op('createIdentityFeatureState', { params: { environment_api_key: w.env.api_key, identity_pk: identity.body.id }, body: { feature: w.feature, enabled: true, feature_state_value: 'gold' } });
    expect(created.status).toBe(201);
    const overrideId = created.body.id as number;
    await runOnce();
    expect(envRx.eventTypes()).toEqual(['FLAG_UPDATED']);
    expect(orgRx.eventTypes().sort()).toEqual(['AUDIT_LOG_CREATED', 'FLAG_UPDATED']);
    for (const rx of [envRx, orgRx]) {
      expect(data(rx.ofType('FLAG_UPDATED')[0])).toMatchObject({
        changed_by: 'admin@example.com',
        previous_state: null,
        new_state: { identity: identity.body.id, identity_identifier: 'alice', feature_segment: null, enabled: true, feature_state_value: 'gold', feature: { id: w.feature, name } },
      });
    }
    expect(auditEntries(orgRx)).toEqual([
      expect.objectContaining({ related_object_type: 'FEATURE_STATE', related_object_id: overrideId, related_object_uuid: null, log: `Flag state / Remote config value updated for feature '${name}' and identity 'alice'` }),
    ]);

    envRx.clear();
    orgRx.clear();
    const removed = await api.op('deleteIdentityFeatureState', { params: { environment_api_key: w.env.api_key, identity_pk: identity.body.id, id: overrideId } });
    expect(removed.status).toBe(204);
    await runOnce();
    expect(envRx.eventTypes()).toEqual(['FLAG_DELETED']);
    expect(data(envRx.requests[0])).toMatchObject({ new_state: null, previous_state: { identity: identity.body.id, identity_identifier: 'alice', feature_state_value: 'gold' } });
    expect(auditEntries(orgRx)).toEqual([expect.objectContaining({ related_object_type: 'FEATURE_STATE', related_object_id: overrideId, related_object_uuid: null, log: `Flag state / Remote config value deleted for feature '${name}' and identity 'alice'` })]);
    // No version was published for it.
    expect((await api.op('listFeatureVersions', { params: at(w) })).body.count).toBe(versionsBefore);
  });

  test('a scheduled version that conflicts emits SCHEDULED_VERSION_CONFLICT, a system audit entry, and emails its author through SMTP', async () => {
    const w = await world(0);
    const name = await featureName(w.feature);
    const envName = (await api.op('getEnvironment', { params: { api_key: w.env.api_key } })).body.name as string;
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('scheduled') }] });
    const scheduledFor = new Date(api.clock.now().getTime() + HOUR).toISOString();
    await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: { live_from: scheduledFor } });
    const newer = await publish(w, { feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('hotfix') }] });
    await settle();

    advance(HOUR);
    await runOnce();
    expect(envRx.eventTypes()).toEqual(['SCHEDULED_VERSION_CONFLICT']);
    expectSigned(envRx, ENV_SECRET);
    expect(data(envRx.requests[0])).toEqual({
      version_uuid: d.uuid,
      conflicting_version_uuid: newer.uuid,
      feature: { id: w.feature, name },
      environment: { id: w.env.id, name: envName, api_key: w.env.api_key },
      scheduled_for: scheduledFor,
      change_request: null,
      author: { id: adminUserId, email: 'admin@example.com' },
      detected_at: scheduledFor,
    });
    // The organisation webhook gets the audit entry of the failure, not the environment event.
    expect(orgRx.eventTypes()).toEqual(['AUDIT_LOG_CREATED']);
    const entry = auditEntries(orgRx)[0];
    expect(entry).toMatchObject({ related_object_type: 'EF_VERSION', related_object_id: null, related_object_uuid: d.uuid, is_system_event: true });
    expect(entry.log).toContain(`feature: ${name} was not published`);
    expect(entry.log).toContain(newer.uuid);
    const listed = await api.op('listAuditLogs', { query: { environments: w.env.id, is_system_event: true, search: 'was not published' } });
    expect(listed.body.results).toEqual([entry]);

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail!.to).toEqual(['admin@example.com']);
    expect(mail!.subject).toBe(`Scheduled change to '${name}' (${envName}) was not published`);
    for (const part of [`feature '${name}'`, `environment '${envName}'`, scheduledFor, newer.uuid, d.uuid]) expect(mail!.raw).toContain(part);
    const emails = (await api.op('listOrganisationEmails', { params: { organisation_pk: api.organisationId } })).body.results;
    expect(emails[0]).toMatchObject({ status: 'sent', transport: 'smtp', to: ['admin@example.com'] });

    // The failure is reported once, not on every pass.
    advance(HOUR);
    await runOnce();
    expect(envRx.requests).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  test('on a v1 environment each save through the API is one FLAG_UPDATED per destination and one FEATURE_STATE audit entry with Flagsmith\'s message', async () => {
    const project = await createProject(api, 'V1 shop');
    const env = await createEnvironment(api, project.id, 'Legacy');
    await api.op('createEnvironmentWebhook', { params: { api_key: env.api_key }, body: { url: envRx.url, secret: ENV_SECRET } });
    const feature = await api.op('createFeature', { params: { project_pk: project.id }, body: { name: 'checkout', default_enabled: false } });
    expect(feature.status).toBe(201);
    const states = await api.op('listEnvironmentFeatureStates', { params: { environment_api_key: env.api_key }, query: { feature: feature.body.id } });
    const stateId = states.body.results[0].id as number;
    await settle();

    for (const [i, enabled] of [true, false, true].entries()) {
      const r = await api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: env.api_key, id: stateId }, body: { enabled, feature_state_value: `v${i}` } });
      expect(r.status).toBe(200);
    }
    await runOnce();
    expect(envRx.eventTypes()).toEqual(['FLAG_UPDATED', 'FLAG_UPDATED', 'FLAG_UPDATED']);
    expect(envRx.requests.map((r) => [r.json.data.new_state.enabled, r.json.data.new_state.feature_state_value])).toEqual([[true, 'v0'], [false, 'v1'], [true, 'v2']]);
    expectConsecutive(envRx);
    expect(orgRx.ofType('FLAG_UPDATED').map((r) => r.json.data.new_state.feature_state_value)).toEqual(['v0', 'v1', 'v2']);
    expect(orgRx.ofType('NEW_VERSION_PUBLISHED')).toEqual([]);
    const entries = auditEntries(orgRx);
    expect(entries).toHaveLength(3);
    for (const e of entries) {
      expect(e).toMatchObject({ log: 'Flag state / Remote Config value updated for feature: checkout', related_object_type: 'FEATURE_STATE', related_object_id: stateId, related_object_uuid: null, environment: { id: env.id } });
    }
  });
});
