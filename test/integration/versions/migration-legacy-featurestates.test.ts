import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { createSdkEnvironment, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';

type Flag = { feature: { name: string }; enabled: boolean; feature_state_value: unknown };
type EnvState = { id: number; feature: number; enabled: boolean; feature_state_value: unknown };

/**
 * After the move to v2, scripts that still call the legacy `/environments/{api_key}/featurestates/`
 * routes change the live version's feature states in place and create no version (spec: "Editing a flag
 * through the API"); the rows of other versions are out of their reach.
 */
describe.each(DIALECTS)('legacy environment feature-state writes on a v2 environment on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  let featureId: number;
  let initialStateId: number;
  const k = () => api.testDb.db.kysely;

  async function versions(): Promise<{ uuid: string; status: string }[]> {
    return k().selectFrom('environment_feature_versions').select(['uuid', 'status']).where('environment_id', '=', env.environmentId).where('feature_id', '=', featureId).orderBy('id').execute();
  }

  async function listed(): Promise<EnvState[]> {
    const r = await api.op<{ results: EnvState[] }>('listEnvironmentFeatureStates', { params: { environment_api_key: env.clientKey }, query: { feature: featureId } });
    expect(r.status).toBe(200);
    return r.body.results;
  }

  async function flag(): Promise<Flag | undefined> {
    return (await sdkOp<Flag[]>(api, 'getSdkFlags', env.clientKey)).body.find((x) => x.feature.name === 'banner');
  }

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Legacy');
    featureId = (await createFeature(api, env.projectId, 'banner', { initial_value: 'hello', default_enabled: false })).id;
    initialStateId = (await listed())[0]!.id;
    expect((await api.op('enableV2Versioning', { params: { api_key: env.clientKey } })).status).toBe(202);
    await api.built.services.jobs.runOnce();
    // A second version goes live, and a draft waits: three sets of rows for one feature.
    api.clock.advanceMs(1000);
    const published = await api.op('createFeatureVersion', {
      params: { environment_pk: env.environmentId, feature_pk: featureId },
      body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: { type: 'unicode', string_value: 'second' } }] },
    });
    expect(published.status).toBe(201);
    expect((await api.op('createFeatureVersion', { params: { environment_pk: env.environmentId, feature_pk: featureId }, body: {} })).status).toBe(201);
  });
  afterAll(() => api.stop());

  test('the environment list shows only the live version’s state', async () => {
    const states = await listed();
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ enabled: true, feature_state_value: 'second' });
    expect(states[0]!.id).not.toBe(initialStateId);
  });

  test('a legacy update changes the live version’s state in place and creates no version', async () => {
    const before = await versions();
    const [live] = await listed();
    const r = await api.op('updateEnvironmentFeatureState', { params: { environment_api_key: env.clientKey, id: live!.id }, body: { enabled: false, feature_state_value: 'edited in place' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: live!.id, enabled: false, feature_state_value: 'edited in place' });
    expect(await versions()).toEqual(before);
    expect(await flag()).toMatchObject({ enabled: false, feature_state_value: 'edited in place' });
    const row = await k().selectFrom('feature_states').select(['environment_feature_version_uuid']).where('id', '=', live!.id).executeTakeFirstOrThrow();
    expect(before.find((v) => v.uuid === row.environment_feature_version_uuid)?.status).toBe('published');
  });

  test('rows of versions that are not live cannot be changed through the legacy routes', async () => {
    const r = await api.op('updateEnvironmentFeatureState', { params: { environment_api_key: env.clientKey, id: initialStateId }, body: { enabled: true } });
    expect(r.status).toBe(404);
    const generic = await api.op('partialUpdateFeatureState', { params: { id: initialStateId }, body: { enabled: true } });
    expect(generic.status).toBe(400);
    expect(generic.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'FEATURE_STATE_NOT_LIVE' } });
    const row = await k().selectFrom('feature_states').select(['enabled', 'string_value']).where('id', '=', initialStateId).executeTakeFirstOrThrow();
    expect(Boolean(row.enabled)).toBe(false);
    expect(row.string_value).toBe('hello');
  });
  test('a legacy update is kept by the next version: a new draft starts from it and publishing does not undo it', async () => {
    const [live] = await listed();
    expect((await api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: env.clientKey, id: live!.id }, body: { feature_state_value: 'from a script' } })).status).toBe(200);
    api.clock.advanceMs(1000);
    // A draft made now, changing only `enabled`, must carry the script's value into the next version.
    const next = await api.op('createFeatureVersion', {
      params: { environment_pk: env.environmentId, feature_pk: featureId },
      body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: false }] },
    });
    expect(next.status).toBe(201);
    expect(await flag()).toMatchObject({ enabled: false, feature_state_value: 'from a script' });
  });
});
