import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { routeTable } from '../../../src-shared/contracts/http/route-table.js';
import { FEATURE_VALUE_MAX_LENGTH } from '../../../src-shared/contracts/http/limits.js';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature, environmentDefaultState, insertFeatureSegment } from '../../support/flag-fixtures.js';
import { createSdkEnvironment, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';
import { at, stringValue, v2World } from '../../support/versions-fixtures.js';

type Schema = { type?: string; anyOf?: Schema[]; properties?: Record<string, Schema>; items?: Schema; maxLength?: number; maxItems?: number; maximum?: number; enum?: unknown; const?: unknown; format?: string };

/** Typeless value fields the services check by type; a string in them is refused whatever its length. */
const NON_STRING_VALUE_FIELDS = new Set(['integer_value', 'boolean_value', 'float_value']);

/** The fields of a request schema without an upper bound (length, items or value). */
function unboundedFields(schema: Schema, path: string): string[] {
  if (schema.anyOf) return schema.anyOf.flatMap((s) => unboundedFields(s, path));
  const name = path.split('/').pop() ?? '';
  const found: string[] = [];
  if (schema.type === 'string' && schema.maxLength === undefined && schema.enum === undefined && schema.const === undefined && schema.format !== 'date-time') found.push(`${path} (string)`);
  if ((schema.type === 'integer' || schema.type === 'number') && schema.maximum === undefined) found.push(`${path} (number)`);
  if (schema.type === 'array') {
    if (schema.maxItems === undefined) found.push(`${path} (array)`);
    // The innermost segment rules are left open for the rules check, which names a too-deep tree.
    if (schema.items && !(schema.items.type === undefined && !schema.items.properties)) found.push(...unboundedFields(schema.items, `${path}/*`));
  }
  if (schema.type === undefined && !schema.properties && !schema.items && schema.maxLength === undefined && !NON_STRING_VALUE_FIELDS.has(name)) found.push(`${path} (any)`);
  for (const [key, child] of Object.entries(schema.properties ?? {})) found.push(...unboundedFields(child, `${path}/${key}`));
  return found;
}

test('every string, list and number a route takes has an upper bound in its contract (so the OpenAPI document shows it)', () => {
  const unbounded = Object.entries(routeTable).flatMap(([op, c]) =>
    (['params', 'querystring', 'body'] as const).flatMap((part) => {
      const schema = (c as Record<string, unknown>)[part] as Schema | undefined;
      return schema ? unboundedFields(schema, `${op} ${part}`) : [];
    }),
  );
  expect(unbounded).toEqual([]);
});

/** Flagsmith's limits (issue 16 item 7): 20,000-character flag values, and bounds on names, texts and rules. */
describe.each(DIALECTS)('input limits on %s', (dialect) => {
  const api = new TestApi(dialect);
  let env: SdkEnvironment;
  const atMost = FEATURE_VALUE_MAX_LENGTH;
  const tooLong = 'x'.repeat(atMost + 1);
  const issuesOf = (r: { body: { details?: { issues?: { path: string; message: string }[] } } }) => r.body.details?.issues ?? [];

  beforeAll(async () => {
    await api.start();
    env = await createSdkEnvironment(api, 'Limits');
  });
  afterAll(() => api.stop());

  test('a feature-state string value over 20,000 characters is 400 naming the field on every write path; 20,000 is fine', async () => {
    const feature = await createFeature(api, env.projectId, 'long_values');
    const state = await environmentDefaultState(api, env.clientKey, feature.id);
    const envParams = { environment_api_key: env.clientKey, id: state.id };
    const huge = await api.op('updateEnvironmentFeatureState', { params: envParams, body: { feature_state_value: 'x'.repeat(900_000) } });
    expect(huge.status).toBe(400);
    expect(issuesOf(huge)).toEqual([{ path: 'body/feature_state_value', message: `must NOT have more than ${atMost} characters` }]);
    const fits = await api.op('updateEnvironmentFeatureState', { params: envParams, body: { feature_state_value: 'y'.repeat(atMost) } });
    expect(fits.status).toBe(200);
    expect((fits.body.feature_state_value as string).length).toBe(atMost);

    const { featureSegmentId } = await insertFeatureSegment(api, { projectId: env.projectId, featureId: feature.id, environmentId: env.environmentId });
    const override = await api.op('createFeatureState', {
      body: { feature: feature.id, environment: env.environmentId, feature_segment: featureSegmentId, enabled: true, feature_state_value: { type: 'unicode', string_value: tooLong } },
    });
    expect(override.status).toBe(400);
    expect(issuesOf(override)[0]?.path).toBe('body/feature_state_value/string_value');

    const initial = await api.op('createFeature', { params: { project_pk: env.projectId }, body: { name: 'long_initial', initial_value: tooLong } });
    expect(issuesOf(initial)[0]?.path).toBe('body/initial_value');
    const option = await api.op('createFeatureMvOption', { params: { project_pk: env.projectId, feature_pk: feature.id }, body: { string_value: tooLong } });
    expect(issuesOf(option)[0]?.path).toBe('body/string_value');
    const inline = await api.op('createFeature', { params: { project_pk: env.projectId }, body: { name: 'long_option', multivariate_options: [{ string_value: tooLong }] } });
    expect(issuesOf(inline)[0]?.path).toBe('body/multivariate_options/0/string_value');
    const identity = await api.op('createIdentity', { params: { environment_api_key: env.clientKey }, body: { identifier: 'long-override' } });
    const identityOverride = await api.op('createIdentityFeatureState', {
      params: { environment_api_key: env.clientKey, identity_pk: identity.body.id },
      body: { feature: feature.id, enabled: true, feature_state_value: tooLong },
    });
    expect(issuesOf(identityOverride)[0]?.path).toBe('body/feature_state_value');
    const names = (await api.op('listFeatures', { params: { project_pk: env.projectId } })).body.results.map((f: { name: string }) => f.name);
    expect(names).toEqual(['long_values']);
  });

  test('v2 drafts and change requests take the same limit', async () => {
    const w = await v2World(api);
    const draft = await api.op('createFeatureVersion', { params: at(w), body: { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue(tooLong) }] } });
    expect(draft.status).toBe(400);
    expect(issuesOf(draft)[0]?.path).toBe('body/feature_states_to_update/0/feature_state_value/string_value');
    const cr = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: { title: 'long', change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue(tooLong) }] }] },
    });
    expect(cr.status).toBe(400);
    expect(issuesOf(cr)[0]?.path).toBe('body/change_sets/0/feature_states_to_update/0/feature_state_value/string_value');
    const ok = await api.op('createFeatureVersion', { params: at(w), body: { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('z'.repeat(atMost)) }] } });
    expect(ok.status).toBe(201);
  });

  test('names, descriptions, trait values and ids have bounds too, each a 400 naming the field', async () => {
    const cases: [string, Promise<{ status: number; body: any }>, string][] = [
      ['feature name', api.op('createFeature', { params: { project_pk: env.projectId }, body: { name: 'n'.repeat(2001) } }), 'body/name'],
      ['feature description', api.op('createFeature', { params: { project_pk: env.projectId }, body: { name: 'described', description: 'd'.repeat(20_001) } }), 'body/description'],
      ['segment name', api.op('createSegment', { params: { project_pk: env.projectId }, body: { name: 's'.repeat(2001), rules: [{ type: 'ALL', conditions: [{ operator: 'IS_SET', property: 'a' }] }] } }), 'body/name'],
      ['webhook url', api.op('createEnvironmentWebhook', { params: { api_key: env.clientKey }, body: { url: `https://hooks.example.com/${'u'.repeat(200)}` } }), 'body/url'],
      ['SDK trait value', sdkOp(api, 'identifySdkIdentity', env.clientKey, { body: { identifier: 'long-trait', traits: [{ trait_key: 'bio', trait_value: 't'.repeat(2001) }] } }), 'body/traits/0/trait_value'],
      ['an id beyond 32 bits', api.op('createFeatureMvOption', { params: { project_pk: env.projectId, feature_pk: 1 }, body: { feature: 99_999_999_999, string_value: 'a' } }), 'body/feature'],
    ];
    for (const [what, call, path] of cases) {
      const r = await call;
      expect({ what, status: r.status, path: r.body.details?.issues?.[0]?.path }).toEqual({ what, status: 400, path });
    }
  });

  test('segments: at most 200 rules, 100 conditions, 1,000-character condition values', async () => {
    const create = (rules: unknown[]) => api.op('createSegment', { params: { project_pk: env.projectId }, body: { name: 'bounded', rules } });
    const condition = { operator: 'EQUAL', property: 'plan', value: 'pro' };
    const manyRules = await create([{ type: 'ALL', rules: Array.from({ length: 200 }, () => ({ type: 'ANY', conditions: [] })), conditions: [condition] }]);
    expect(manyRules.status).toBe(400);
    expect(issuesOf(manyRules)).toEqual([{ path: 'body/rules', message: 'The segment has 201 rules, which exceeds the maximum rule count of 200.' }]);
    const wideLevel = await create([{ type: 'ALL', rules: Array.from({ length: 201 }, () => ({ type: 'ANY', conditions: [] })), conditions: [] }]);
    expect(issuesOf(wideLevel)[0]).toEqual({ path: 'body/rules/0/rules', message: 'must NOT have more than 200 items' });
    const manyConditions = await create([{ type: 'ALL', conditions: Array.from({ length: 101 }, () => condition) }]);
    expect(issuesOf(manyConditions)[0]).toEqual({ path: 'body/rules/0/conditions', message: 'must NOT have more than 100 items' });
    const longValue = await create([{ type: 'ALL', conditions: [{ ...condition, value: 'v'.repeat(1001) }] }]);
    expect(issuesOf(longValue)[0]?.path).toBe('body/rules/0/conditions/0/value');
    const fits = await create([{ type: 'ALL', rules: Array.from({ length: 199 }, () => ({ type: 'ANY', conditions: [condition] })).slice(0, 99), conditions: [condition] }]);
    expect(fits.status).toBe(201);
  });
});
