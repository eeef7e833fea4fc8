import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { createFeature, createMvOption } from '../../support/flag-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

/* Issue 10 §2.6 (spec §5.3): update-flag-v2 keeps unlisted variations' weights, refuses totals over 100, needs environment_default. */
describe.each(DIALECTS)('update-flag-v2 rules on %s', (dialect) => {
  const api = new TestApi(dialect);
  const envs: Record<'v1' | 'v2', { id: number; api_key: string }> = {} as never;
  let project = 0;

  async function weightsOf(kind: 'v1' | 'v2', featureId: number): Promise<Record<number, number>> {
    const r = await api.op('listFeatureStates', { query: { environment: envs[kind].id, feature: featureId } });
    const state = r.body.results.find((s: any) => s.feature_segment === null);
    return Object.fromEntries(state.multivariate_feature_state_values.map((m: any) => [m.multivariate_feature_option, m.percentage_allocation]));
  }
  async function multivariateFeature(name: string) {
    const f = await createFeature(api, project, name);
    const a = await createMvOption(api, project, f.id, { type: 'unicode', string_value: 'a', default_percentage_allocation: 30 });
    const b = await createMvOption(api, project, f.id, { type: 'unicode', string_value: 'b', default_percentage_allocation: 40 });
    return { id: f.id, a: a.id, b: b.id };
  }

  beforeAll(async () => {
    await api.start();
    project = (await createProject(api, 'Flags')).id;
    envs.v1 = await createEnvironment(api, project, 'Classic');
    envs.v2 = await createEnvironment(api, project, 'Versioned');
    expect((await api.op('enableV2Versioning', { params: { api_key: envs.v2.api_key } })).status).toBe(202);
    await api.built.services.jobs.runOnce();
  });
  afterAll(() => api.stop());

  test.each(['v1', 'v2'] as const)('on %s, omitted variations keep their weights', async (kind) => {
    const f = await multivariateFeature(`keep_${kind}`);
    expect(await weightsOf(kind, f.id)).toEqual({ [f.a]: 30, [f.b]: 40 });
    const r = await api.op('updateFlagV2', {
      params: { environment_key: envs[kind].api_key },
      body: { feature: { id: f.id }, environment_default: { enabled: true, multivariate_feature_state_values: [{ multivariate_feature_option: f.a, percentage_allocation: 50 }] } },
    });
    expect(r.status).toBe(204);
    expect(await weightsOf(kind, f.id)).toEqual({ [f.a]: 50, [f.b]: 40 });
  });

  test.each(['v1', 'v2'] as const)('on %s, passed plus retained over 100%% is a 400 with Flagsmith’s message and changes nothing', async (kind) => {
    const f = await multivariateFeature(`over_${kind}`);
    const r = await api.op('updateFlagV2', {
      params: { environment_key: envs[kind].api_key },
      body: { feature: { id: f.id }, environment_default: { enabled: true, multivariate_feature_state_values: [{ multivariate_feature_option: f.a, percentage_allocation: 70 }] } },
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('Multivariate allocations for the feature state must not exceed 100%, got 110.0%.');
    expect(await weightsOf(kind, f.id)).toEqual({ [f.a]: 30, [f.b]: 40 });
  });

  test('environment_default is required', async () => {
    const f = await createFeature(api, project, 'no_default');
    const r = await api.op('updateFlagV2', { params: { environment_key: envs.v2.api_key }, body: { feature: { id: f.id }, segment_overrides: [] } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('environment_default');
  });
});
