import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

interface Override {
  id: number;
  segment: number;
  priority: number;
  is_feature_specific: boolean;
}

describe.each(DIALECTS)('feature segment routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let manager: TestUser;
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  let feature: number;
  const segments: number[] = [];
  const k = () => api.testDb.db.kysely;

  async function insertFeature(name: string, projectId = project.id): Promise<number> {
    return (await createFeature(api, projectId, name)).id;
  }

  /** The override's value, created the Flagsmith way: POST /api/v1/features/featurestates/ after the feature segment. */
  async function createOverrideState(featureId: number, environmentId: number, featureSegmentId: number, value: string): Promise<number> {
    const r = await api.op('createFeatureState', { body: { feature: featureId, environment: environmentId, feature_segment: featureSegmentId, enabled: true, feature_state_value: { type: 'unicode', string_value: value } } });
    if (r.status !== 201) throw new Error(`createFeatureState failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function createSegment(name: string, projectId = project.id, featureId?: number): Promise<number> {
    const r = await api.op('createSegment', { params: { project_pk: projectId }, body: { name, ...(featureId ? { feature: featureId } : {}), rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: name }] }] } });
    if (r.status !== 201) throw new Error(`createSegment failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function override(featureId: number, segment: number, environment: number, extra: object = {}): Promise<Override> {
    const r = await api.op('createFeatureSegment', { body: { feature: featureId, segment, environment, ...extra } });
    if (r.status !== 201) throw new Error(`createFeatureSegment failed: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Segment ids of a feature's overrides in an environment, by priority. */
  async function order(featureId: number, environment: number): Promise<number[]> {
    const r = await api.op('listFeatureSegments', { query: { environment, feature: featureId } });
    expect(r.body.results.map((o: Override) => o.priority)).toEqual(r.body.results.map((_: Override, i: number) => i));
    return r.body.results.map((o: Override) => o.segment);
  }

  async function revision(id: number): Promise<number> {
    return (await k().selectFrom('environments').select('document_revision').where('id', '=', id).executeTakeFirstOrThrow()).document_revision;
  }

  async function overrideRows(): Promise<number> {
    return Number((await k().selectFrom('feature_segments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  }

  beforeAll(async () => {
    await api.start();
    manager = await addMember(api, 'manager@example.com');
    viewer = await addMember(api, 'viewer@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    for (const user of [manager, viewer]) await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: user.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: manager.id, permissions: ['VIEW_ENVIRONMENT', 'MANAGE_SEGMENT_OVERRIDES'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    feature = await insertFeature('banner');
    for (const name of ['a', 'b', 'c', 'd']) segments.push(await createSegment(name));
  }, 60_000);
  afterAll(() => api.stop());

  test('createFeatureSegment appends overrides in priority order, audits and bumps the environment revision', async () => {
    const before = await revision(env.id);
    const r = await api.op('createFeatureSegment', { body: { feature, segment: segments[0], environment: env.id }, auth: manager.auth });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ feature, segment: segments[0], environment: env.id, priority: 0, segment_name: 'a', is_feature_specific: false });
    expect(r.body.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await override(feature, segments[1]!, env.id)).priority).toBe(1);
    // An explicit priority moves the new override there and shifts the others down.
    expect((await override(feature, segments[2]!, env.id, { priority: 0 })).priority).toBe(0);
    expect(await order(feature, env.id)).toEqual([segments[2], segments[0], segments[1]]);
    expect(await revision(env.id)).toBe(before + 3);
    const audit = await k().selectFrom('audit_log').select('log').where('environment_id', '=', env.id).where('related_object_type', '=', 'FEATURE').orderBy('id').execute();
    expect(audit.map((a) => a.log)).toContain("Segment override created for feature 'banner' and segment 'a'");
  });

  test('createFeatureSegment answers 400 naming the field for mismatched feature, segment or environment and duplicates, writing nothing', async () => {
    const rows = await overrideRows();
    const mobile = await createProject(api, 'Mobile');
    const foreignSegment = await createSegment('foreign', mobile.id);
    const foreignFeature = await insertFeature('foreign', mobile.id);
    const otherFeature = await insertFeature('other');
    const specific = await createSegment('banner only', project.id, feature);
    const rivalProject = await createProject(api, 'Rival', rival.admin.auth, rival.organisationId);
    const rivalEnv = await createEnvironment(api, rivalProject.id, 'Rival', rival.admin.auth);
    const cases: [object, string][] = [
      [{ feature, segment: foreignSegment, environment: env.id }, 'body/segment'],
      [{ feature, segment: 999999, environment: env.id }, 'body/segment'],
      [{ feature: foreignFeature, segment: segments[3], environment: env.id }, 'body/feature'],
      [{ feature: otherFeature, segment: specific, environment: env.id }, 'body/feature'],
      [{ feature, segment: segments[0], environment: env.id }, 'body/segment'],
      [{ feature, segment: segments[3], environment: rivalEnv.id }, 'body/environment'],
      [{ feature, segment: segments[3], environment: 999999 }, 'body/environment'],
      [{ segment: segments[3], environment: env.id }, 'body/feature'],
      [{ feature, segment: segments[3], environment: env.id, priority: -1 }, 'body/priority'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createFeatureSegment', { body });
      expect({ status: r.status, path: r.body.details?.issues?.[0]?.path }).toEqual({ status: 400, path });
    }
    expect(await overrideRows()).toBe(rows);
    expect((await override(feature, specific, env.id)).is_feature_specific).toBe(true);
  });

  test('createFeatureSegment needs MANAGE_SEGMENT_OVERRIDES (403); 401 without credentials', async () => {
    const body = { feature, segment: segments[3], environment: env.id };
    expect((await api.op('createFeatureSegment', { body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createFeatureSegment', { body, auth: '' })).status).toBe(401);
  });

  test('createFeatureSegment beyond max_segment_overrides_per_environment is LIMIT_EXCEEDED, counting every override of the environment', async () => {
    const limited = await createEnvironment(api, project.id, 'Limited');
    const second = await insertFeature('second');
    const limit = Number((await k().selectFrom('organisations').select('max_segment_overrides_per_environment').where('id', '=', api.organisationId).executeTakeFirstOrThrow()).max_segment_overrides_per_environment);
    await k().updateTable('organisations').set({ max_segment_overrides_per_environment: 2 }).where('id', '=', api.organisationId).execute();
    try {
      await override(feature, segments[0]!, limited.id);
      await override(second, segments[0]!, limited.id);
      const r = await api.op('createFeatureSegment', { body: { feature, segment: segments[1], environment: limited.id } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { limit: 'max_segment_overrides_per_environment', max: 2 } });
      expect(r.body.message).toContain('max_segment_overrides_per_environment');
      expect(await order(feature, limited.id)).toEqual([segments[0]]);
      // Other environments count their own overrides.
      expect((await api.op('createFeatureSegment', { body: { feature: second, segment: segments[1], environment: (await createEnvironment(api, project.id, 'Fresh')).id } })).status).toBe(201);
    } finally {
      await k().updateTable('organisations').set({ max_segment_overrides_per_environment: limit }).where('id', '=', api.organisationId).execute();
    }
  });

  test('concurrent creates in one environment never pass the limit together', async () => {
    const racing = await createEnvironment(api, project.id, 'Racing');
    const limit = Number((await k().selectFrom('organisations').select('max_segment_overrides_per_environment').where('id', '=', api.organisationId).executeTakeFirstOrThrow()).max_segment_overrides_per_environment);
    await k().updateTable('organisations').set({ max_segment_overrides_per_environment: 1 }).where('id', '=', api.organisationId).execute();
    try {
      const results = await Promise.all(segments.map((segment) => api.op('createFeatureSegment', { body: { feature, segment, environment: racing.id } })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400]);
      expect(await order(feature, racing.id)).toHaveLength(1);
    } finally {
      await k().updateTable('organisations').set({ max_segment_overrides_per_environment: limit }).where('id', '=', api.organisationId).execute();
    }
  });

  test('listFeatureSegments pages a feature’s overrides by priority for viewers; needs environment and feature', async () => {
    const r = await api.op('listFeatureSegments', { query: { environment: env.id, feature }, auth: viewer.auth });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(4);
    const page = await api.op('listFeatureSegments', { query: { environment: env.id, feature, page: 2, page_size: 3 } });
    expect(page.body).toMatchObject({ count: 4, next: null });
    expect(page.body.results).toHaveLength(1);
    expect(page.body.previous).toContain('page=1');
    const missing = await api.op('listFeatureSegments', { query: { feature } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('querystring/environment');
    expect((await api.op('listFeatureSegments', { query: { environment: env.id, feature }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listFeatureSegments', { query: { environment: env.id, feature }, auth: '' })).status).toBe(401);
  });

  test('getFeatureSegment answers viewers; other tenants and unknown ids get 404', async () => {
    const [first] = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    expect((await api.op('getFeatureSegment', { params: { id: first!.id }, auth: viewer.auth })).body).toMatchObject({ id: first!.id, priority: 0, environment: env.id });
    expect((await api.op('getFeatureSegment', { params: { id: first!.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getFeatureSegment', { params: { id: 999999 } })).status).toBe(404);
    expect((await api.op('getFeatureSegment', { params: { id: first!.id }, auth: '' })).status).toBe(401);
  });

  test('updateFeatureSegmentPriorities applies each move in turn and keeps priorities dense', async () => {
    const ordered = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    const ids = ordered.map((o) => o.id);
    const before = await revision(env.id);
    const r = await api.op('updateFeatureSegmentPriorities', { body: [{ id: ids[3], priority: 0 }, { id: ids[1], priority: 3 }], auth: manager.auth });
    expect(r.status).toBe(200);
    expect(r.body.map((o: Override) => [o.id, o.priority])).toEqual([[ids[3], 0], [ids[1], 3]]);
    expect(await order(feature, env.id)).toEqual([ids[3], ids[0], ids[2], ids[1]].map((id) => ordered.find((o) => o.id === id)!.segment));
    expect(await revision(env.id)).toBe(before + 1);
    const audit = await k().selectFrom('audit_log').select('log').where('environment_id', '=', env.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit.log).toBe('Segment rules updated for flag: banner in environment: Development');
    expect((await api.op('updateFeatureSegmentPriorities', { body: [] })).body).toEqual([]);
  });

  test('updateFeatureSegmentPriorities refuses unknown ids, mixed features and other tenants’ overrides (400), and needs MANAGE_SEGMENT_OVERRIDES', async () => {
    const ordered = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    const other = await insertFeature('mixed');
    const mixed = await override(other, segments[0]!, env.id);
    const cases: unknown[] = [
      [{ id: ordered[0]!.id, priority: 1 }, { id: 999999, priority: 0 }],
      [{ id: ordered[0]!.id, priority: 1 }, { id: mixed.id, priority: 0 }],
    ];
    for (const body of cases) {
      const r = await api.op('updateFeatureSegmentPriorities', { body });
      expect({ status: r.status, path: r.body.details?.issues?.[0]?.path }).toEqual({ status: 400, path: 'body' });
    }
    const negative = await api.op('updateFeatureSegmentPriorities', { body: [{ id: ordered[0]!.id, priority: -1 }] });
    expect(negative.body.details.issues[0].path).toBe('body/0/priority');
    expect((await api.op('updateFeatureSegmentPriorities', { body: [{ id: ordered[0]!.id, priority: 1 }], auth: rival.admin.auth })).status).toBe(400);
    expect((await api.op('updateFeatureSegmentPriorities', { body: [{ id: ordered[0]!.id, priority: 1 }], auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateFeatureSegmentPriorities', { body: [{ id: ordered[0]!.id, priority: 1 }], auth: '' })).status).toBe(401);
    expect((await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results).toEqual(ordered);
  });

  test('updateFeatureSegment moves an override and may change its segment; feature and environment stay', async () => {
    const ordered = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    const last = ordered[3]!;
    const fresh = await createSegment('fresh');
    const r = await api.op('updateFeatureSegment', { params: { id: last.id }, body: { feature, segment: fresh, environment: env.id, priority: 0 }, auth: manager.auth });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: last.id, segment: fresh, segment_name: 'fresh', priority: 0 });
    expect(await order(feature, env.id)).toEqual([fresh, ...ordered.slice(0, 3).map((o) => o.segment)]);
    const moved = await api.op('updateFeatureSegment', { params: { id: last.id }, body: { feature: await insertFeature('elsewhere'), segment: fresh, environment: env.id } });
    expect(moved.status).toBe(400);
    expect(moved.body.details.issues[0].path).toBe('body/feature');
    const dup = await api.op('updateFeatureSegment', { params: { id: last.id }, body: { feature, segment: ordered[0]!.segment, environment: env.id } });
    expect(dup.status).toBe(400);
    expect(dup.body.details.issues[0].path).toBe('body/segment');
    const body = { feature, segment: fresh, environment: env.id };
    expect((await api.op('updateFeatureSegment', { params: { id: last.id }, body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateFeatureSegment', { params: { id: last.id }, body, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('updateFeatureSegment', { params: { id: last.id }, body, auth: '' })).status).toBe(401);
  });

  test('partialUpdateFeatureSegment changes only the priority given', async () => {
    const ordered = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    const r = await api.op('partialUpdateFeatureSegment', { params: { id: ordered[0]!.id }, body: { priority: 99 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: ordered[0]!.id, segment: ordered[0]!.segment, priority: 3 });
    expect(await order(feature, env.id)).toEqual([...ordered.slice(1), ordered[0]!].map((o) => o.segment));
    const wrongEnv = await api.op('partialUpdateFeatureSegment', { params: { id: ordered[0]!.id }, body: { environment: env.id + 1000 } });
    expect(wrongEnv.status).toBe(400);
    expect(wrongEnv.body.details.issues[0].path).toBe('body/environment');
    expect((await api.op('partialUpdateFeatureSegment', { params: { id: ordered[0]!.id }, body: { priority: 0 }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateFeatureSegment', { params: { id: ordered[0]!.id }, body: { priority: 0 }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('partialUpdateFeatureSegment', { params: { id: ordered[0]!.id }, body: { priority: 0 }, auth: '' })).status).toBe(401);
  });

  test('deleteFeatureSegment fires FLAG_DELETED for its override state, deletes it, audits and moves later overrides up', async () => {
    const now = api.clock.now().toISOString();
    await k().insertInto('webhooks').values({ uuid: `wh-fs-${dialect}`, organisation_id: api.organisationId, environment_id: env.id, url: 'http://127.0.0.1:9/hook', enabled: true, secret: null, created_at: now, updated_at: now }).execute();
    const ordered = (await api.op('listFeatureSegments', { query: { environment: env.id, feature } })).body.results as Override[];
    const doomed = ordered[1]!;
    const state = await createOverrideState(feature, env.id, doomed.id, 'blue');
    expect((await api.op('deleteFeatureSegment', { params: { id: doomed.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteFeatureSegment', { params: { id: doomed.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteFeatureSegment', { params: { id: doomed.id }, auth: '' })).status).toBe(401);
    const before = await revision(env.id);

    expect((await api.op('deleteFeatureSegment', { params: { id: doomed.id }, auth: manager.auth })).status).toBe(204);
    expect(await order(feature, env.id)).toEqual(ordered.filter((o) => o.id !== doomed.id).map((o) => o.segment));
    expect(await k().selectFrom('feature_states').select('id').where('id', '=', state).executeTakeFirst()).toBeUndefined();
    expect(await revision(env.id)).toBe(before + 1);
    const events = await k().selectFrom('events').select('data_json').where('event_type', '=', 'FLAG_DELETED').where('environment_id', '=', env.id).execute();
    expect(events.map((e) => JSON.parse(e.data_json))).toEqual([
      expect.objectContaining({ new_state: null, changed_by: 'manager@example.com', previous_state: expect.objectContaining({ feature_state_value: 'blue', enabled: true, feature_segment: { segment: { id: doomed.segment, name: expect.any(String), description: null }, priority: 1 } }) }),
    ]);
    const audit = await k().selectFrom('audit_log').select(['log', 'related_object_id']).where('related_object_type', '=', 'FEATURE_STATE').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit).toEqual({ log: expect.stringMatching(/^Flag state \/ Remote config value deleted for feature 'banner' and segment '.+'$/), related_object_id: state });
    expect((await api.op('deleteFeatureSegment', { params: { id: doomed.id } })).status).toBe(404);
  });
});
