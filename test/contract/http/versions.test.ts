import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { at, enableV2, insertEnvironmentDefault, insertFeature, insertSegment, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import { createProject } from '../../support/tenancy.js';

// Many requests per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

describe.each(DIALECTS)('feature version routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let w: V2World;
  let viewer: TestUser;
  let overrider: TestUser;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };

  const k = () => api.testDb.db.kysely;

  async function draft(world: V2World, body: Record<string, unknown> = {}) {
    const r = await api.op('createFeatureVersion', { params: at(world), body });
    if (r.status !== 201) throw new Error(`createFeatureVersion failed: ${JSON.stringify(r.body)}`);
    return r.body as { uuid: string; status: string };
  }
  async function states(world: V2World, uuid: string) {
    return (await api.op('listFeatureVersionFeatureStates', { params: at(world, { uuid }) })).body as any[];
  }
  async function liveUuid(world: V2World) {
    return (await api.built.services.versions.liveVersionUuids(world.env.id)).get(world.feature);
  }

  beforeAll(async () => {
    await api.start();
    w = await v2World(api, { segments: 3, optionValues: ['red', 'blue'] });
    viewer = await addMember(api, 'viewer@example.com');
    overrider = await addMember(api, 'overrider@example.com');
    member = await addMember(api, 'member@example.com');
    rival = await otherOrganisation(api);
    for (const [user, permissions] of [
      [viewer, ['VIEW_ENVIRONMENT']],
      [overrider, ['VIEW_ENVIRONMENT', 'MANAGE_SEGMENT_OVERRIDES']],
    ] as const) {
      await api.op('createProjectUserPermission', { params: { project_pk: w.project }, body: { user: user.id, permissions: ['VIEW_PROJECT'] } });
      await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: user.id, permissions: [...permissions] } });
    }
  });
  afterAll(() => api.stop());

  test('an environment moved to v2 has one live initial version per feature holding its v1 state', async () => {
    const list = await api.op('listFeatureVersions', { params: at(w) });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null });
    const [initial] = list.body.results;
    expect(initial).toMatchObject({ published: true, is_live: true, status: 'published', created_by: null, published_by: null, base_version_uuid: null, conflicts: null });
    expect(await liveUuid(w)).toBe(initial.uuid);
    const s = await states(w, initial.uuid);
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ feature: w.feature, environment: w.env.id, feature_segment: null, enabled: false, environment_feature_version: initial.uuid });
  });

  test('createInitialVersions attaches the v1 default and segment overrides to the initial version, keeping their ids', async () => {
    const project = (await createProject(api, 'Initial')).id;
    const env = await createEnvironment(api, project, 'Moving');
    const feature = await insertFeature(api, project, { optionValues: ['x'] });
    const defaultId = await insertEnvironmentDefault(api, env.id, feature.id, true, 'on');
    const segment = await insertSegment(api, project, 'vip');
    const now = api.clock.now().toISOString();
    const fseg = await k()
      .insertInto('feature_segments')
      .values({ uuid: `fseg-${feature.id}`, feature_id: feature.id, segment_id: segment, environment_id: env.id, priority: 5, environment_feature_version_uuid: null, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const override = await k()
      .insertInto('feature_states')
      .values({
        uuid: `fs-${feature.id}`, feature_id: feature.id, environment_id: env.id, identity_id: null, feature_segment_id: fseg.id, enabled: false, value_type: 'int', string_value: null,
        integer_value: 7, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null, created_at: now, updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await k().insertInto('multivariate_feature_state_values').values({ uuid: `mv-${feature.id}`, feature_state_id: override.id, multivariate_option_id: feature.options[0]!, percentage_allocation: 40 }).execute();
    await enableV2(api, env.id);
    const world = { project, env, feature: feature.id, options: feature.options, segments: [segment] };
    const [initial] = (await api.op('listFeatureVersions', { params: at(world) })).body.results;
    const s = await states(world, initial.uuid);
    expect(s.map((x) => [x.id, x.feature_segment?.segment ?? null, x.feature_segment?.priority ?? null, x.enabled, x.feature_state_value])).toEqual([
      [defaultId, null, null, true, stringValue('on')],
      [override.id, segment, 0, false, { type: 'int', string_value: null, integer_value: 7, boolean_value: null }],
    ]);
    expect(s[1].multivariate_feature_state_values).toMatchObject([{ multivariate_feature_option: feature.options[0], percentage_allocation: 40 }]);
    // Running it again creates nothing.
    expect(await api.testDb.db.transaction((trx) => api.built.services.versions.createInitialVersions(trx, env.id))).toBe(0);
  });

  test('a feature added after the move to v2 gets its initial version from its current state with its first new version', async () => {
    const late = await insertFeature(api, w.project);
    await insertEnvironmentDefault(api, w.env.id, late.id, true, 'kept');
    const world = { ...w, feature: late.id };
    expect((await api.op('listFeatureVersions', { params: at(world) })).body.count).toBe(0);
    const d = await draft(world);
    const list = (await api.op('listFeatureVersions', { params: at(world) })).body;
    expect(list.count).toBe(2);
    const initial = list.results.find((v: any) => v.uuid !== d.uuid);
    expect(initial).toMatchObject({ status: 'published', is_live: true });
    expect((await api.op('getFeatureVersion', { params: at(world, { uuid: d.uuid }) })).body.base_version_uuid).toBe(initial.uuid);
    expect((await states(world, d.uuid)).map((x) => [x.enabled, x.feature_state_value.string_value])).toEqual([[true, 'kept']]);
  });

  test('createFeatureVersion makes a draft from the live version with every given change; it is not live until published', async () => {
    const before = await liveUuid(w);
    const r = await api.op('createFeatureVersion', {
      params: at(w),
      body: {
        description: 'launch',
        feature_states_to_create: [
          { feature_segment: { segment: w.segments[0] }, enabled: true, feature_state_value: stringValue('beta') },
          { feature_segment: { segment: w.segments[1] }, enabled: false, multivariate_feature_state_values: [{ multivariate_feature_option: w.options[0], percentage_allocation: 30 }] },
        ],
        feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('hello') }],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'draft', published: false, is_live: false, live_from: null, description: 'launch', base_version_uuid: before, published_by: null });
    expect(typeof r.body.created_by).toBe('number');
    const s = await states(w, r.body.uuid);
    expect(s.map((x) => [x.feature_segment?.segment ?? null, x.feature_segment?.priority ?? null, x.enabled, x.feature_state_value.string_value])).toEqual([
      [null, null, true, 'hello'],
      [w.segments[0], 0, true, 'beta'],
      [w.segments[1], 1, false, null],
    ]);
    expect(s[2].multivariate_feature_state_values).toMatchObject([{ multivariate_feature_option: w.options[0], percentage_allocation: 30 }]);
    expect(await liveUuid(w)).toBe(before);
    const row = await k().selectFrom('environment_feature_versions').select(['draft_state', 'content_hash']).where('uuid', '=', r.body.uuid).executeTakeFirstOrThrow();
    expect(row.draft_state).toBeTruthy();
    expect(row.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    await api.op('deleteFeatureVersion', { params: at(w, { uuid: r.body.uuid }) });
  });

  test('createFeatureVersion rejects bad changes naming the field, and writes nothing', async () => {
    const count = async () => Number((await k().selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const other = await insertFeature(api, w.project, { optionValues: ['foreign'] });
    const cases: [Record<string, unknown>, string][] = [
      [{ feature_states_to_create: [{ feature_segment: { segment: 999999 }, enabled: true }] }, 'body/feature_states_to_create/0/feature_segment/segment'],
      [{ feature_states_to_create: [{ feature_segment: null, enabled: true }] }, 'body/feature_states_to_create/0/feature_segment'],
      [
        { feature_states_to_create: [{ feature_segment: { segment: w.segments[0] } }, { feature_segment: { segment: w.segments[0] } }] },
        'body/feature_states_to_create/1/feature_segment/segment',
      ],
      [{ feature_states_to_update: [{ feature_segment: { segment: w.segments[2] }, enabled: true }] }, 'body/feature_states_to_update/0/feature_segment/segment'],
      [{ feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'int', integer_value: 'x' } }] }, 'body/feature_states_to_update/0/feature_state_value/integer_value'],
      [
        { feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: w.options[0], percentage_allocation: 60 }, { multivariate_feature_option: w.options[1], percentage_allocation: 60 }] }] },
        'body/feature_states_to_update/0/multivariate_feature_state_values',
      ],
      [{ feature_states_to_update: [{ feature_segment: null, multivariate_feature_state_values: [{ multivariate_feature_option: other.options[0], percentage_allocation: 10 }] }] }, 'body/feature_states_to_update/0/multivariate_feature_state_values/0/multivariate_feature_option'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createFeatureVersion', { params: at(w), body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path).toBe(path);
    }
    expect(await count()).toBe(before);
  });

  test('version writes answer 400 PRECONDITION_FAILED on a v1 environment, whose list is empty; 404 for a feature of another project', async () => {
    const v1 = await createEnvironment(api, w.project, 'Still v1');
    const r = await api.op('listFeatureVersions', { params: { environment_pk: v1.id, feature_pk: w.feature } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 0, results: [] });
    const created = await api.op('createFeatureVersion', { params: { environment_pk: v1.id, feature_pk: w.feature }, body: {} });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ code: 'PRECONDITION_FAILED', details: { reason: 'VERSIONING_NOT_ENABLED' } });
    const elsewhere = await v2World(api);
    expect((await api.op('listFeatureVersions', { params: { environment_pk: w.env.id, feature_pk: elsewhere.feature } })).status).toBe(404);
    expect((await api.op('getFeatureVersion', { params: at(w, { uuid: (await draft(elsewhere)).uuid }) })).status).toBe(404);
  });

  test('publishFeatureVersion makes the draft live, chains it to the previous version and freezes it', async () => {
    const previous = await liveUuid(w);
    const d = await draft(w, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
    const r = await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ uuid: d.uuid, status: 'published', published: true, is_live: true, live_from: api.clock.now().toISOString() });
    expect(typeof r.body.published_by).toBe('number');
    expect(await liveUuid(w)).toBe(d.uuid);
    const detail = await api.op('getEnvironmentFeatureVersion', { params: { uuid: d.uuid } });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ uuid: d.uuid, previous_version_uuid: previous, feature: w.feature, environment: w.env.id });

    // Immutable: no edit, delete or second publish.
    const [defaultState] = await states(w, d.uuid);
    const edits = [
      await api.op('partialUpdateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: defaultState.id }), body: { enabled: false } }),
      await api.op('updateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: defaultState.id }), body: { enabled: false } }),
      await api.op('createFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid }), body: { feature_segment: { segment: w.segments[2] }, enabled: true } }),
      await api.op('deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) }),
      await api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} }),
    ];
    for (const e of edits) {
      expect(e.status).toBe(400);
      expect(e.body.code).toBe('PRECONDITION_FAILED');
      expect(e.body.message).toContain('immutable');
    }
    expect((await states(w, d.uuid))[0].enabled).toBe(true);
  });

  test('a publish writes one EF_VERSION audit entry, one NEW_VERSION_PUBLISHED and one FLAG_UPDATED per changed state', async () => {
    const world = await v2World(api, { segments: 3 });
    await api.op('createEnvironmentWebhook', { params: { api_key: world.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
    const eventsOf = async () =>
      (await k().selectFrom('events').select(['event_type', 'data_json']).where('environment_id', '=', world.env.id).orderBy('id').execute()).map((e) => ({ type: e.event_type, data: JSON.parse(e.data_json) }));
    const published = await api.op('createFeatureVersion', {
      params: at(world),
      body: {
        publish_immediately: true,
        feature_states_to_update: [{ feature_segment: null, enabled: true }],
        feature_states_to_create: world.segments.map((segment) => ({ feature_segment: { segment }, enabled: true })),
      },
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ status: 'published', is_live: true });
    const events = await eventsOf();
    expect(events.filter((e) => e.type === 'NEW_VERSION_PUBLISHED').map((e) => e.data.uuid)).toEqual([published.body.uuid]);
    expect(events.filter((e) => e.type === 'FLAG_UPDATED')).toHaveLength(4);
    const audit = await k().selectFrom('audit_log').selectAll().where('related_object_uuid', '=', published.body.uuid).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ related_object_type: 'EF_VERSION', related_object_id: null, environment_id: world.env.id });
    expect(audit[0]!.log).toMatch(/^New version published for feature: /);

    // A second version that changes one override and drops another: one FLAG_UPDATED, one FLAG_DELETED.
    const next = await api.op('createFeatureVersion', {
      params: at(world),
      body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: { segment: world.segments[0] }, enabled: false }], segment_ids_to_delete_overrides: [world.segments[1]] },
    });
    expect(next.status).toBe(201);
    const more = (await eventsOf()).slice(events.length);
    expect(more.map((e) => e.type).sort()).toEqual(['FLAG_DELETED', 'FLAG_UPDATED', 'NEW_VERSION_PUBLISHED']);
    const updated = more.find((e) => e.type === 'FLAG_UPDATED')!.data;
    expect(updated.new_state).toMatchObject({ enabled: false, feature_segment: { segment: { id: world.segments[0] } } });
    expect(updated.previous_state).toMatchObject({ enabled: true });
  });

  test('several REST edits compose in one draft that publishes as one version; ids stay stable while editing', async () => {
    const world = await v2World(api, { segments: 2, optionValues: ['a', 'b'] });
    const d = await draft(world);
    const [defaultState] = await states(world, d.uuid);
    const patched = await api.op('partialUpdateFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: defaultState.id }), body: { feature_state_value: stringValue('v2') } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: defaultState.id, feature_state_value: stringValue('v2'), enabled: false });
    const put = await api.op('updateFeatureVersionFeatureState', {
      params: at(world, { uuid: d.uuid, id: defaultState.id }),
      body: { enabled: true, multivariate_feature_state_values: [{ multivariate_feature_option: world.options[1], percentage_allocation: 50 }] },
    });
    expect(put.body).toMatchObject({ id: defaultState.id, enabled: true, feature_state_value: stringValue('v2') });
    const created = await api.op('createFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid }), body: { feature_segment: { segment: world.segments[0] }, enabled: true } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ feature_segment: { segment: world.segments[0], priority: 0 }, enabled: true, environment_feature_version: d.uuid });
    const second = await api.op('createFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid }), body: { feature_segment: { segment: world.segments[1], priority: 0 }, enabled: false } });
    expect(second.body.feature_segment.priority).toBe(0);
    const got = await api.op('getFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: created.body.id }) });
    expect(got.body).toMatchObject({ id: created.body.id, feature_segment: { segment: world.segments[0], priority: 1 } });
    const duplicate = await api.op('createFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid }), body: { feature_segment: { segment: world.segments[0] } } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.details.issues[0].path).toBe('body/feature_segment/segment');
    expect((await api.op('deleteFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: second.body.id }) })).status).toBe(204);
    const cannot = await api.op('deleteFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: defaultState.id }) });
    expect(cannot.status).toBe(400);
    expect((await api.op('getFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: 2147483647 }) })).status).toBe(404);

    const after = await states(world, d.uuid);
    expect(after.map((s) => s.id)).toEqual([defaultState.id, created.body.id]);
    const published = await api.op('publishFeatureVersion', { params: at(world, { uuid: d.uuid }), body: {} });
    expect(published.status).toBe(200);
    const list = await api.op('listFeatureVersions', { params: at(world) });
    expect(list.body.count).toBe(2);
    expect(list.body.results[0].uuid).toBe(d.uuid);
    const live = await states(world, d.uuid);
    expect(live.map((s) => [s.feature_segment?.segment ?? null, s.enabled, s.feature_state_value.string_value, s.multivariate_feature_state_values.length])).toEqual([
      [null, true, 'v2', 1],
      [world.segments[0], true, null, 0],
    ]);
  });

  test('a draft edited through REST keeps its Yjs document in step with its content', async () => {
    const world = await v2World(api, { segments: 1 });
    const d = await draft(world, { feature_states_to_create: [{ feature_segment: { segment: world.segments[0] }, enabled: true }] });
    const [, override] = await states(world, d.uuid);
    await api.op('partialUpdateFeatureVersionFeatureState', { params: at(world, { uuid: d.uuid, id: override.id }), body: { feature_state_value: stringValue('x') } });
    const row = await k().selectFrom('environment_feature_versions').select(['draft_state', 'content_json']).where('uuid', '=', d.uuid).executeTakeFirstOrThrow();
    const { loadDraftDoc, readDraftDoc } = await import('../../../src-shared/domain/versioning/draft-doc.js');
    const doc = loadDraftDoc(new Uint8Array(Buffer.from(row.draft_state!, 'base64')));
    expect(readDraftDoc(doc)).toEqual(JSON.parse(row.content_json));
    expect(readDraftDoc(doc).segmentOverrides[String(world.segments[0])]).toMatchObject({ enabled: true, value: stringValue('x') });
  });

  test('listFeatureVersions is newest first, paginated, and filters by is_live and published', async () => {
    const world = await v2World(api);
    const d1 = await draft(world);
    await api.op('publishFeatureVersion', { params: at(world, { uuid: d1.uuid }), body: {} });
    const d2 = await draft(world, { description: 'pending' });
    const all = await api.op('listFeatureVersions', { params: at(world), query: { page_size: 2 } });
    expect(all.body.count).toBe(3);
    expect(all.body.results.map((v: any) => v.uuid).slice(0, 2)).toEqual([d2.uuid, d1.uuid]);
    expect(all.body.next).toContain('page=2');
    expect((await api.op('listFeatureVersions', { params: at(world), query: { is_live: false } })).body.results.map((v: any) => v.uuid)).toEqual([d2.uuid]);
    expect((await api.op('listFeatureVersions', { params: at(world), query: { is_live: true } })).body.count).toBe(2);
    expect((await api.op('listFeatureVersions', { params: at(world), query: { published: false } })).body.results.map((v: any) => v.uuid)).toEqual([d2.uuid]);
    expect((await api.op('listFeatureVersions', { params: at(world), query: { published: true } })).body.count).toBe(2);
    expect((await api.op('getFeatureVersion', { params: at(world, { uuid: d2.uuid }) })).body).toMatchObject({ uuid: d2.uuid, description: 'pending', status: 'draft' });
    expect((await api.op('getFeatureVersion', { params: at(world, { uuid: 'no-such-version' }) })).status).toBe(404);
    expect((await api.op('getEnvironmentFeatureVersion', { params: { uuid: 'no-such-version' } })).status).toBe(404);
  });

  test('deleteFeatureVersion deletes a draft with its feature states; published versions stay', async () => {
    const d = await draft(w, { feature_states_to_create: [{ feature_segment: { segment: w.segments[2] }, enabled: true }] });
    expect((await api.op('deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) })).status).toBe(204);
    expect((await api.op('getFeatureVersion', { params: at(w, { uuid: d.uuid }) })).status).toBe(404);
    expect(await k().selectFrom('feature_states').select('id').where('environment_feature_version_uuid', '=', d.uuid).execute()).toEqual([]);
    expect(await k().selectFrom('feature_segments').select('id').where('environment_feature_version_uuid', '=', d.uuid).execute()).toEqual([]);
    expect((await api.op('deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) })).status).toBe(404);
  });

  test('restoreFeatureVersion publishes an earlier version’s content as a new version in one call', async () => {
    const world = await v2World(api, { segments: 1 });
    const first = (await api.op('listFeatureVersions', { params: at(world) })).body.results[0].uuid;
    await api.op('createFeatureVersion', { params: at(world), body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('new') }] } });
    const changed = await api.op('createFeatureVersion', {
      params: at(world),
      body: { publish_immediately: true, feature_states_to_create: [{ feature_segment: { segment: world.segments[0] }, enabled: true }] },
    });
    const r = await api.op('restoreFeatureVersion', { params: at(world, { uuid: first }) });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'published', is_live: true, description: `Restored from version ${first}` });
    expect(r.body.uuid).not.toBe(first);
    expect(await liveUuid(world)).toBe(r.body.uuid);
    const detail = await api.op('getEnvironmentFeatureVersion', { params: { uuid: r.body.uuid } });
    expect(detail.body.previous_version_uuid).toBe(changed.body.uuid);
    const s = await states(world, r.body.uuid);
    expect(s.map((x) => [x.feature_segment, x.enabled, x.feature_state_value.string_value])).toEqual([[null, false, null]]);
    expect((await api.op('getFeatureVersionDiff', { params: at(world, { uuid: r.body.uuid }), query: { against: first } })).body.changes).toEqual([]);
    // Only published versions can be restored.
    const d = await draft(world);
    const refused = await api.op('restoreFeatureVersion', { params: at(world, { uuid: d.uuid }), body: {} });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('PRECONDITION_FAILED');
  });

  test('getFeatureVersionDiff gives structured changes with sentences naming segments and options', async () => {
    const world = await v2World(api, { segments: 2, optionValues: ['red'] });
    const v = await api.op('createFeatureVersion', {
      params: at(world),
      body: {
        publish_immediately: true,
        feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: stringValue('on'), multivariate_feature_state_values: [{ multivariate_feature_option: world.options[0], percentage_allocation: 25 }] }],
        feature_states_to_create: [{ feature_segment: { segment: world.segments[1] }, enabled: true }],
      },
    });
    const r = await api.op('getFeatureVersionDiff', { params: at(world, { uuid: v.body.uuid }) });
    expect(r.status).toBe(200);
    const previous = (await api.op('getEnvironmentFeatureVersion', { params: { uuid: v.body.uuid } })).body.previous_version_uuid;
    expect(r.body.against_version_uuid).toBe(previous);
    expect(r.body.changes.map((c: any) => [c.kind, c.segment_id, c.option_id])).toEqual([
      ['enabled', null, null],
      ['value', null, null],
      ['weight', null, world.options[0]],
      ['override-added', world.segments[1], null],
    ]);
    expect(r.body.changes.map((c: any) => c.sentence)).toEqual([
      'Enabled the environment default',
      'Changed the value of the environment default from no value to "on"',
      "Set the weight of option 'red' in the environment default to 25%",
      "Added an override for segment 'seg-1' at priority 0 (enabled, value no value)",
    ]);
    const back = await api.op('getFeatureVersionDiff', { params: at(world, { uuid: previous }), query: { against: v.body.uuid } });
    expect(back.body.changes.map((c: any) => c.kind)).toEqual(['enabled', 'value', 'weight', 'override-removed']);
    const initial = await api.op('getFeatureVersionDiff', { params: at(world, { uuid: previous }) });
    expect(initial.body).toEqual({ version_uuid: previous, against_version_uuid: null, changes: [] });
    const foreign = await api.op('getFeatureVersionDiff', { params: at(world, { uuid: v.body.uuid }), query: { against: (await draft(w)).uuid } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details.issues[0].path).toBe('query/against');
  });

  test('reads need VIEW_ENVIRONMENT; another tenant and members without a grant get 404; no credentials 401', async () => {
    const d = await draft(w);
    const [state] = await states(w, d.uuid);
    const reads: [Parameters<TestApi['op']>[0], Record<string, unknown>][] = [
      ['listFeatureVersions', { params: at(w) }],
      ['getFeatureVersion', { params: at(w, { uuid: d.uuid }) }],
      ['getEnvironmentFeatureVersion', { params: { uuid: d.uuid } }],
      ['listFeatureVersionFeatureStates', { params: at(w, { uuid: d.uuid }) }],
      ['getFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: state.id }) }],
      ['getFeatureVersionDiff', { params: at(w, { uuid: d.uuid }) }],
    ];
    for (const [op, options] of reads) {
      expect((await api.op(op, { ...options, auth: viewer.auth })).status, op).toBe(200);
      expect((await api.op(op, { ...options, auth: member.auth })).status, op).toBe(404);
      expect((await api.op(op, { ...options, auth: rival.admin.auth })).status, op).toBe(404);
      expect((await api.op(op, { ...options, auth: '' })).status, op).toBe(401);
    }
    await api.op('deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) });
  });

  test('writes need UPDATE_FEATURE_STATE; MANAGE_SEGMENT_OVERRIDES may edit a draft’s overrides only', async () => {
    const d = await draft(w, { feature_states_to_create: [{ feature_segment: { segment: w.segments[0] }, enabled: true }] });
    const [defaultState, override] = await states(w, d.uuid);
    const writes: [Parameters<TestApi['op']>[0], Record<string, unknown>][] = [
      ['createFeatureVersion', { params: at(w), body: { feature_states_to_update: [{ feature_segment: null, enabled: true }] } }],
      ['publishFeatureVersion', { params: at(w, { uuid: d.uuid }), body: {} }],
      ['deleteFeatureVersion', { params: at(w, { uuid: d.uuid }) }],
      ['restoreFeatureVersion', { params: at(w, { uuid: (await liveUuid(w))! }), body: {} }],
      ['partialUpdateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: defaultState.id }), body: { enabled: true } }],
      ['updateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: defaultState.id }), body: { enabled: true } }],
    ];
    for (const [op, options] of writes) {
      expect((await api.op(op, { ...options, auth: viewer.auth })).status, op).toBe(403);
      expect((await api.op(op, { ...options, auth: overrider.auth })).status, op).toBe(403);
      expect((await api.op(op, { ...options, auth: member.auth })).status, op).toBe(404);
      expect((await api.op(op, { ...options, auth: rival.admin.auth })).status, op).toBe(404);
      expect((await api.op(op, { ...options, auth: '' })).status, op).toBe(401);
    }
    const overrideWrites: [Parameters<TestApi['op']>[0], Record<string, unknown>, number][] = [
      ['partialUpdateFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: override.id }), body: { enabled: false } }, 200],
      ['createFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid }), body: { feature_segment: { segment: w.segments[1] } } }, 201],
      ['createFeatureVersion', { params: at(w), body: { feature_states_to_create: [{ feature_segment: { segment: w.segments[2] } }] } }, 201],
      ['deleteFeatureVersionFeatureState', { params: at(w, { uuid: d.uuid, id: override.id }) }, 204],
    ];
    for (const [op, options, status] of overrideWrites) {
      expect((await api.op(op, { ...options, auth: viewer.auth })).status, op).toBe(403);
      expect((await api.op(op, { ...options, auth: rival.admin.auth })).status, op).toBe(404);
      expect((await api.op(op, { ...options, auth: '' })).status, op).toBe(401);
      expect((await api.op(op, { ...options, auth: overrider.auth })).status, op).toBe(status);
    }
  });
});
