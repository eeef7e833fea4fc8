import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { createSdkEnvironment, createSegment, createSegmentOverride, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';

type Flag = { feature: { name: string }; enabled: boolean; feature_state_value: unknown };

/**
 * Segment REGEX conditions on the SDK path (issue 16 item 6): evaluated with a linear-time engine, so a
 * catastrophic pattern answers at once (with JavaScript's RegExp this request took longer than anyone
 * waits, blocking every other SDK client); patterns that engine cannot run are refused when written.
 */
describe.each(DIALECTS)('segment regexes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Regex');
    const feature = await createFeature(api, env.projectId, 'banner');
    const segment = await createSegment(api, env.projectId, 'catastrophic', [{ operator: 'REGEX', property: 'name', value: '(a+)+$' }]);
    await createSegmentOverride(api, env, { featureId: feature.id, segmentId: segment.id, enabled: true, value: 'in segment' });
  });
  afterAll(() => api.stop());

  test('identifying with a 50-character hostile trait returns, and the pattern still matches what it should', async () => {
    const hostile = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'hostile', traits: [{ trait_key: 'name', trait_value: `${'a'.repeat(50)}!` }] } });
    expect(hostile.status).toBe(200);
    expect(hostile.body.flags.find((f: Flag) => f.feature.name === 'banner')).toMatchObject({ enabled: false, feature_state_value: null });
    const member = await sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'member', traits: [{ trait_key: 'name', trait_value: 'a'.repeat(50) }] } });
    expect(member.body.flags.find((f: Flag) => f.feature.name === 'banner')).toMatchObject({ enabled: true, feature_state_value: 'in segment' });
    // GET with stored traits takes the same path.
    const again = await sdkOp(api, 'getSdkIdentity', env.clientKey, { query: { identifier: 'hostile' } });
    expect(again.status).toBe(200);
    expect(again.body.flags.find((f: Flag) => f.feature.name === 'banner').enabled).toBe(false);
  });

  test('a pattern the linear-time engine cannot run (lookaround, backreference) is 400 naming the condition', async () => {
    for (const pattern of ['(?=admin)a', '(\\w+)-\\1']) {
      const r = await api.op('createSegment', {
        params: { project_pk: env.projectId },
        body: { name: `refused ${pattern}`, rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'REGEX', property: 'name', value: pattern }] }], conditions: [] }] },
      });
      expect(r.status).toBe(400);
      expect(r.body.details.issues).toEqual([{ path: 'body/rules/0/rules/0/conditions/0/value', message: expect.stringContaining('backreferences and lookaround are not supported') }]);
    }
    const names = (await api.op('listSegments', { params: { project_pk: env.projectId } })).body.results.map((s: { name: string }) => s.name);
    expect(names).toEqual(['catastrophic']);
  });
});
