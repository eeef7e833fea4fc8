import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { sdkOp, createSegment } from '../../support/sdk-fixtures.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

/*
 * Issue 10 §2.1: multivariate bucketing is stable. Flagsmith's engine hashes an identity with the feature
 * state's `django_id`, which is the bucketing seed of its lineage (spec §1.5), so a new version, a
 * recreated override and a reweight move only the identities in the band a reweight moves.
 */
describe.each(DIALECTS)('stable multivariate bucketing on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let key = '';
  let vip = 0;
  const identifiers = Array.from({ length: 120 }, (_, i) => `user-${i}`);

  async function publish(body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w), body: { ...body, publish_immediately: true } });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${r.status} ${JSON.stringify(r.body)}`);
  }
  /** The value each identity gets for the feature (remote evaluation, `/identities/`). */
  async function variants(traits: { trait_key: string; trait_value: string }[] = []): Promise<string[]> {
    const out: string[] = [];
    for (const identifier of identifiers) {
      const r = await sdkOp(api, 'identifySdkIdentity', key, { body: { identifier, traits, transient: true } });
      expect(r.status).toBe(200);
      out.push(String(r.body.flags.find((f: { feature: { id: number } }) => f.feature.id === w.feature).feature_state_value));
    }
    return out;
  }
  const weights = (a: number, b: number) => [
    { multivariate_feature_option: w.options[0], percentage_allocation: a },
    { multivariate_feature_option: w.options[1], percentage_allocation: b },
  ];

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { optionValues: ['red', 'blue'] });
    key = w.env.api_key;
    vip = (await createSegment(api, w.project, 'vip', [{ operator: 'EQUAL', property: 'plan', value: 'pro' }])).id;
    await publish({ feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('control'), multivariate_feature_state_values: weights(50, 50) }] });
  });
  afterAll(() => api.stop());

  test('publishing a version that does not touch the weights keeps every identity in its variant', async () => {
    const before = await variants();
    expect(new Set(before)).toEqual(new Set(['red', 'blue']));
    await publish({ feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('control 2') }] });
    await publish({ description: 'an empty change' });
    expect(await variants()).toEqual(before);
  });

  test('a reweight moves only the identities of the band it moves', async () => {
    const before = await variants();
    await publish({ feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('control 2'), multivariate_feature_state_values: weights(30, 70) }] });
    const after = await variants();
    // red keeps [0, 30), blue grows to [30, 100): only red identities may move, and only to blue.
    const moved = before.map((v, i) => [v, after[i]] as const).filter(([a, b]) => a !== b);
    expect(moved.length).toBeGreaterThan(0);
    for (const [from, to] of moved) expect([from, to]).toEqual(['red', 'blue']);
    expect(after.filter((v) => v === 'red').length).toBeLessThan(before.filter((v) => v === 'red').length);
  });

  test('a segment override deleted in one version and recreated in a later one buckets identities as before', async () => {
    const pro = [{ trait_key: 'plan', trait_value: 'pro' }];
    await publish({ feature_states_to_create: [{ feature_segment: { segment: vip }, enabled: true, feature_state_value: stringValue('vip'), multivariate_feature_state_values: weights(50, 50) }] });
    const before = await variants(pro);
    expect(new Set(before)).toEqual(new Set(['red', 'blue']));
    await publish({ segment_ids_to_delete_overrides: [vip] });
    expect(new Set(await variants(pro))).toEqual(new Set(['red', 'blue'])); // the default's split again
    await publish({ feature_states_to_create: [{ feature_segment: { segment: vip }, enabled: true, feature_state_value: stringValue('vip'), multivariate_feature_state_values: weights(50, 50) }] });
    expect(await variants(pro)).toEqual(before);
  });

  test('the document hashes with the lineage seed while the flags endpoints show the state id', async () => {
    const serverKey = (await api.op('createEnvironmentApiKey', { params: { api_key: key }, body: { name: 'backend' } })).body.key as string;
    const doc = (await sdkOp(api, 'getEnvironmentDocument', serverKey)).body;
    const state = doc.feature_states.find((s: { feature: { id: number } }) => s.feature.id === w.feature);
    const live = (await api.op('listFeatureVersions', { params: at(w), query: { is_live: 'true' } })).body.results[0].uuid;
    const [liveDefault] = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: live }) })).body;
    expect(state.django_id).toBeLessThan(liveDefault.id); // the seed is the first state's id, older than this version
    const flags = (await sdkOp(api, 'getSdkFlags', key)).body;
    expect(flags.find((f: { feature: { id: number } }) => f.feature.id === w.feature).id).toBe(liveDefault.id);
  });
});
