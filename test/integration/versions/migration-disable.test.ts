import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { createIdentity, createIdentityOverride, createSdkEnvironment, createSegment, createSegmentOverride, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';

const stringValue = (v: string) => ({ type: 'unicode', string_value: v });

/**
 * Disabling v2 after some history: published versions, a draft and a scheduled version. Only the live
 * state survives, as plain v1 rows; SDKs see the same document; identity overrides stay.
 */
describe.each(DIALECTS)('disabling feature versioning v2 on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  let banner: number;
  let limit: number;
  let segments: { beta: number; staff: number };
  let identityOverrideBefore: unknown;
  let documentBefore: unknown;
  const k = () => api.testDb.db.kysely;

  async function runUntil(status: string): Promise<void> {
    for (let i = 0; i < 5; i++) {
      if ((await api.op('getVersioningStatus', { params: { api_key: env.clientKey } })).body.versioning_status === status) return;
      await api.built.services.jobs.runOnce();
    }
  }

  async function publish(featureId: number, body: Record<string, unknown>): Promise<void> {
    const r = await api.op('createFeatureVersion', { params: { environment_pk: env.environmentId, feature_pk: featureId }, body: { publish_immediately: true, ...body } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Back');
    banner = (await createFeature(api, env.projectId, 'banner', { initial_value: 'hello', default_enabled: true })).id;
    limit = (await createFeature(api, env.projectId, 'limit', { initial_value: '10', default_enabled: true })).id;
    segments = {
      beta: (await createSegment(api, env.projectId, 'beta', [{ operator: 'EQUAL', property: 'plan', value: 'beta' }])).id,
      staff: (await createSegment(api, env.projectId, 'staff', [{ operator: 'EQUAL', property: 'staff', value: 'true' }])).id,
    };
    await createSegmentOverride(api, env, { featureId: limit, segmentId: segments.beta, enabled: true, value: 100 });
    await createSegmentOverride(api, env, { featureId: limit, segmentId: segments.staff, enabled: true, value: 1000 });
    const identity = await createIdentity(api, env, 'alice');
    const override = await createIdentityOverride(api, env, identity.id, banner, { enabled: false, value: 'hi alice' });
    identityOverrideBefore = await k().selectFrom('feature_states').selectAll().where('id', '=', override.id).executeTakeFirstOrThrow();

    expect((await api.op('enableV2Versioning', { params: { api_key: env.clientKey } })).status).toBe(202);
    await runUntil('v2');
    // History: two published versions of banner, one of limit that drops an override, a draft, a scheduled version.
    api.clock.advanceMs(1000);
    await publish(banner, { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('second') }] });
    api.clock.advanceMs(1000);
    await publish(banner, { feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: stringValue('third') }] });
    api.clock.advanceMs(1000);
    await publish(limit, { segment_ids_to_delete_overrides: [segments.staff] });
    const draft = await api.op('createFeatureVersion', { params: { environment_pk: env.environmentId, feature_pk: limit }, body: { feature_states_to_update: [{ feature_segment: null, enabled: false }] } });
    expect(draft.status).toBe(201);
    const scheduled = await api.op<{ uuid: string }>('createFeatureVersion', {
      params: { environment_pk: env.environmentId, feature_pk: banner },
      body: { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('future') }] },
    });
    const future = new Date(api.clock.now().getTime() + 86_400_000).toISOString();
    expect((await api.op('publishFeatureVersion', { params: { environment_pk: env.environmentId, feature_pk: banner, uuid: scheduled.body.uuid }, body: { live_from: future } })).status).toBe(200);

    documentBefore = (await sdkOp(api, 'getEnvironmentDocument', env.serverKey)).body;
    expect((await api.op('disableV2Versioning', { params: { api_key: env.clientKey }, body: { confirm_discard_history: true } })).status).toBe(202);
    await runUntil('v1');
  });
  afterAll(() => api.stop());

  test('the environment is back on v1 with no version left', async () => {
    expect((await api.op('getVersioningStatus', { params: { api_key: env.clientKey } })).body).toMatchObject({ versioning_status: 'v1', use_v2_feature_versioning: false });
    const versions = await k().selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', env.environmentId).execute();
    expect(versions).toEqual([]);
  });

  test('the environment document is identical before and after', async () => {
    expect((await sdkOp(api, 'getEnvironmentDocument', env.serverKey)).body).toEqual(documentBefore);
  });

  test('only the live state is kept, as v1 rows: one environment default per feature and the live overrides', async () => {
    const rows = await k()
      .selectFrom('feature_states as fs')
      .leftJoin('feature_segments as fseg', 'fseg.id', 'fs.feature_segment_id')
      .select(['fs.feature_id', 'fseg.segment_id', 'fs.string_value', 'fs.integer_value', 'fs.enabled', 'fs.version', 'fs.environment_feature_version_uuid', 'fseg.environment_feature_version_uuid as fseg_version'])
      .where('fs.environment_id', '=', env.environmentId)
      .where('fs.identity_id', 'is', null)
      .execute();
    const summary = rows.map((r) => ({ feature: r.feature_id, segment: r.segment_id ?? null, value: r.string_value ?? Number(r.integer_value), enabled: Boolean(r.enabled) }));
    expect(summary.sort((a, b) => a.feature - b.feature || (a.segment ?? 0) - (b.segment ?? 0))).toEqual([
      { feature: banner, segment: null, value: 'third', enabled: false },
      { feature: limit, segment: null, value: 10, enabled: true },
      { feature: limit, segment: segments.beta, value: 100, enabled: true },
    ]);
    expect(rows.every((r) => r.environment_feature_version_uuid === null && (r.fseg_version ?? null) === null && Number(r.version) === 1)).toBe(true);
    const segmentsLeft = await k().selectFrom('feature_segments').select(['segment_id', 'environment_feature_version_uuid']).where('environment_id', '=', env.environmentId).execute();
    expect(segmentsLeft).toEqual([{ segment_id: segments.beta, environment_feature_version_uuid: null }]);
  });

  test('identity overrides are not touched', async () => {
    const rows = await k().selectFrom('feature_states').selectAll().where('identity_id', 'is not', null).where('environment_id', '=', env.environmentId).execute();
    expect(rows).toEqual([identityOverrideBefore]);
  });

  test('v1 writes work again through the legacy routes, and the scheduled version never goes live', async () => {
    const states = await api.op<{ results: { id: number; feature: number }[] }>('listEnvironmentFeatureStates', { params: { environment_api_key: env.clientKey }, query: { feature: banner } });
    expect(states.body.results).toHaveLength(1);
    const r = await api.op('updateEnvironmentFeatureState', { params: { environment_api_key: env.clientKey, id: states.body.results[0]!.id }, body: { enabled: true, feature_state_value: 'v1 again' } });
    expect(r.status).toBe(200);
    api.clock.advanceMs(2 * 86_400_000);
    await api.built.services.jobs.runOnce();
    const flags = await sdkOp<{ feature: { name: string }; enabled: boolean; feature_state_value: unknown }[]>(api, 'getSdkFlags', env.clientKey);
    expect(flags.body.find((x) => x.feature.name === 'banner')).toMatchObject({ enabled: true, feature_state_value: 'v1 again' });
  });
});
