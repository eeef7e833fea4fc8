import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TSchema } from '@sinclair/typebox';
import { routeTable as table, type OperationId } from '../../../src-shared/contracts/http/route-table.js';
import type { RouteContract, RouteTable } from '../../../src-shared/contracts/http/route-contract.js';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createEnvironment, createProject } from '../../support/tenancy.js';
import { at, v2World } from '../../support/versions-fixtures.js';

const routeTable: Record<OperationId, RouteContract> = table satisfies RouteTable;

/** Path params of a route filled with placeholders that pass its schema (ids 1, keys `k`). */
function placeholderParams(op: OperationId, override?: (name: string) => string): Record<string, string | number> {
  const schema = routeTable[op].params as (TSchema & { properties?: Record<string, { type?: string }> }) | undefined;
  return Object.fromEntries(Object.entries(schema?.properties ?? {}).map(([name, s]) => [name, override?.(name) ?? (s.type === 'integer' ? 1 : 'k')]));
}

/** The required query fields of a route, filled with placeholders (e.g. `environment=1`). */
function placeholderQuery(op: OperationId): Record<string, string | number> {
  const schema = routeTable[op].querystring as { required?: string[]; properties?: Record<string, { type?: string }> } | undefined;
  return Object.fromEntries((schema?.required ?? []).map((name) => [name, schema?.properties?.[name]?.type === 'integer' ? 1 : 'k']));
}

/**
 * Input no route may take in silence (issue 16 items 2, 3 and 5), checked once in the HTTP plumbing for
 * every route: content types and body shapes, NUL characters, out-of-range page numbers and over-long
 * path segments. Each refusal is a 4xx naming the problem, and changes nothing.
 */
describe.each(DIALECTS)('input hardening on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  let project: { id: number };
  let env: { id: number; api_key: string };

  beforeAll(async () => {
    await api.start();
    project = await createProject(api, 'Hardening');
    env = await createEnvironment(api, project.id, 'Production');
  });
  afterAll(() => api.stop());

  test('a publish sent as text/plain is 415 and does not publish (its future live_from was ignored before)', async () => {
    const w = await v2World(api, { project: project.id });
    const draft = await api.op('createFeatureVersion', { params: at(w), body: {} });
    expect(draft.status).toBe(201);
    const publish = (options: { rawBody?: string; body?: unknown; headers?: Record<string, string> }) => api.op('publishFeatureVersion', { params: at(w, { uuid: draft.body.uuid }), ...options });

    const plain = await publish({ rawBody: JSON.stringify({ live_from: '2030-01-01T00:00:00Z' }), headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    expect(plain.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'headers/content-type' }] } });
    expect(plain.body.message).toContain('"text/plain" is not supported');
    const form = await publish({ rawBody: 'live_from=2030-01-01T00%3A00%3A00Z', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const stringBody = await publish({ body: '2030-01-01T00:00:00Z' });
    expect(stringBody.status).toBe(400);
    expect(stringBody.body.details.issues).toEqual([{ path: 'body', message: 'must be a JSON object, not a string' }]);
    const arrayBody = await publish({ body: [{ live_from: '2030-01-01T00:00:00Z' }] });
    expect(arrayBody.status).toBe(400);
    expect(arrayBody.body.details.issues[0].message).toBe('must be a JSON object, not an array');

    const still = await api.op('getFeatureVersion', { params: at(w, { uuid: draft.body.uuid }) });
    expect(still.body).toMatchObject({ published: false, status: 'draft' });

    // The same schedule sent as JSON is honoured.
    const scheduled = await publish({ body: { live_from: '2030-01-01T00:00:00Z' } });
    expect(scheduled.status).toBe(200);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', live_from: '2030-01-01T00:00:00.000Z' });
  });

  test('an empty application/json body is no body: fine where the body is optional, "missing" where it is required', async () => {
    const w = await v2World(api, { project: project.id });
    const draft = await api.op('createFeatureVersion', { params: at(w), body: {} });
    const published = await api.op('publishFeatureVersion', { params: at(w, { uuid: draft.body.uuid }), rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(published.status).toBe(200);
    expect(published.body.status).toBe('published');

    const before = await k().selectFrom('features').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const missing = await api.op('createFeature', { params: { project_pk: project.id }, rawBody: '', headers: { 'content-type': 'application/json' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues).toEqual([{ path: 'body', message: 'is required: send a JSON object with content-type application/json' }]);
    const none = await api.op('createFeature', { params: { project_pk: project.id } });
    expect(none.status).toBe(400);
    expect(none.body.details.issues[0].path).toBe('body');
    const noType = await api.app.inject({ method: 'POST', url: `/api/v1/projects/${project.id}/features/`, headers: { authorization: api.adminToken }, payload: '{"name":"untyped"}' });
    expect(noType.statusCode).toBe(415);
    const arrayRoute = await api.op('createFeature', { params: { project_pk: project.id }, body: ['name'] });
    expect(arrayRoute.status).toBe(400);
    expect(arrayRoute.body.message).toBe('body: must be a JSON object, not an array');
    const after = await k().selectFrom('features').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  test('a NUL character in any string field is 400 naming the field, and nothing is written', async () => {
    const nul = 'bad\u0000value';
    const countOf = async (table: 'features' | 'segments' | 'webhooks' | 'change_requests') =>
      Number((await k().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = { features: await countOf('features'), segments: await countOf('segments'), webhooks: await countOf('webhooks') };

    const cases: [OperationId, Record<string, string | number>, unknown, string][] = [
      ['createFeature', { project_pk: project.id }, { name: nul }, 'body/name'],
      ['createFeature', { project_pk: project.id }, { name: 'described', description: nul }, 'body/description'],
      ['createFeature', { project_pk: project.id }, { name: 'valued', initial_value: nul }, 'body/initial_value'],
      ['createSegment', { project_pk: project.id }, { name: nul, rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] }, 'body/name'],
      ['createSegment', { project_pk: project.id }, { name: 'seg', rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: nul }] }] }, 'body/rules/0/conditions/0/value'],
      ['createEnvironmentWebhook', { api_key: env.api_key }, { url: `https://hooks.example.com/${nul}` }, 'body/url'],
      ['createProject', {}, { name: 'ok', organisation: api.organisationId, ['key\u0000']: 1 }, 'body/key\\u0000'],
    ];
    for (const [op, params, body, path] of cases) {
      const r = await api.op(op, { params, body });
      expect({ op, path, status: r.status, issues: r.body.details?.issues }).toEqual({ op, path, status: 400, issues: [{ path, message: 'must not contain the NUL character (\\u0000)' }] });
    }
    const w = await v2World(api, { project: project.id });
    const cr = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: { title: nul, change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: true }] }] },
    });
    expect(cr.status).toBe(400);
    expect(cr.body.details.issues[0].path).toBe('body/title');
    expect(await countOf('change_requests')).toBe(0);
    expect({ features: await countOf('features'), segments: await countOf('segments'), webhooks: await countOf('webhooks') }).toEqual({
      features: before.features + 1, // v2World's own feature
      segments: before.segments,
      webhooks: before.webhooks,
    });
  });

  test('%00 in a path or query is 400 naming the parameter (it was a 500 on PostgreSQL)', async () => {
    const inPath = await api.request('GET', `/api/v1/environments/${env.api_key}%00/featurestates/`);
    expect(inPath.status).toBe(400);
    expect(inPath.body.details.issues).toEqual([{ path: 'params/environment_api_key', message: 'must not contain the NUL character (\\u0000)' }]);
    const w = await v2World(api, { project: project.id });
    const version = await api.request('GET', `/api/v1/environments/${w.env.id}/features/${w.feature}/versions/abc%00def/`);
    expect(version.status).toBe(400);
    expect(version.body.details.issues[0].path).toBe('params/uuid');
    const search = await api.op('listFeatures', { params: { project_pk: project.id }, query: { search: 'a\u0000' } });
    expect(search.status).toBe(400);
    expect(search.body.details.issues[0].path).toBe('querystring/search');
    const sdk = await api.op('getSdkFlags', { auth: '', headers: { 'x-environment-key': env.api_key }, query: { feature: '\u0000' } });
    expect(sdk.status).toBe(400);
    expect(sdk.body.details.issues[0].path).toBe('querystring/feature');
  });

  test('every paginated list refuses a huge page number with 400 (it was a 500)', async () => {
    const paginated = (Object.keys(routeTable) as OperationId[]).filter((op) => {
      const q = routeTable[op].querystring as { properties?: Record<string, unknown> } | undefined;
      return routeTable[op].method === 'GET' && q?.properties?.page !== undefined;
    });
    expect(paginated.length).toBeGreaterThan(10);
    const answers = [];
    for (const op of paginated) {
      const r = await api.op(op, { params: placeholderParams(op), query: { ...placeholderQuery(op), page: '62415925510086898745344' } });
      answers.push({ op, status: r.status, path: r.body.details?.issues?.[0]?.path });
    }
    expect(answers).toEqual(paginated.map((op) => ({ op, status: 400, path: 'querystring/page' })));
    const ok = await api.op('listFeatures', { params: { project_pk: project.id }, query: { page: 1000000 } });
    expect(ok.status).toBe(200);
    expect(ok.body.results).toEqual([]);
  });

  test('an id or key longer than any route allows is 404 on every route with a path parameter (it was 414)', async () => {
    const withParams = (Object.keys(routeTable) as OperationId[]).filter((op) => routeTable[op].params !== undefined);
    const long = 'k'.repeat(101);
    const answers = [];
    for (const op of withParams) {
      const r = await api.op(op, { params: placeholderParams(op, () => long) });
      answers.push({ op, status: r.status, code: r.body.code });
    }
    expect(answers).toEqual(withParams.map((op) => ({ op, status: 404, code: 'NOT_FOUND' })));
    // Within the router's limit but beyond the contract's: 400 naming the parameter.
    const w = await v2World(api, { project: project.id });
    const r = await api.op('getFeatureVersion', { params: at(w, { uuid: 'u'.repeat(65) }) });
    expect(r.status).toBe(400);
    expect(r.body.details.issues[0].path).toBe('params/uuid');
  });

  test('the OpenAPI document lists the 400, 404 and 415 answers of each route and the page bound', async () => {
    const doc = (await api.request('GET', '/api/v1/docs/json', { auth: '' })).body;
    const ops = Object.values(doc.paths as Record<string, Record<string, { operationId: string; responses: Record<string, { description: string }>; parameters?: { name: string; schema: { maximum?: number } }[] }>>).flatMap((p) => Object.entries(p));
    for (const [method, o] of ops) {
      expect(o.responses['400']?.description, o.operationId).toContain('NUL character');
      expect(o.responses['404']?.description, o.operationId).toContain('never 414');
      if (method !== 'get') expect(o.responses['415']?.description, o.operationId).toContain('application/json');
    }
    const list = ops.find(([, o]) => o.operationId === 'listFeatures')![1];
    expect(list.parameters?.find((p) => p.name === 'page')?.schema.maximum).toBe(1000000);
  });
});
