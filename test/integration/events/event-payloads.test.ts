import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { generateUuid } from '../../../sync-server/platform/security/secrets.js';
import {
  AuditLogCreatedDataSchema,
  FlagDeletedDataSchema,
  FlagUpdatedDataSchema,
  NewVersionPublishedDataSchema,
  ScheduledVersionConflictDataSchema,
  WebhookBodySchema,
} from '../../../src-shared/contracts/http/webhooks.contract.js';
import type { Principal } from '../../../sync-server/modules/access/principal.js';

// TypeBox's Value.Check knows no string formats until they are registered (Fastify's Ajv brings its own).
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v));

describe.each(DIALECTS)('event payloads and destinations on %s', (dialect) => {
  let api: TestApi;
  let envRx: WebhookReceiver;
  let orgRx: WebhookReceiver;
  const ids = { env: 0, apiKey: '', feature: 0, defaultState: 0, segmentState: 0, identityState: 0, identity: 0, segment: 0, option: 0 };
  const versionUuid = generateUuid();
  const apiKeyPrincipal: Principal = { kind: 'api_key', apiKeyId: 7, organisationId: 0, isAdmin: true, name: 'ci-key' };

  beforeEach(async () => {
    api = await new TestApi(dialect, { webhooks: { timeoutMs: 2000 } }).start();
    const fx = eventsFixtures(api);
    const k = api.testDb.db.kysely;
    const now = api.clock.now().toISOString();
    const projectId = await fx.project('Shop');
    const env = await fx.environment(projectId, 'Staging');
    ids.env = env.id;
    ids.apiKey = env.apiKey;
    ids.feature = await fx.feature(projectId, 'banner');
    ids.segment = (await k.insertInto('segments').values({ uuid: generateUuid(), project_id: projectId, feature_id: null, name: 'beta users', description: 'opted in', rules_json: '[]', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id;
    const featureSegment = await k.insertInto('feature_segments').values({ uuid: generateUuid(), feature_id: ids.feature, segment_id: ids.segment, environment_id: env.id, priority: 0, environment_feature_version_uuid: versionUuid, created_at: now }).returning('id').executeTakeFirstOrThrow();
    ids.defaultState = await fx.featureState({ featureId: ids.feature, environmentId: env.id, enabled: true, value: 'blue' });
    ids.segmentState = await fx.featureState({ featureId: ids.feature, environmentId: env.id, enabled: false, value: 'red' });
    await k.updateTable('feature_states').set({ feature_segment_id: featureSegment.id }).where('id', '=', ids.segmentState).execute();
    await k.updateTable('feature_states').set({ environment_feature_version_uuid: versionUuid }).where('id', 'in', [ids.defaultState, ids.segmentState]).execute();
    ids.identity = await fx.identity(env.id, 'user-42');
    ids.identityState = await fx.featureState({ featureId: ids.feature, environmentId: env.id, enabled: true, value: 'gold', identityId: ids.identity });
    ids.option = (await k.insertInto('multivariate_options').values({ uuid: generateUuid(), feature_id: ids.feature, type: 'int', string_value: null, integer_value: 3, boolean_value: null, default_percentage_allocation: 30 }).returning('id').executeTakeFirstOrThrow()).id;
    await k.insertInto('multivariate_feature_state_values').values({ uuid: generateUuid(), feature_state_id: ids.defaultState, multivariate_option_id: ids.option, percentage_allocation: 25 }).execute();

    envRx = await new WebhookReceiver().start();
    orgRx = await new WebhookReceiver().start();
    await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: envRx.url } });
    await api.op('createOrganisationWebhook', { params: { organisation_pk: api.organisationId }, body: { url: orgRx.url } });
  });
  afterEach(async () => {
    await envRx.stop();
    await orgRx.stop();
    await api.stop();
  });

  const types = (rx: WebhookReceiver) => rx.requests.map((r) => r.json.event_type);

  test('every event type matches its contract schema and reaches exactly the destinations the spec names', async () => {
    const { events } = api.built.services;
    await api.testDb.db.transaction(async (trx) => {
      const segmentState = await events.describeFeatureState(trx, ids.segmentState);
      await events.emitFlagUpdated(trx, { environmentId: ids.env, newState: segmentState!, previousState: null, changedBy: apiKeyPrincipal });
      const identityState = await events.describeFeatureState(trx, ids.identityState);
      await events.emitFlagDeleted(trx, { environmentId: ids.env, previousState: identityState!, changedBy: null });
      await events.emitNewVersionPublished(trx, { environmentId: ids.env, versionUuid, featureId: ids.feature, publishedBy: apiKeyPrincipal });
      await events.emitScheduledVersionConflict(trx, {
        environmentId: ids.env,
        data: {
          version_uuid: generateUuid(), conflicting_version_uuid: versionUuid, feature: { id: ids.feature, name: 'banner' }, environment: { id: ids.env, name: 'Staging', api_key: ids.apiKey },
          scheduled_for: '2026-06-02T00:00:00.000Z', change_request: { id: 3, title: 'Blue banner' }, author: { id: 1, email: 'admin@example.com' }, detected_at: '2026-06-02T00:00:00.000Z',
        },
      });
    });
    await api.built.services.jobs.runOnce();

    expect(types(envRx)).toEqual(['FLAG_UPDATED', 'FLAG_DELETED', 'NEW_VERSION_PUBLISHED', 'SCHEDULED_VERSION_CONFLICT']);
    // Organisation webhooks: both flag events, the audit entry of their own creation, no version summary.
    expect(types(orgRx)).toEqual(['AUDIT_LOG_CREATED', 'FLAG_UPDATED', 'FLAG_DELETED']);
    for (const r of [...envRx.requests, ...orgRx.requests]) expect(Value.Check(WebhookBodySchema, r.json), r.raw).toBe(true);

    const [updated, deleted, published, conflict] = envRx.requests.map((r) => r.json.data);
    expect(Value.Check(FlagUpdatedDataSchema, updated)).toBe(true);
    expect(updated).toMatchObject({
      changed_by: 'ci-key',
      previous_state: null,
      new_state: { feature_segment: { segment: { id: ids.segment, name: 'beta users', description: 'opted in' }, priority: 0 }, identity: null, enabled: false, feature_state_value: 'red' },
    });
    expect(Value.Check(FlagDeletedDataSchema, deleted)).toBe(true);
    expect(deleted).toMatchObject({ new_state: null, changed_by: '', previous_state: { identity: ids.identity, identity_identifier: 'user-42', feature_segment: null, feature_state_value: 'gold' } });
    expect(Value.Check(NewVersionPublishedDataSchema, published)).toBe(true);
    expect(published).toEqual({
      uuid: versionUuid,
      feature: { id: ids.feature, name: 'banner' },
      environment_id: ids.env,
      published_by: { api_key: { id: 7, name: 'ci-key' } },
      feature_states: [
        { enabled: true, value: 'blue', feature_segment: null, multivariate_feature_state_values: [{ id: expect.any(Number), multivariate_feature_option: { id: ids.option, value: 3 }, percentage_allocation: 25 }] },
        { enabled: false, value: 'red', feature_segment: { segment: { id: ids.segment, name: 'beta users' }, priority: 0 }, multivariate_feature_state_values: [] },
      ],
    });
    expect(Value.Check(ScheduledVersionConflictDataSchema, conflict)).toBe(true);
    expect(Value.Check(AuditLogCreatedDataSchema, orgRx.requests[0]!.json.data)).toBe(true);
  });

  test('an event emitted in a transaction that rolls back is never delivered', async () => {
    await expect(
      api.testDb.db.transaction(async (trx) => {
        await api.built.services.events.emit(trx, { scope: { environmentId: ids.env }, eventType: 'FLAG_UPDATED', data: {}, destinations: 'environment+organisation' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await api.built.services.jobs.runOnce();
    expect(envRx.requests).toHaveLength(0);
    expect(types(orgRx)).toEqual(['AUDIT_LOG_CREATED']);
  });
});
