import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, type TestUser } from '../../support/tenancy.js';
import { createFeature } from '../../support/flag-fixtures.js';
import { at, insertSegment, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const REFUSED = { code: 'PERMISSION_DENIED', detail: 'This endpoint cannot be used when change requests are enabled. Use the change request workflow instead.', details: { reason: 'CHANGE_REQUESTS_REQUIRED' } };
const ENV_WRITER = ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE', 'MANAGE_SEGMENT_OVERRIDES'];

/**
 * Issue 12 §2: on an environment that requires change requests, no path changes the live flags directly
 * (versions publish/schedule/restore, legacy feature states and feature segments, experiments, sync
 * intents) unless the caller holds BYPASS_CHANGE_REQUESTS explicitly; a bypass is audited; committing an
 * approved change request is the way in.
 */
describe.each(DIALECTS)('governance of environments that require change requests on %s', (dialect) => {
  const api = new TestApi(dialect);
  const k = () => api.testDb.db.kysely;
  let w: V2World;
  let bypasser: TestUser;
  let writer: TestUser;
  let approver: TestUser;

  async function grant(user: TestUser, apiKey: string, permissions: string[]): Promise<void> {
    const r = await api.op('createEnvironmentUserPermission', { params: { api_key: apiKey }, body: { user: user.id, permissions } });
    if (r.status !== 201) throw new Error(`grant failed: ${JSON.stringify(r.body)}`);
  }
  const requireApprovals = async (apiKey: string, n: number | null) =>
    expect((await api.op('partialUpdateEnvironment', { params: { api_key: apiKey }, body: { minimum_change_request_approvals: n } })).status).toBe(200);
  const live = async (world: V2World) => (await api.built.services.versions.liveVersionUuids(world.env.id)).get(world.feature);
  const versionCount = async (world: V2World) => (await k().selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', world.env.id).execute()).length;
  const bypassAudits = async (environmentId: number) =>
    (await k().selectFrom('audit_log').select(['log', 'author_user_id']).where('environment_id', '=', environmentId).where('log', 'like', 'Change request requirement bypassed:%').orderBy('id').execute()).map((r) => ({ log: r.log, author: r.author_user_id }));
  const draft = async (world: V2World, value: string, auth?: string) => {
    const r = await api.op('createFeatureVersion', { params: at(world), body: { feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue(value) }] }, ...(auth ? { auth } : {}) });
    expect(r.status).toBe(201);
    return r.body.uuid as string;
  };

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 1 });
    bypasser = await addMember(api, `bypass-${dialect}@example.com`);
    writer = await addMember(api, `writer-${dialect}@example.com`);
    approver = await addMember(api, `approver-${dialect}@example.com`, 'ADMIN');
    for (const u of [bypasser, writer]) await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: u.id, permissions: ['VIEW_PROJECT'] } });
    await grant(bypasser, w.env.api_key, [...ENV_WRITER, 'BYPASS_CHANGE_REQUESTS']);
    await grant(writer, w.env.api_key, ENV_WRITER);
    await requireApprovals(w.env.api_key, 1);
  });
  afterAll(() => api.stop());

  // ---- versions API ----------------------------------------------------------------------------------

  test('publish, schedule, publish_immediately and restore are refused with 403, even for an organisation admin, and change nothing', async () => {
    const before = await live(w);
    const uuid = await draft(w, 'direct');
    const count = await versionCount(w);
    for (const body of [{}, { live_from: '2026-06-02T12:00:00.000Z' }]) {
      const r = await api.op('publishFeatureVersion', { params: at(w, { uuid }), body });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject(REFUSED);
    }
    expect((await api.op('getFeatureVersion', { params: at(w, { uuid }) })).body).toMatchObject({ published: false, status: 'draft' });
    const immediate = await api.op('createFeatureVersion', { params: at(w), body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: true }] }, auth: writer.auth });
    expect(immediate.status).toBe(403);
    expect(immediate.body).toMatchObject(REFUSED);
    const restore = await api.op('restoreFeatureVersion', { params: at(w, { uuid: before! }), body: {} });
    expect(restore.status).toBe(403);
    expect(await versionCount(w)).toBe(count);
    expect(await live(w)).toBe(before);
    expect(await bypassAudits(w.env.id)).toEqual([]);
  });

  test('approvals set to 0 still mean change requests are on', async () => {
    const world = await v2World(api, { project: w.project });
    await requireApprovals(world.env.api_key, 0);
    const r = await api.op('publishFeatureVersion', { params: at(world, { uuid: await draft(world, 'zero') }), body: {} });
    expect(r.status).toBe(403);
    await requireApprovals(world.env.api_key, null);
    expect((await api.op('publishFeatureVersion', { params: at(world, { uuid: await draft(world, 'off') }), body: {} })).status).toBe(200);
  });

  test('a caller granted BYPASS_CHANGE_REQUESTS publishes and rolls back directly, and each bypass is audited in its name', async () => {
    const previous = (await live(w))!;
    const uuid = await draft(w, 'bypassed', bypasser.auth);
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid }), body: {}, auth: bypasser.auth });
    expect(r.status).toBe(200);
    expect(await live(w)).toBe(uuid);
    const back = await api.op('restoreFeatureVersion', { params: at(w, { uuid: previous }), body: {}, auth: bypasser.auth });
    expect(back.status).toBe(201);
    expect(await bypassAudits(w.env.id)).toEqual([
      { log: expect.stringMatching(new RegExp(`^Change request requirement bypassed: publish of version ${uuid} of feature '`)), author: bypasser.id },
      { log: expect.stringMatching(new RegExp(`^Change request requirement bypassed: rollback of feature '.*' to version ${previous}$`)), author: bypasser.id },
    ]);
  });

  test('committing an approved change request is the allowed path', async () => {
    const cr = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: { title: 'reviewed', change_sets: [{ feature: w.feature, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('reviewed') }] }] },
    });
    expect(cr.status).toBe(201);
    expect((await api.op('approveChangeRequest', { params: { id: cr.body.id }, auth: approver.auth })).status).toBe(200);
    const committed = await api.op('commitChangeRequest', { params: { id: cr.body.id } });
    expect(committed.status).toBe(200);
    const uuid = (await live(w))!;
    const row = await k().selectFrom('environment_feature_versions').select('content_json').where('uuid', '=', uuid).executeTakeFirstOrThrow();
    expect(JSON.parse(row.content_json).environmentDefault.value.string_value).toBe('reviewed');
  });

  // ---- sync intents ----------------------------------------------------------------------------------

  function intent(kind: string, extra: Record<string, unknown>) {
    return { id: crypto.randomUUID(), seq: 0, kind, organisationId: null, projectId: null, environmentId: w.env.id, featureId: w.feature, versionUuid: null, changeRequestId: null, liveFrom: null, createdAt: '2026-06-01T11:00:00.000Z', status: 'pending', result: null, _deleted: false, ...extra };
  }
  const pushIntent = (doc: Record<string, unknown>, auth?: string) => api.op<any[]>('syncPush', { params: { collection: 'intents' }, body: [{ newDocumentState: doc, assumedMasterState: null }], ...(auth ? { auth } : {}) });

  test('publish and schedule intents (a queued offline command) are refused with the reason; a bypass holder’s intent runs', async () => {
    const before = await live(w);
    const uuid = await draft(w, 'queued');
    for (const extra of [{ versionUuid: uuid }, { kind: 'schedule', versionUuid: uuid, liveFrom: '2026-06-03T12:00:00.000Z' }]) {
      const r = await pushIntent(intent('publish', extra));
      expect(r.status).toBe(200);
      expect(r.body[0]).toMatchObject({ status: 'refused', result: { code: 'PERMISSION_DENIED', message: REFUSED.detail } });
    }
    expect(await live(w)).toBe(before);
    const mine = await draft(w, 'queued-bypass', bypasser.auth);
    const ok = await pushIntent(intent('publish', { versionUuid: mine }), bypasser.auth);
    expect(ok.body[0]).toMatchObject({ status: 'done', result: { code: 'OK', versionUuid: mine } });
    expect(await live(w)).toBe(mine);
  });

  // ---- legacy and experimental writes on a v1 environment ------------------------------------------------

  describe('on a v1 environment', () => {
    let apiKey: string;
    let envId: number;
    let featureId: number;
    let defaultId: number;
    let overrideStateId: number;
    let featureSegmentIds: number[];

    const state = async (id: number) => k().selectFrom('feature_states').select(['enabled', 'string_value']).where('id', '=', id).executeTakeFirstOrThrow();

    beforeAll(async () => {
      const env = await createEnvironment(api, w.project, `Legacy ${dialect}`);
      apiKey = env.api_key;
      envId = env.id;
      const f = await createFeature(api, w.project, `legacy_${dialect}`);
      featureId = f.id;
      const states = (await api.op('listFeatureStates', { query: { environment: envId, feature: featureId } })).body.results as { id: number }[];
      defaultId = states[0]!.id;
      featureSegmentIds = [];
      for (const name of ['legacy-a', 'legacy-b']) {
        const segment = await insertSegment(api, w.project, `${name}-${dialect}`);
        const fs = await api.op('createFeatureSegment', { body: { feature: featureId, segment, environment: envId } });
        expect(fs.status).toBe(201);
        featureSegmentIds.push(fs.body.id);
      }
      const created = await api.op('createFeatureState', { body: { feature: featureId, environment: envId, feature_segment: featureSegmentIds[0], enabled: true } });
      expect(created.status).toBe(201);
      overrideStateId = created.body.id;
      await grant(bypasser, apiKey, [...ENV_WRITER, 'BYPASS_CHANGE_REQUESTS']);
      await grant(writer, apiKey, ENV_WRITER);
      await requireApprovals(apiKey, 1);
    });

    test('every feature-state and feature-segment write answers 403 and changes nothing', async () => {
      const before = { d: await state(defaultId), o: await state(overrideStateId) };
      const fsBody = { feature: featureId, environment: envId, enabled: true, feature_state_value: { type: 'unicode', string_value: 'x' } };
      const calls: [string, Record<string, unknown>][] = [
        ['updateFeatureState', { params: { id: defaultId }, body: fsBody }],
        ['partialUpdateFeatureState', { params: { id: defaultId }, body: { enabled: true } }],
        ['deleteFeatureState', { params: { id: overrideStateId } }],
        ['updateEnvironmentFeatureState', { params: { environment_api_key: apiKey, id: defaultId }, body: { enabled: true } }],
        ['partialUpdateEnvironmentFeatureState', { params: { environment_api_key: apiKey, id: defaultId }, body: { enabled: true } }],
        ['createFeatureState', { body: { feature: featureId, environment: envId, feature_segment: featureSegmentIds[1], enabled: true } }],
        ['createFeatureSegment', { body: { feature: featureId, segment: await insertSegment(api, w.project, `legacy-c-${dialect}`), environment: envId } }],
        ['partialUpdateFeatureSegment', { params: { id: featureSegmentIds[1] }, body: { priority: 0 } }],
        ['deleteFeatureSegment', { params: { id: featureSegmentIds[1] } }],
        ['updateFeatureSegmentPriorities', { body: [{ id: featureSegmentIds[1], priority: 0 }] }],
      ];
      for (const [op, options] of calls) {
        const r = await api.op(op as never, options);
        expect({ op, status: r.status, body: r.body }).toMatchObject({ op, status: 403, body: REFUSED });
      }
      expect({ d: await state(defaultId), o: await state(overrideStateId) }).toEqual(before);
      const segments = await k().selectFrom('feature_segments').select(['id', 'priority']).where('environment_id', '=', envId).where('feature_id', '=', featureId).orderBy('priority').execute();
      expect(segments.map((s) => s.id)).toEqual(featureSegmentIds);
      expect(await bypassAudits(envId)).toEqual([]);
    });

    test('the experimental endpoints answer Flagsmith’s 403; with the bypass they write, audited', async () => {
      for (const [op, body] of [
        ['updateFlagV1', { feature: { id: featureId }, enabled: true }],
        ['updateFlagV2', { feature: { id: featureId }, environment_default: { enabled: true } }],
        ['deleteSegmentOverride', { feature: { id: featureId }, segment: { id: 1 } }],
      ] as const) {
        const r = await api.op(op, { params: { environment_key: apiKey }, body, auth: writer.auth });
        expect({ op, status: r.status, body: r.body }).toMatchObject({ op, status: 403, body: REFUSED });
      }
      expect(Boolean((await state(defaultId)).enabled)).toBe(false);
      const ok = await api.op('updateFlagV1', { params: { environment_key: apiKey }, body: { feature: { id: featureId }, enabled: true }, auth: bypasser.auth });
      expect(ok.status).toBe(204);
      expect(Boolean((await state(defaultId)).enabled)).toBe(true);
      expect(await bypassAudits(envId)).toEqual([{ log: `Change request requirement bypassed: feature state ${defaultId} of feature ${featureId} saved through the feature-states API`, author: bypasser.id }]);
    });

    test('the legacy environment route writes with the bypass, audited', async () => {
      const r = await api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: apiKey, id: defaultId }, body: { enabled: false }, auth: bypasser.auth });
      expect(r.status).toBe(200);
      expect(Boolean((await state(defaultId)).enabled)).toBe(false);
      expect((await bypassAudits(envId)).at(-1)).toEqual({ log: `Change request requirement bypassed: feature state ${defaultId} of feature ${featureId} saved through /environments/{api_key}/featurestates/`, author: bypasser.id });
    });
  });
});
