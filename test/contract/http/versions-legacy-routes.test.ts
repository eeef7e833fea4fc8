import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { at, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const REFUSED = 'This environment uses v2 feature versioning. Use the environment feature version endpoint instead.';

/*
 * Issue 10 §2.2 and §2.3: on a v2 environment the legacy lists follow the live version, and the legacy
 * writes land in a draft or are refused with a 400 naming why (spec §1.6, §6.1, §6.2).
 */
describe.each(DIALECTS)('legacy feature-state and feature-segment routes on a v2 environment on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;

  async function version(body: Record<string, unknown>) {
    const r = await api.op('createFeatureVersion', { params: at(w), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string };
  }
  const override = (segment: number, value: string, priority?: number) => ({
    feature_segment: { segment, ...(priority === undefined ? {} : { priority }) },
    enabled: true,
    feature_state_value: stringValue(value),
  });
  async function versionStates(uuid: string) {
    return (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid }) })).body as any[];
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 3 });
  });
  afterAll(() => api.stop());

  test('the feature-segments list shows the live version’s overrides with their ids, not a draft’s or a scheduled one’s', async () => {
    const live = await version({ publish_immediately: true, feature_states_to_create: [override(w.segments[0]!, 'a'), override(w.segments[1]!, 'b')] });
    await version({ feature_states_to_create: [override(w.segments[2]!, 'draft only')] });
    const future = new Date(api.clock.now().getTime() + 86_400_000).toISOString();
    const scheduled = await version({ segment_ids_to_delete_overrides: [w.segments[0]!] });
    expect((await api.op('publishFeatureVersion', { params: at(w, { uuid: scheduled.uuid }), body: { live_from: future } })).status).toBe(200);

    const r = await api.op('listFeatureSegments', { query: { environment: w.env.id, feature: w.feature } });
    expect(r.status).toBe(200);
    const liveOverrides = (await versionStates(live.uuid)).filter((s) => s.feature_segment !== null);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((x: any) => [x.id, x.segment, x.priority])).toEqual(liveOverrides.map((s) => [s.feature_segment.id, s.feature_segment.segment, s.feature_segment.priority]));
  });

  test('the featurestates list shows only the live versions’ states', async () => {
    const r = await api.op('listFeatureStates', { query: { environment: w.env.id } });
    expect(r.status).toBe(200);
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    const liveIds = (await versionStates(live)).map((s) => s.id).sort((a, b) => a - b);
    expect(r.body.results.map((s: any) => s.id).sort((a: number, b: number) => a - b)).toEqual(liveIds);
    expect(r.body.count).toBe(liveIds.length);
  });

  test('a feature segment and its state posted into a draft land in the draft; without a draft they are refused', async () => {
    const d = await version({});
    const fseg = await api.op('createFeatureSegment', { body: { feature: w.feature, segment: w.segments[2], environment: w.env.id, environment_feature_version: d.uuid } });
    expect(fseg.status).toBe(201);
    expect(fseg.body).toMatchObject({ segment: w.segments[2], feature: w.feature, environment: w.env.id });
    const fs = await api.op('createFeatureState', {
      body: { feature: w.feature, environment: w.env.id, feature_segment: fseg.body.id, environment_feature_version: d.uuid, enabled: true, feature_state_value: stringValue('posted') },
    });
    expect(fs.status).toBe(201);
    expect(fs.body).toMatchObject({ feature_segment: fseg.body.id, enabled: true, environment_feature_version: d.uuid });
    const inDraft = (await versionStates(d.uuid)).find((s) => s.feature_segment?.segment === w.segments[2]);
    expect(inDraft).toMatchObject({ id: fs.body.id, enabled: true, feature_state_value: stringValue('posted') });

    const before = (await api.op('listFeatureSegments', { query: { environment: w.env.id, feature: w.feature } })).body.count;
    const refused = await api.op('createFeatureSegment', { body: { feature: w.feature, segment: w.segments[2], environment: w.env.id } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain(REFUSED);
    expect((await api.op('listFeatureSegments', { query: { environment: w.env.id, feature: w.feature } })).body.count).toBe(before);
    const rows = await api.testDb.db.kysely.selectFrom('feature_segments').select('id').where('environment_id', '=', w.env.id).where('environment_feature_version_uuid', 'is', null).execute();
    expect(rows).toEqual([]);
  });

  test('a featurestates POST for a feature segment of a published version is refused and changes nothing', async () => {
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    const liveOverride = (await versionStates(live)).find((s) => s.feature_segment !== null);
    const r = await api.op('createFeatureState', { body: { feature: w.feature, environment: w.env.id, feature_segment: liveOverride.feature_segment.id, enabled: false } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain(REFUSED);
    expect((await versionStates(live)).find((s) => s.id === liveOverride.id)).toMatchObject({ enabled: true });
  });

  test('PUT and PATCH of a draft’s state answer 200 and change the draft, not what SDKs see', async () => {
    const d = await version({});
    const [draftDefault] = await versionStates(d.uuid);
    const put = await api.op('updateFeatureState', { params: { id: draftDefault.id }, body: { feature: w.feature, environment: w.env.id, enabled: true, feature_state_value: stringValue('from put') } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: draftDefault.id, enabled: true, feature_state_value: stringValue('from put') });
    const patch = await api.op('partialUpdateFeatureState', { params: { id: draftDefault.id }, body: { enabled: false } });
    expect(patch.status).toBe(200);
    const [after] = await versionStates(d.uuid);
    expect(after).toMatchObject({ id: draftDefault.id, enabled: false, feature_state_value: stringValue('from put') });
    const live = (await api.built.services.versions.liveVersionUuids(w.env.id)).get(w.feature)!;
    expect((await versionStates(live))[0].feature_state_value).not.toEqual(stringValue('from put'));
  });
});

describe.each(DIALECTS)('create-segment-override on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let v1: { id: number; api_key: string };
  let segment = 0;

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 1 });
    segment = w.segments[0]!;
    v1 = (await api.op('createEnvironment', { body: { name: 'Classic', project: w.project } })).body;
  });
  afterAll(() => api.stop());

  test('on v1 it creates the feature segment and its state in one call', async () => {
    const r = await api.op('createSegmentOverride', {
      params: { environment_api_key: v1.api_key, feature_pk: w.feature },
      body: { feature_segment: { segment, priority: 0 }, enabled: true, feature_state_value: stringValue('override') },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ feature: w.feature, environment: v1.id, enabled: true, feature_state_value: stringValue('override') });
    const segments = (await api.op('listFeatureSegments', { query: { environment: v1.id, feature: w.feature } })).body.results;
    expect(segments).toMatchObject([{ id: r.body.feature_segment, segment, priority: 0 }]);
  });

  test('on v2 it is refused with Flagsmith’s 400 and creates nothing', async () => {
    const before = await api.testDb.db.kysely.selectFrom('feature_segments').select('id').where('environment_id', '=', w.env.id).execute();
    const r = await api.op('createSegmentOverride', { params: { environment_api_key: w.env.api_key, feature_pk: w.feature }, body: { feature_segment: { segment }, enabled: true } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ detail: REFUSED });
    expect(await api.testDb.db.kysely.selectFrom('feature_segments').select('id').where('environment_id', '=', w.env.id).execute()).toEqual(before);
  });
});
