import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const HOUR = 3_600_000;

/* Issue 10 §2.4 (spec §3.2, §3.3, §3.4, §3.6): scheduled versions can be cancelled, create honours live_from. */
describe.each(DIALECTS)('scheduling and cancelling versions on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  const inAnHour = () => new Date(api.clock.now().getTime() + HOUR).toISOString();
  const advance = (ms: number) => (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(ms);
  const live = async () => (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature);
  const change = (value: string) => ({ feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue(value) }] });
  async function create(body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string; live_from: string | null; status: string };
  }
  async function served(): Promise<unknown> {
    const r = await api.op('listFeatureStates', { query: { environment: w.env.id, feature: w.feature } });
    return r.body.results.find((s: any) => s.feature_segment === null)?.feature_state_value;
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api);
  });
  afterAll(() => api.stop());

  test('DELETE of a scheduled version answers 204 and it never goes live', async () => {
    const before = await live();
    const v = await create(change('scheduled'));
    expect((await api.op('publishFeatureVersion', { params: at(w, { uuid: v.uuid }), body: { live_from: inAnHour() } })).status).toBe(200);
    const del = await api.op('deleteFeatureVersion', { params: at(w, { uuid: v.uuid }) });
    expect(del.status).toBe(204);
    advance(2 * HOUR);
    await api.built.services.versions.publishDueVersions();
    expect(await live()).toBe(before);
    expect(await served()).not.toEqual(stringValue('scheduled'));
    expect((await api.op('getEnvironmentFeatureVersion', { params: { uuid: v.uuid } })).status).toBe(404);
  });

  test('DELETE of the live version is refused with Flagsmith’s message', async () => {
    const r = await api.op('deleteFeatureVersion', { params: at(w, { uuid: (await live())! }) });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('Cannot delete a live version.');
  });

  test('POST …/versions/ with live_from and publish_immediately schedules the version at that time', async () => {
    const when = inAnHour();
    const v = await create({ ...change('at live_from'), live_from: when, publish_immediately: true });
    expect(v).toMatchObject({ status: 'scheduled', live_from: when, published: true, is_live: false });
    expect(await served()).not.toEqual(stringValue('at live_from'));
    advance(HOUR);
    await api.built.services.versions.publishDueVersions();
    expect(await live()).toBe(v.uuid);
    expect(await served()).toEqual(stringValue('at live_from'));
  });

  test('a live_from given at creation is used when the draft is published without one', async () => {
    const when = inAnHour();
    const v = await create({ ...change('preset'), live_from: when });
    expect(v.status).toBe('draft');
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: v.uuid }) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ live_from: when, status: 'scheduled' });
  });

  test('a draft’s previous_version_uuid is the version live when it was created', async () => {
    const current = await live();
    const v = await create({});
    expect((await api.op('getEnvironmentFeatureVersion', { params: { uuid: v.uuid } })).body.previous_version_uuid).toBe(current);
  });

  test('a publish whose body is not a JSON object is refused and the draft stays a draft', async () => {
    const v = await create(change('never'));
    const url = `/api/v1/environments/${w.env.id}/features/${w.feature}/versions/${v.uuid}/publish/`;
    const headers = { authorization: (api as unknown as { adminToken: string }).adminToken };
    for (const [payload, type] of [['[]', 'application/json'], ['"now"', 'application/json'], ['publish', 'text/plain'], ['{', 'application/json']] as const) {
      const res = await api.built.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload });
      expect([400, 415]).toContain(res.statusCode);
    }
    expect((await api.op('getFeatureVersion', { params: at(w, { uuid: v.uuid }) })).body.status).toBe('draft');
    // No body at all is still a publish now (scripts send none).
    const none = await api.built.app.inject({ method: 'POST', url, headers });
    expect(none.statusCode).toBe(200);
  });
});
