import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('identity override routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let reader: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  let otherEnv: { id: number; api_key: string };
  let alice: number;
  const k = () => api.testDb.db.kysely;
  let seq = 0;

  /**
   * Features are another module's: these rows stand in for what it writes (the feature and its
   * environment default in every environment of the project).
   */
  async function insertFeature(name: string, projectId = project.id): Promise<number> {
    const now = api.clock.now().toISOString();
    const f = await k()
      .insertInto('features')
      .values({ uuid: `f-${name}-${dialect}-${++seq}`, project_id: projectId, name, type: 'STANDARD', initial_value: 'default', default_enabled: false, description: null, is_archived: false, is_server_key_only: false, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const environments = await k().selectFrom('environments').select('id').where('project_id', '=', projectId).execute();
    for (const e of environments) {
      await k()
        .insertInto('feature_states')
        .values({
          uuid: `fs-${name}-${e.id}-${dialect}-${++seq}`, feature_id: f.id, environment_id: e.id, identity_id: null, feature_segment_id: null, enabled: false, value_type: 'unicode',
          string_value: 'default', integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null, created_at: now, updated_at: now,
        })
        .execute();
    }
    return f.id;
  }

  async function identity(identifier: string, environmentKey = env.api_key): Promise<number> {
    const r = await api.op('createIdentity', { params: { environment_api_key: environmentKey }, body: { identifier } });
    if (r.status !== 201) throw new Error(`createIdentity failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function override(identityId: number, feature: number, body: Record<string, unknown> = {}): Promise<number> {
    const r = await api.op('createIdentityFeatureState', { params: { environment_api_key: env.api_key, identity_pk: identityId }, body: { feature, ...body } });
    if (r.status !== 201) throw new Error(`createIdentityFeatureState failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function revision(id = env.id): Promise<number> {
    return (await k().selectFrom('environments').select('document_revision').where('id', '=', id).executeTakeFirstOrThrow()).document_revision;
  }

  async function lastEvent(): Promise<{ event_type: string; data: Record<string, any> } | undefined> {
    const r = await k().selectFrom('events').select(['event_type', 'data_json']).where('environment_id', '=', env.id).orderBy('id', 'desc').executeTakeFirst();
    return r && { event_type: r.event_type, data: JSON.parse(r.data_json) };
  }

  async function counts(): Promise<{ events: number; audit: number; states: number }> {
    const n = async (table: 'events' | 'audit_log' | 'feature_states') => Number((await k().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return { events: await n('events'), audit: await n('audit_log'), states: await n('feature_states') };
  }

  async function auditLogs(): Promise<{ log: string; related_object_id: number | null }[]> {
    return k().selectFrom('audit_log').select(['log', 'related_object_id']).where('related_object_type', '=', 'FEATURE_STATE').where('environment_id', '=', env.id).orderBy('id').execute();
  }

  // A generous hook timeout: migrations and password hashing are slow on a loaded machine.
  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    reader = await addMember(api, 'reader@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    otherEnv = await createEnvironment(api, project.id, 'Production');
    for (const [user, permissions] of [[viewer, ['VIEW_ENVIRONMENT']], [reader, ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES']]] as const) {
      await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: user.id, permissions: ['VIEW_PROJECT'] } });
      await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: user.id, permissions } });
    }
    const hook = await api.op('createEnvironmentWebhook', { params: { api_key: env.api_key }, body: { url: 'https://hooks.example.com/flags' } });
    if (hook.status !== 201) throw new Error(`createEnvironmentWebhook failed: ${JSON.stringify(hook.body)}`);
    alice = await identity('alice');
  }, 60_000);
  afterAll(() => api.stop(), 60_000);

  test('createIdentityFeatureState overrides a feature for one identity, audits it, fires FLAG_UPDATED and bumps the document revision', async () => {
    const feature = await insertFeature('banner');
    const rev = await revision();
    const r = await api.op('createIdentityFeatureState', { params: { environment_api_key: env.api_key, identity_pk: alice }, body: { feature, enabled: true, feature_state_value: '42' } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number), uuid: expect.any(String), feature, environment: env.id, identity: alice, feature_segment: null, enabled: true, feature_state_value: 42,
      multivariate_feature_state_values: [], version: 1, live_from: api.clock.now().toISOString(), change_request: null, environment_feature_version: null,
      created_at: api.clock.now().toISOString(), updated_at: api.clock.now().toISOString(),
    });
    const row = await k().selectFrom('feature_states').selectAll().where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ identity_id: alice, feature_segment_id: null, environment_id: env.id, value_type: 'int', environment_feature_version_uuid: null });
    // The environment default is untouched.
    const defaults = await k().selectFrom('feature_states').select(['enabled', 'string_value']).where('feature_id', '=', feature).where('environment_id', '=', env.id).where('identity_id', 'is', null).execute();
    expect(defaults.map((d) => ({ enabled: Boolean(d.enabled), value: d.string_value }))).toEqual([{ enabled: false, value: 'default' }]);

    expect(await auditLogs()).toContainEqual({ log: "Flag state / Remote config value updated for feature 'banner' and identity 'alice'", related_object_id: r.body.id });
    const event = await lastEvent();
    expect(event?.event_type).toBe('FLAG_UPDATED');
    expect(event?.data).toMatchObject({
      previous_state: null,
      changed_by: 'admin@example.com',
      new_state: { feature: { id: feature, name: 'banner' }, environment: { id: env.id }, identity: alice, identity_identifier: 'alice', feature_segment: null, enabled: true, feature_state_value: 42 },
    });
    expect(await revision()).toBe(rev + 1);
    expect(await api.built.services.identities.overridesOf(env.id, alice)).toContainEqual(expect.objectContaining({ id: r.body.id, featureId: feature, enabled: true, value: 42 }));
  });

  test('createIdentityFeatureState stores values typed as Flagsmith does', async () => {
    const bob = await identity('bob-values');
    const cases: [unknown, unknown][] = [['hello', 'hello'], [7, 7], [0, 0], [false, false], ['true', true], [null, null], [1.5, '1.5'], [undefined, 'default']];
    for (const [input, expected] of cases) {
      const feature = await insertFeature(`typed-${String(input)}`);
      // Without a value, the override starts from the feature's initial value ('default' here).
      const body = input === undefined ? { feature } : { feature, feature_state_value: input };
      const r = await api.op('createIdentityFeatureState', { params: { environment_api_key: env.api_key, identity_pk: bob }, body });
      expect(r.status, JSON.stringify(input)).toBe(201);
      expect(r.body.feature_state_value, JSON.stringify(input)).toEqual(expected);
      expect(r.body.enabled).toBe(false);
    }
  });

  test('createIdentityFeatureState refuses a second override of a feature, a feature of another project and bad values (400 naming the field), writing nothing', async () => {
    const feature = await insertFeature('once');
    await override(alice, feature);
    const foreignProject = await createProject(api, 'Other');
    const foreignFeature = await insertFeature('foreign', foreignProject.id);
    const before = await counts();
    const params = { environment_api_key: env.api_key, identity_pk: alice };
    const cases: [Record<string, unknown>, string][] = [
      [{ feature }, 'body/feature'],
      [{ feature: foreignFeature }, 'body/feature'],
      [{ feature: 999999 }, 'body/feature'],
      [{}, 'body/feature'],
      [{ feature: await insertFeature('badvalue'), feature_state_value: { a: 1 } }, 'body/feature_state_value'],
      [{ feature: await insertFeature('longvalue'), feature_state_value: 'x'.repeat(20001) }, 'body/feature_state_value'],
      [{ feature: await insertFeature('badenabled'), enabled: 'maybe' }, 'body/enabled'],
    ];
    const afterFixtures = await counts();
    for (const [body, path] of cases) {
      const r = await api.op('createIdentityFeatureState', { params, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect(await counts()).toEqual(afterFixtures);
    expect(afterFixtures.events).toBe(before.events);
  });

  test('listIdentityFeatureStates pages an identity’s overrides with its identifier, optionally of one feature', async () => {
    const carol = await identity('carol');
    const f1 = await insertFeature('list-one');
    const f2 = await insertFeature('list-two');
    const o1 = await override(carol, f1, { enabled: true });
    const o2 = await override(carol, f2, { feature_state_value: 'x' });
    await override(alice, f1);
    const params = { environment_api_key: env.api_key, identity_pk: carol };
    const all = await api.op('listIdentityFeatureStates', { params, auth: reader.auth });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(all.body.results.map((s: { id: number; identity: unknown; feature: number }) => [s.id, s.feature, s.identity])).toEqual([
      [o1, f1, { id: carol, identifier: 'carol' }],
      [o2, f2, { id: carol, identifier: 'carol' }],
    ]);
    const one = await api.op('listIdentityFeatureStates', { params, query: { feature: f2 } });
    expect(one.body.results).toEqual([expect.objectContaining({ id: o2, feature_state_value: 'x' })]);
    const paged = await api.op('listIdentityFeatureStates', { params, query: { page_size: 1 } });
    expect(paged.body.results.map((s: { id: number }) => s.id)).toEqual([o1]);
    expect(paged.body.next).toContain('page=2');

    const got = await api.op('getIdentityFeatureState', { params: { ...params, id: o2 }, auth: reader.auth });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: o2, feature: f2, identity: carol, enabled: false, feature_state_value: 'x' });
    // An override of another identity, and an unknown id, are not found under this identity.
    const aliceOverride = (await api.built.services.identities.overridesOf(env.id, alice)).find((o) => o.featureId === f1);
    expect((await api.op('getIdentityFeatureState', { params: { ...params, id: aliceOverride!.id } })).status).toBe(404);
    expect((await api.op('getIdentityFeatureState', { params: { ...params, id: 999999 } })).status).toBe(404);
  });

  test('updateIdentityFeatureState and partialUpdateIdentityFeatureState change the override, fire FLAG_UPDATED with the previous state and bump the revision', async () => {
    const feature = await insertFeature('update-me');
    const id = await override(alice, feature, { enabled: false, feature_state_value: 'old' });
    const item = { environment_api_key: env.api_key, identity_pk: alice, id };
    api.clock.advanceMs(60_000);
    const rev = await revision();

    const put = await api.op('updateIdentityFeatureState', { params: item, body: { enabled: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id, feature, enabled: true, feature_state_value: 'old', updated_at: api.clock.now().toISOString() });
    expect(put.body.created_at).not.toBe(put.body.updated_at);
    const event = await lastEvent();
    expect(event?.event_type).toBe('FLAG_UPDATED');
    expect(event?.data.previous_state).toMatchObject({ enabled: false, feature_state_value: 'old', identity: alice });
    expect(event?.data.new_state).toMatchObject({ enabled: true, feature_state_value: 'old', identity: alice });
    expect(await revision()).toBe(rev + 1);

    const patch = await api.op('partialUpdateIdentityFeatureState', { params: item, body: { feature, feature_state_value: false } });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ enabled: true, feature_state_value: false });
    expect(await revision()).toBe(rev + 2);
    expect((await auditLogs()).filter((a) => a.related_object_id === id).map((a) => a.log)).toEqual(Array(3).fill("Flag state / Remote config value updated for feature 'update-me' and identity 'alice'"));

    const before = await counts();
    const other = await insertFeature('not-mine');
    const afterFixture = await counts();
    const moved = await api.op('updateIdentityFeatureState', { params: item, body: { feature: other, enabled: false } });
    expect(moved.status).toBe(400);
    expect(moved.body.details.issues[0].path).toBe('body/feature');
    const badValue = await api.op('partialUpdateIdentityFeatureState', { params: item, body: { feature_state_value: [1] } });
    expect(badValue.status).toBe(400);
    expect(badValue.body.details.issues[0].path).toBe('body/feature_state_value');
    expect(await counts()).toEqual(afterFixture);
    expect(afterFixture.events).toBe(before.events);
    expect((await api.op('getIdentityFeatureState', { params: item })).body).toMatchObject({ enabled: true, feature_state_value: false });
  });

  test('deleteIdentityFeatureState removes the override, audits it, fires FLAG_DELETED and bumps the revision', async () => {
    const feature = await insertFeature('remove-me');
    const id = await override(alice, feature, { enabled: true, feature_state_value: 'bye' });
    const rev = await revision();
    const r = await api.op('deleteIdentityFeatureState', { params: { environment_api_key: env.api_key, identity_pk: alice, id } });
    expect(r.status).toBe(204);
    expect(await k().selectFrom('feature_states').select('id').where('id', '=', id).execute()).toEqual([]);
    expect(await k().selectFrom('feature_states').select('id').where('feature_id', '=', feature).where('identity_id', 'is', null).execute()).toHaveLength(2);
    expect(await auditLogs()).toContainEqual({ log: "Flag state / Remote config value deleted for feature 'remove-me' and identity 'alice'", related_object_id: id });
    const event = await lastEvent();
    expect(event?.event_type).toBe('FLAG_DELETED');
    expect(event?.data).toMatchObject({ new_state: null, previous_state: { feature: { id: feature }, identity: alice, identity_identifier: 'alice', enabled: true, feature_state_value: 'bye' } });
    expect(await revision()).toBe(rev + 1);
    expect((await api.op('deleteIdentityFeatureState', { params: { environment_api_key: env.api_key, identity_pk: alice, id } })).status).toBe(404);
  });

  test('override routes need VIEW_IDENTITIES to read and MANAGE_IDENTITIES to write (403), credentials (401), and answer 404 across tenants and environments', async () => {
    const feature = await insertFeature('guarded');
    const id = await override(alice, feature);
    const nested = { environment_api_key: env.api_key, identity_pk: alice };
    const item = { ...nested, id };
    const before = await counts();
    expect((await api.op('listIdentityFeatureStates', { params: nested, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('getIdentityFeatureState', { params: item, auth: viewer.auth })).status).toBe(403);
    for (const auth of [viewer.auth, reader.auth]) {
      expect((await api.op('createIdentityFeatureState', { params: nested, body: { feature: await insertFeature(`denied-${auth.slice(-6)}`) }, auth })).status).toBe(403);
      expect((await api.op('updateIdentityFeatureState', { params: item, body: { enabled: true }, auth })).status).toBe(403);
      expect((await api.op('partialUpdateIdentityFeatureState', { params: item, body: { enabled: true }, auth })).status).toBe(403);
      expect((await api.op('deleteIdentityFeatureState', { params: item, auth })).status).toBe(403);
    }
    for (const [auth, status] of [['', 401], [rival.admin.auth, 404]] as const) {
      expect((await api.op('listIdentityFeatureStates', { params: nested, auth })).status).toBe(status);
      expect((await api.op('createIdentityFeatureState', { params: nested, body: { feature }, auth })).status).toBe(status);
      expect((await api.op('getIdentityFeatureState', { params: item, auth })).status).toBe(status);
      expect((await api.op('updateIdentityFeatureState', { params: item, body: { enabled: true }, auth })).status).toBe(status);
      expect((await api.op('partialUpdateIdentityFeatureState', { params: item, body: { enabled: true }, auth })).status).toBe(status);
      expect((await api.op('deleteIdentityFeatureState', { params: item, auth })).status).toBe(status);
    }
    // Alice belongs to Development: under Production's key she does not exist.
    const wrongEnv = { environment_api_key: otherEnv.api_key, identity_pk: alice };
    expect((await api.op('listIdentityFeatureStates', { params: wrongEnv })).status).toBe(404);
    expect((await api.op('createIdentityFeatureState', { params: wrongEnv, body: { feature } })).status).toBe(404);
    expect((await api.op('getIdentityFeatureState', { params: { ...wrongEnv, id } })).status).toBe(404);
    expect((await api.op('updateIdentityFeatureState', { params: { ...wrongEnv, id }, body: { enabled: true } })).status).toBe(404);
    expect((await api.op('deleteIdentityFeatureState', { params: { ...wrongEnv, id } })).status).toBe(404);
    const after = await counts();
    expect({ events: after.events, audit: after.audit }).toEqual({ events: before.events, audit: before.audit });
    expect((await api.op('getIdentityFeatureState', { params: item })).body).toMatchObject({ enabled: false });
  });

  test('listIdentityAllFeatureStates shows each feature as the identity sees it: identity override, else matching segment override, else environment default', async () => {
    const erin = await identity('erin');
    await api.op('createIdentityTrait', { params: { environment_api_key: env.api_key, identity_pk: erin }, body: { trait_key: 'plan', trait_value: 'pro' } });
    const byIdentity = await insertFeature('all-identity');
    const bySegment = await insertFeature('all-segment');
    const byDefault = await insertFeature('all-default');
    const unmatched = await insertFeature('all-unmatched');
    await override(erin, byIdentity, { enabled: true, feature_state_value: 'mine' });
    const now = api.clock.now().toISOString();
    async function segmentOverride(featureId: number, name: string, plan: string, value: string): Promise<number> {
      const rules = [{ id: ++seq, type: 'ALL', rules: [{ id: ++seq, type: 'ANY', rules: [], conditions: [{ id: ++seq, operator: 'EQUAL', property: 'plan', value: plan, description: null }] }], conditions: [] }];
      const segment = await k()
        .insertInto('segments')
        .values({ uuid: `seg-${name}-${dialect}`, project_id: project.id, feature_id: null, name, description: null, rules_json: JSON.stringify(rules), created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const fseg = await k()
        .insertInto('feature_segments')
        .values({ uuid: `fseg-${name}-${dialect}`, feature_id: featureId, segment_id: segment.id, environment_id: env.id, priority: 0, environment_feature_version_uuid: null, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await k()
        .insertInto('feature_states')
        .values({
          uuid: `segfs-${name}-${dialect}`, feature_id: featureId, environment_id: env.id, identity_id: null, feature_segment_id: fseg.id, enabled: true, value_type: 'unicode',
          string_value: value, integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null, created_at: now, updated_at: now,
        })
        .execute();
      await k().updateTable('environments').set({ document_revision: (await revision()) + 1 }).where('id', '=', env.id).execute();
      return segment.id;
    }
    const proSegment = await segmentOverride(bySegment, 'pro users', 'pro', 'segment value');
    await segmentOverride(unmatched, 'enterprise users', 'enterprise', 'never');
    // A segment override loses to the identity override of the same feature.
    await segmentOverride(byIdentity, 'pro users too', 'pro', 'segment loses');

    const params = { environment_api_key: env.api_key, identity_pk: erin };
    const r = await api.op('listIdentityAllFeatureStates', { params, auth: reader.auth });
    expect(r.status).toBe(200);
    const mine = new Map(r.body.map((s: { feature: { id: number } }) => [s.feature.id, s]));
    expect(mine.get(byIdentity)).toEqual({ feature: { id: byIdentity, name: 'all-identity', type: 'STANDARD' }, enabled: true, feature_state_value: 'mine', overridden_by: 'IDENTITY', segment: null, multivariate_feature_state_values: [] });
    expect(mine.get(bySegment)).toEqual({ feature: { id: bySegment, name: 'all-segment', type: 'STANDARD' }, enabled: true, feature_state_value: 'segment value', overridden_by: 'SEGMENT', segment: { id: proSegment, name: 'pro users' }, multivariate_feature_state_values: [] });
    expect(mine.get(byDefault)).toMatchObject({ enabled: false, feature_state_value: 'default', overridden_by: null, segment: null });
    expect(mine.get(unmatched)).toMatchObject({ enabled: false, feature_state_value: 'default', overridden_by: null, segment: null });

    expect((await api.op('listIdentityAllFeatureStates', { params, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('listIdentityAllFeatureStates', { params, auth: '' })).status).toBe(401);
    expect((await api.op('listIdentityAllFeatureStates', { params, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listIdentityAllFeatureStates', { params: { environment_api_key: otherEnv.api_key, identity_pk: erin } })).status).toBe(404);
  });

  test('identity overrides live outside versions on a v2 environment and reach the environment document view', async () => {
    const v2 = await createEnvironment(api, project.id, 'Versioned');
    await k().updateTable('environments').set({ use_v2_feature_versioning: true }).where('id', '=', v2.id).execute();
    const feature = await insertFeature('versioned');
    const dan = await identity('dan', v2.api_key);
    const r = await api.op('createIdentityFeatureState', { params: { environment_api_key: v2.api_key, identity_pk: dan }, body: { feature, enabled: true, feature_state_value: 'v2' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ environment: v2.id, environment_feature_version: null, version: 1 });
    expect((await k().selectFrom('feature_states').select('environment_feature_version_uuid').where('id', '=', r.body.id).executeTakeFirstOrThrow()).environment_feature_version_uuid).toBeNull();

    const doc = await api.built.services.identities.identityOverridesOfEnvironment(v2.id);
    expect(doc).toEqual([{ identityId: dan, identityUuid: expect.any(String), identifier: 'dan', overrides: [expect.objectContaining({ id: r.body.id, featureId: feature, enabled: true, value: 'v2', multivariateValues: [] })] }]);

    // Deleting the identity takes its overrides out of the document, so the revision moves.
    const rev = await revision(v2.id);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: v2.api_key, id: dan } })).status).toBe(204);
    expect(await k().selectFrom('feature_states').select('id').where('id', '=', r.body.id).execute()).toEqual([]);
    expect(await revision(v2.id)).toBe(rev + 1);
    expect(await api.built.services.identities.identityOverridesOfEnvironment(v2.id)).toEqual([]);
  });
});
