import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { createIdentity, createIdentityOverride, createSdkEnvironment, createSegment, createSegmentOverride, sdkOp, setEnvironmentDefault, type SdkEnvironment } from '../../support/sdk-fixtures.js';
import { generateUuid } from '../../../sync-server/platform/security/secrets.js';

const DAY = 24 * 60 * 60 * 1000;

interface VersionWire {
  uuid: string;
  status: string;
  is_live: boolean;
  published: boolean;
  live_from: string | null;
}

/**
 * Enabling Feature Versioning v2 on an environment with real v1 data (written through the Admin API):
 * environment defaults, segment overrides, a multivariate feature, an identity override and committed v1
 * scheduled changes. What SDKs see must not change, and the scheduled changes must still happen.
 */
describe.each(DIALECTS)('enabling feature versioning v2 on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  const f: Record<'banner' | 'limit' | 'checkout', number> = { banner: 0, limit: 0, checkout: 0 };
  let segments: { beta: number; staff: number };
  let identityOverrideBefore: unknown;
  let documentBefore: unknown;
  let scheduledAt: { banner: string; limit: string };
  const k = () => api.testDb.db.kysely;

  /**
   * A committed v1 scheduled change, as Flagsmith's v1 change requests leave it: a new feature state at the
   * same place with the next version number and a future `live_from`.
   */
  async function insertScheduledV1State(featureId: number, featureSegmentId: number | null, value: string | number, liveFrom: string): Promise<number> {
    const current = await k()
      .selectFrom('feature_states')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('environment_id', '=', env.environmentId)
      .where('feature_id', '=', featureId)
      .where('identity_id', 'is', null)
      .where('feature_segment_id', featureSegmentId === null ? 'is' : '=', featureSegmentId)
      .executeTakeFirstOrThrow();
    const now = api.clock.now().toISOString();
    const typedValue = typeof value === 'number' ? { value_type: 'int' as const, string_value: null, integer_value: value } : { value_type: 'unicode' as const, string_value: value, integer_value: null };
    const r = await k()
      .insertInto('feature_states')
      .values({
        uuid: generateUuid(), feature_id: featureId, environment_id: env.environmentId, identity_id: null, feature_segment_id: featureSegmentId, enabled: true, ...typedValue,
        boolean_value: null, version: Number(current.v ?? 0) + 1, live_from: liveFrom, environment_feature_version_uuid: null, created_at: now, updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  async function document(): Promise<unknown> {
    const r = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
    expect(r.status).toBe(200);
    return r.body;
  }

  async function versionsOf(featureId: number): Promise<VersionWire[]> {
    const r = await api.op<{ results: VersionWire[] }>('listFeatureVersions', { params: { environment_pk: env.environmentId, feature_pk: featureId } });
    expect(r.status).toBe(200);
    return r.body.results;
  }

  async function flagValue(featureName: string): Promise<unknown> {
    const r = await sdkOp<{ feature: { name: string }; feature_state_value: unknown }[]>(api, 'getSdkFlags', env.clientKey);
    return r.body.find((x) => x.feature.name === featureName)?.feature_state_value;
  }

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Shop');
    f.banner = (await createFeature(api, env.projectId, 'banner', { initial_value: 'hello', default_enabled: true })).id;
    f.limit = (await createFeature(api, env.projectId, 'limit', { initial_value: '10', default_enabled: true })).id;
    f.checkout = (
      await createFeature(api, env.projectId, 'checkout', {
        initial_value: 'control',
        default_enabled: true,
        multivariate_options: [
          { type: 'unicode', string_value: 'variant-a', default_percentage_allocation: 30 },
          { type: 'unicode', string_value: 'variant-b', default_percentage_allocation: 20 },
        ],
      })
    ).id;
    await setEnvironmentDefault(api, env, f.limit, { value: 25 });
    segments = {
      beta: (await createSegment(api, env.projectId, 'beta', [{ operator: 'EQUAL', property: 'plan', value: 'beta' }])).id,
      staff: (await createSegment(api, env.projectId, 'staff', [{ operator: 'EQUAL', property: 'staff', value: 'true' }])).id,
    };
    const betaOverride = await createSegmentOverride(api, env, { featureId: f.limit, segmentId: segments.beta, enabled: true, value: 100 });
    await createSegmentOverride(api, env, { featureId: f.limit, segmentId: segments.staff, enabled: false, value: 1000 });
    await createSegmentOverride(api, env, { featureId: f.banner, segmentId: segments.staff, enabled: true, value: 'hi staff' });
    const identity = await createIdentity(api, env, 'alice');
    const override = await createIdentityOverride(api, env, identity.id, f.banner, { enabled: false, value: 'hi alice' });
    identityOverrideBefore = await k().selectFrom('feature_states').selectAll().where('id', '=', override.id).executeTakeFirstOrThrow();

    const now = api.clock.now().getTime();
    scheduledAt = { banner: new Date(now + DAY).toISOString(), limit: new Date(now + 2 * DAY).toISOString() };
    await insertScheduledV1State(f.banner, null, 'tomorrow', scheduledAt.banner);
    await insertScheduledV1State(f.limit, betaOverride.featureSegmentId, 200, scheduledAt.limit);

    documentBefore = await document();
    expect((await api.op('enableV2Versioning', { params: { api_key: env.clientKey } })).status).toBe(202);
    // Poll as a client would; the job runs when the runner passes.
    for (let i = 0; i < 5; i++) {
      const status = await api.op<{ versioning_status: string }>('getVersioningStatus', { params: { api_key: env.clientKey } });
      if (status.body.versioning_status === 'v2') break;
      await api.built.services.jobs.runOnce();
    }
  });
  afterAll(() => api.stop());

  test('the environment ends on v2 and the job is done', async () => {
    const status = await api.op('getVersioningStatus', { params: { api_key: env.clientKey } });
    expect(status.body).toMatchObject({ versioning_status: 'v2', use_v2_feature_versioning: true, progress: { done: 3, total: 3 } });
    const jobs = await k().selectFrom('jobs').select(['kind', 'status']).where('kind', '=', 'versioning.enable-v2').execute();
    expect(jobs).toEqual([{ kind: 'versioning.enable-v2', status: 'done' }]);
  });

  test('the environment document is identical before and after the migration', async () => {
    expect(await document()).toEqual(documentBefore);
  });

  test('each feature has exactly one live published version holding its state', async () => {
    for (const featureId of Object.values(f)) {
      const live = (await versionsOf(featureId)).filter((v) => v.status === 'published');
      expect(live).toHaveLength(1);
      expect(live[0]).toMatchObject({ is_live: true, published: true });
    }
    const [limitLive] = (await versionsOf(f.limit)).filter((v) => v.status === 'published');
    const states = await api.op<{ feature_segment: { segment: number } | null; enabled: boolean; feature_state_value: unknown }[]>('listFeatureVersionFeatureStates', {
      params: { environment_pk: env.environmentId, feature_pk: f.limit, uuid: limitLive!.uuid },
    });
    const bySegment = new Map(states.body.map((s) => [s.feature_segment?.segment ?? null, s]));
    expect(bySegment.size).toBe(3);
    expect(bySegment.get(null)).toMatchObject({ enabled: true, feature_state_value: { type: 'int', integer_value: 25 } });
    expect(bySegment.get(segments.beta)).toMatchObject({ enabled: true, feature_state_value: { type: 'int', integer_value: 100 } });
    expect(bySegment.get(segments.staff)).toMatchObject({ enabled: false, feature_state_value: { type: 'int', integer_value: 1000 } });
  });

  test('committed v1 scheduled changes become scheduled versions with their original live_from', async () => {
    const banner = (await versionsOf(f.banner)).filter((v) => v.status === 'scheduled');
    expect(banner).toHaveLength(1);
    expect(banner[0]).toMatchObject({ live_from: scheduledAt.banner, is_live: false, published: true });
    const states = await api.op<{ feature_segment: unknown; feature_state_value: { string_value: unknown } }[]>('listFeatureVersionFeatureStates', {
      params: { environment_pk: env.environmentId, feature_pk: f.banner, uuid: banner[0]!.uuid },
    });
    // The scheduled version holds the whole feature: the new default and the untouched staff override.
    expect(states.body.find((s) => s.feature_segment === null)?.feature_state_value.string_value).toBe('tomorrow');
    expect(states.body).toHaveLength(2);
    const limit = (await versionsOf(f.limit)).filter((v) => v.status === 'scheduled');
    expect(limit.map((v) => v.live_from)).toEqual([scheduledAt.limit]);
    expect((await versionsOf(f.checkout)).filter((v) => v.status === 'scheduled')).toEqual([]);
    // No v1 row is left that a v2 reader would not see.
    const unversioned = await k().selectFrom('feature_states').select('id').where('environment_id', '=', env.environmentId).where('identity_id', 'is', null).where('environment_feature_version_uuid', 'is', null).execute();
    expect(unversioned).toEqual([]);
  });

  test('identity overrides are not touched', async () => {
    const row = await k().selectFrom('feature_states').selectAll().where('identity_id', 'is not', null).where('environment_id', '=', env.environmentId).execute();
    expect(row).toEqual([identityOverrideBefore]);
  });

  test('the scheduled changes go live at their original time', async () => {
    expect(await flagValue('banner')).toBe('hello');
    api.clock.set(new Date(new Date(scheduledAt.banner).getTime() + 1000));
    await api.built.services.jobs.runOnce();
    expect(await flagValue('banner')).toBe('tomorrow');
    const betaLimit = async () => {
      const r = await sdkOp<{ flags: { feature: { name: string }; feature_state_value: unknown }[] }>(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'bob', traits: [{ trait_key: 'plan', trait_value: 'beta' }], transient: true } });
      return r.body.flags.find((x) => x.feature.name === 'limit')?.feature_state_value;
    };
    expect(await betaLimit()).toBe(100);
    api.clock.set(new Date(new Date(scheduledAt.limit).getTime() + 1000));
    await api.built.services.jobs.runOnce();
    expect(await betaLimit()).toBe(200);
    expect(await flagValue('banner')).toBe('tomorrow');
    // Both went live: the initial version, then the carried-over change on top of it.
    const limitVersions = await versionsOf(f.limit);
    expect(limitVersions.map((v) => v.status)).toEqual(['published', 'published']);
  });
});
