import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { enableV2 } from '../../support/versions-fixtures.js';
import { auditLogsOf, createFeature, createMvOption, documentRevision, environmentDefaultState, insertFeatureSegment, webhookEventsOf } from '../../support/flag-fixtures.js';

describe.each(DIALECTS)('feature routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let other: { id: number };
  let dev: { id: number; api_key: string };
  let prod: { id: number; api_key: string };

  const featureCount = async () => Number((await api.testDb.db.kysely.selectFrom('features').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    member = await addMember(api, 'member@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    other = await createProject(api, 'Other');
    dev = await createEnvironment(api, project.id, 'Development');
    prod = await createEnvironment(api, project.id, 'Production');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: dev.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    // A webhook on Development makes FLAG_UPDATED / FLAG_DELETED events observable in the outbox.
    await api.op('createEnvironmentWebhook', { params: { api_key: dev.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
  }, 60_000);
  afterAll(() => api.stop());

  test('createFeature gives every environment an environment default with the inferred value and the options’ default shares', async () => {
    const before = { dev: await documentRevision(api, dev.id), prod: await documentRevision(api, prod.id) };
    const r = await api.op('createFeature', {
      params: { project_pk: project.id },
      body: {
        name: 'checkout_colour',
        initial_value: '42',
        default_enabled: true,
        description: 'Button colour',
        multivariate_options: [
          { type: 'unicode', string_value: 'red', default_percentage_allocation: 30 },
          { type: 'int', integer_value: 0, default_percentage_allocation: 20 },
        ],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      name: 'checkout_colour',
      type: 'MULTIVARIATE',
      initial_value: '42',
      default_enabled: true,
      description: 'Button colour',
      project: project.id,
      is_archived: false,
      is_server_key_only: false,
      tags: [],
      num_segment_overrides: 0,
      num_identity_overrides: null,
    });
    expect(r.body.multivariate_options).toEqual([
      expect.objectContaining({ type: 'unicode', string_value: 'red', integer_value: null, boolean_value: null, default_percentage_allocation: 30, feature: r.body.id }),
      expect.objectContaining({ type: 'int', string_value: null, integer_value: 0, boolean_value: null, default_percentage_allocation: 20, feature: r.body.id }),
    ]);
    for (const env of [dev, prod]) {
      const state = await environmentDefaultState(api, env.api_key, r.body.id);
      expect(state).toMatchObject({ enabled: true, feature_state_value: 42, feature_segment: null, identity: null, environment: env.id });
      expect(state.multivariate_feature_state_values.map((v) => [v.multivariate_feature_option, v.percentage_allocation])).toEqual(r.body.multivariate_options.map((o: { id: number; default_percentage_allocation: number }) => [o.id, o.default_percentage_allocation]));
    }
    expect(await auditLogsOf(api, 'FEATURE', r.body.id)).toEqual(['New Flag / Remote Config created: checkout_colour']);
    expect(await documentRevision(api, dev.id)).toBeGreaterThan(before.dev);
    expect(await documentRevision(api, prod.id)).toBeGreaterThan(before.prod);
    const events = await webhookEventsOf(api, dev.id, 'FLAG_UPDATED');
    expect(events.at(-1)).toMatchObject({ previous_state: null, new_state: { feature: { id: r.body.id, name: 'checkout_colour' }, enabled: true, feature_state_value: 42 }, changed_by: 'admin@example.com' });
  });

  test('createFeature in a project with a v2 environment gives the feature its initial live version there, so SDKs serve it', async () => {
    const v2Project = await createProject(api, 'Versioned');
    const v2 = await createEnvironment(api, v2Project.id, 'Versioned prod');
    const v1 = await createEnvironment(api, v2Project.id, 'Versioned dev');
    await enableV2(api, v2.id);
    const r = await api.op('createFeature', { params: { project_pk: v2Project.id }, body: { name: 'fresh_on_v2', initial_value: 'blue', default_enabled: true } });
    expect(r.status).toBe(201);
    const versions = await api.op('listFeatureVersions', { params: { environment_pk: v2.id, feature_pk: r.body.id } });
    expect(versions.body.results.map((v: { is_live: boolean; published: boolean }) => [v.published, v.is_live])).toEqual([[true, true]]);
    expect((await api.op('listFeatureVersions', { params: { environment_pk: v1.id, feature_pk: r.body.id } })).body).toMatchObject({ count: 0, results: [] });
    const flags = await api.op('getSdkFlags', { auth: '', headers: { 'x-environment-key': v2.api_key } });
    expect(flags.body.map((f: { feature: { name: string }; enabled: boolean; feature_state_value: unknown }) => [f.feature.name, f.enabled, f.feature_state_value])).toEqual([['fresh_on_v2', true, 'blue']]);

    // The list shows the live version's state and counts only its overrides: not the first row, not drafts.
    const segment = await api.op('createSegment', { params: { project_pk: v2Project.id }, body: { name: 'beta', rules: [{ type: 'ALL', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: 'beta' }] }] } });
    const published = await api.op('createFeatureVersion', {
      params: { environment_pk: v2.id, feature_pk: r.body.id },
      body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: { type: 'unicode', string_value: 'red' } }] },
    });
    expect(published.status).toBe(201);
    const draft = await api.op('createFeatureVersion', {
      params: { environment_pk: v2.id, feature_pk: r.body.id },
      body: { feature_states_to_create: [{ feature_segment: { segment: segment.body.id }, enabled: true }] },
    });
    expect(draft.status).toBe(201);
    const listed = await api.op('listFeatures', { params: { project_pk: v2Project.id }, query: { environment: v2.id } });
    expect(listed.body.results.map((f: any) => [f.name, f.environment_feature_state.enabled, f.environment_feature_state.feature_state_value, f.num_segment_overrides])).toEqual([['fresh_on_v2', false, 'red', 0]]);
  });

  test('createFeature defaults to a disabled STANDARD feature with no value', async () => {
    const f = await createFeature(api, project.id, 'plain');
    expect(f).toMatchObject({ type: 'STANDARD', default_enabled: false, initial_value: null, multivariate_options: [], description: null });
    expect(await environmentDefaultState(api, dev.api_key, f.id)).toMatchObject({ enabled: false, feature_state_value: null });
    const typed = await createFeature(api, project.id, 'typed_bool', { initial_value: false });
    expect(typed.initial_value).toBe('false');
    expect((await environmentDefaultState(api, prod.api_key, typed.id)).feature_state_value).toBe(false);
  });

  test('createFeature refuses bad input with 400 naming the field and writes nothing', async () => {
    await createFeature(api, project.id, 'unique_name');
    const count = await featureCount();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'UNIQUE_NAME' }, 'body/name'],
      [{ name: '   ' }, 'body/name'],
      [{}, 'body/name'],
      [{ name: 'x1', default_enabled: 'maybe' }, 'body/default_enabled'],
      [{ name: 'x2', initial_value: { nested: true } }, 'body/initial_value'],
      [{ name: 'x3', type: 'FANCY' }, 'body/type'],
      [{ name: 'x4', multivariate_options: [{ string_value: 'a', default_percentage_allocation: 60 }, { string_value: 'b', default_percentage_allocation: 50 }] }, 'body/multivariate_options'],
      [{ name: 'x5', multivariate_options: [{ type: 'int', integer_value: 'seven' }] }, 'body/multivariate_options/0/integer_value'],
      [{ name: 'x6', multivariate_options: [{ string_value: 'a', default_percentage_allocation: 101 }] }, 'body/multivariate_options/0/default_percentage_allocation'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createFeature', { params: { project_pk: project.id }, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect(await featureCount()).toBe(count);
  });

  test('createFeature needs CREATE_FEATURE: 403 for a viewer, 404 for a member without grants and another tenant, 401 without credentials', async () => {
    const body = { name: 'denied' };
    expect((await api.op('createFeature', { params: { project_pk: project.id }, body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createFeature', { params: { project_pk: project.id }, body, auth: member.auth })).status).toBe(404);
    expect((await api.op('createFeature', { params: { project_pk: project.id }, body, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('createFeature', { params: { project_pk: project.id }, body, auth: '' })).status).toBe(401);
    const creator = await addMember(api, 'creator@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: creator.id, permissions: ['VIEW_PROJECT', 'CREATE_FEATURE'] } });
    expect((await api.op('createFeature', { params: { project_pk: project.id }, body: { name: 'by_creator' }, auth: creator.auth })).status).toBe(201);
  });

  test('listFeatures pages, searches, sorts and filters archived features', async () => {
    const p = await createProject(api, 'Listing');
    for (const name of ['beta', 'alpha', 'gamma_ray']) await createFeature(api, p.id, name);
    await createFeature(api, p.id, 'archived_one', { is_archived: true });
    const all = await api.op('listFeatures', { params: { project_pk: p.id } });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ count: 4, next: null, previous: null });
    expect(all.body.results.map((f: { name: string }) => f.name)).toEqual(['beta', 'alpha', 'gamma_ray', 'archived_one']);
    const paged = await api.op('listFeatures', { params: { project_pk: p.id }, query: { page_size: 2, sort_field: 'name', sort_direction: 'DESC' } });
    expect(paged.body.count).toBe(4);
    expect(paged.body.results.map((f: { name: string }) => f.name)).toEqual(['gamma_ray', 'beta']);
    expect(paged.body.next).toContain('page=2');
    expect((await api.op('listFeatures', { params: { project_pk: p.id }, query: { search: 'A_R' } })).body.results.map((f: { name: string }) => f.name)).toEqual(['gamma_ray']);
    expect((await api.op('listFeatures', { params: { project_pk: p.id }, query: { is_archived: true } })).body.results.map((f: { name: string }) => f.name)).toEqual(['archived_one']);
    expect((await api.op('listFeatures', { params: { project_pk: p.id }, query: { is_archived: false } })).body.count).toBe(3);
  });

  test('listFeatures with an environment shows each feature’s state there and its override counts', async () => {
    const f = await createFeature(api, project.id, 'with_overrides', { initial_value: 'hello', default_enabled: true });
    await insertFeatureSegment(api, { projectId: project.id, featureId: f.id, environmentId: dev.id });
    const fseg = (await api.testDb.db.kysely.selectFrom('feature_segments').select('id').where('feature_id', '=', f.id).executeTakeFirstOrThrow()).id;
    expect((await api.op('createFeatureState', { body: { feature: f.id, environment: dev.id, feature_segment: fseg, enabled: true } })).status).toBe(201);
    const r = await api.op('listFeatures', { params: { project_pk: project.id }, query: { environment: dev.id, search: 'with_overrides' } });
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ name: 'with_overrides', num_segment_overrides: 1, num_identity_overrides: 0, environment_feature_state: { enabled: true, feature_state_value: 'hello', environment: dev.id, feature: f.id } });
    const foreignEnv = await createEnvironment(api, other.id, 'Elsewhere');
    const bad = await api.op('listFeatures', { params: { project_pk: project.id }, query: { environment: foreignEnv.id } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('querystring/environment');
  });

  test('listFeatures answers viewers; members without grants and other tenants get 404, anonymous 401', async () => {
    expect((await api.op('listFeatures', { params: { project_pk: project.id }, auth: viewer.auth })).status).toBe(200);
    expect((await api.op('listFeatures', { params: { project_pk: project.id }, auth: member.auth })).status).toBe(404);
    expect((await api.op('listFeatures', { params: { project_pk: project.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listFeatures', { params: { project_pk: project.id }, auth: '' })).status).toBe(401);
  });

  test('getFeature answers viewers and is 404 through another project, for other tenants and members without grants', async () => {
    const f = await createFeature(api, project.id, 'gettable');
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id }, auth: viewer.auth })).body).toMatchObject({ id: f.id, uuid: f.uuid, name: 'gettable' });
    expect((await api.op('getFeature', { params: { project_pk: other.id, id: f.id } })).status).toBe(404);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: 999999 } })).status).toBe(404);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id }, auth: member.auth })).status).toBe(404);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id }, auth: '' })).status).toBe(401);
  });

  test('updateFeature replaces settings, keeps initial value and default, audits and bumps documents', async () => {
    const f = await createFeature(api, project.id, 'to_rename', { initial_value: 'x', default_enabled: true });
    const before = await documentRevision(api, prod.id);
    const r = await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'renamed', description: 'now described', is_server_key_only: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'renamed', description: 'now described', is_server_key_only: true, initial_value: 'x', default_enabled: true });
    expect(await auditLogsOf(api, 'FEATURE', f.id)).toEqual(['New Flag / Remote Config created: to_rename', 'Flag / Remote Config updated: renamed']);
    expect(await documentRevision(api, prod.id)).toBe(before + 1);
  });

  test('updateFeature refuses a missing or duplicate name (400), viewers (403) and other tenants (404)', async () => {
    const f = await createFeature(api, project.id, 'stays');
    await createFeature(api, project.id, 'taken');
    const missing = await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { description: 'no name' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/name');
    const dup = await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'Taken' } });
    expect(dup.status).toBe(400);
    expect(dup.body.details.issues[0].path).toBe('body/name');
    expect((await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'stays' } })).status).toBe(200);
    expect((await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'mine' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'mine' }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('updateFeature', { params: { project_pk: project.id, id: f.id }, body: { name: 'mine' }, auth: '' })).status).toBe(401);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id } })).body.name).toBe('stays');
  });

  test('partialUpdateFeature changes only what is given, for EDIT_FEATURE holders', async () => {
    const f = await createFeature(api, project.id, 'patchable', { description: 'keep me' });
    const r = await api.op('partialUpdateFeature', { params: { project_pk: project.id, id: f.id }, body: { is_archived: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'patchable', description: 'keep me', is_archived: true });
    expect((await auditLogsOf(api, 'FEATURE', f.id)).at(-1)).toBe('Flag / Remote Config updated: patchable');
    const wrongType = await api.op('partialUpdateFeature', { params: { project_pk: project.id, id: f.id }, body: { is_archived: 'often' } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.details.issues[0].path).toBe('body/is_archived');
    expect((await api.op('partialUpdateFeature', { params: { project_pk: project.id, id: f.id }, body: { description: 'x' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateFeature', { params: { project_pk: project.id, id: f.id }, body: { description: 'x' }, auth: rival.admin.auth })).status).toBe(404);
    const editor = await addMember(api, 'editor@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: editor.id, permissions: ['VIEW_PROJECT', 'EDIT_FEATURE'] } });
    expect((await api.op('partialUpdateFeature', { params: { project_pk: project.id, id: f.id }, body: { description: 'edited' }, auth: editor.auth })).body.description).toBe('edited');
  });

  test('deleteFeature removes it with its states, sends FLAG_DELETED per environment, audits; 403 for viewers, 404 for other tenants', async () => {
    const f = await createFeature(api, project.id, 'doomed', { initial_value: 'bye', default_enabled: true });
    expect((await api.op('deleteFeature', { params: { project_pk: project.id, id: f.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteFeature', { params: { project_pk: project.id, id: f.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteFeature', { params: { project_pk: project.id, id: f.id }, auth: '' })).status).toBe(401);
    const before = await documentRevision(api, dev.id);
    expect((await api.op('deleteFeature', { params: { project_pk: project.id, id: f.id } })).status).toBe(204);
    expect((await api.op('getFeature', { params: { project_pk: project.id, id: f.id } })).status).toBe(404);
    const states = await api.testDb.db.kysely.selectFrom('feature_states').select('id').where('feature_id', '=', f.id).execute();
    expect(states).toEqual([]);
    expect(await auditLogsOf(api, 'FEATURE', f.id)).toEqual(['New Flag / Remote Config created: doomed', 'Flag / Remote Config Deleted: doomed']);
    expect(await documentRevision(api, dev.id)).toBe(before + 1);
    const deleted = await webhookEventsOf(api, dev.id, 'FLAG_DELETED');
    expect(deleted.at(-1)).toMatchObject({ new_state: null, previous_state: { feature: { id: f.id, name: 'doomed' }, enabled: true, feature_state_value: 'bye' } });
    expect((await api.op('deleteFeature', { params: { project_pk: project.id, id: f.id } })).status).toBe(404);
  });
});

describe.each(DIALECTS)('multivariate option routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  let feature: { id: number };

  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    feature = await createFeature(api, project.id, 'variants', { initial_value: 'control', type: 'MULTIVARIATE' });
  });
  afterAll(() => api.stop());

  const params = (id?: number) => ({ project_pk: project.id, feature_pk: feature.id, ...(id ? { id } : {}) });

  test('createFeatureMvOption adds the option and its default share to every environment default, audited and bumped', async () => {
    const before = await documentRevision(api, env.id);
    const r = await api.op('createFeatureMvOption', { params: params(), body: { type: 'bool', boolean_value: false, default_percentage_allocation: 40 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: 'bool', boolean_value: false, string_value: null, integer_value: null, default_percentage_allocation: 40, feature: feature.id });
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    expect(state.multivariate_feature_state_values).toEqual([expect.objectContaining({ multivariate_feature_option: r.body.id, percentage_allocation: 40 })]);
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect((await auditLogsOf(api, 'FEATURE', feature.id)).at(-1)).toBe("Multivariate option added to feature 'variants'.");
  });

  test('createFeatureMvOption refuses allocations over 100 (per feature and per environment state) and bad values, writing nothing', async () => {
    const options = async () => (await api.op('listFeatureMvOptions', { params: params() })).body.count;
    const count = await options();
    const over = await api.op('createFeatureMvOption', { params: params(), body: { string_value: 'big', default_percentage_allocation: 70 } });
    expect(over.status).toBe(400);
    expect(over.body.details.issues[0].path).toBe('body/default_percentage_allocation');
    // Raise the environment's share by hand so that the state, not the feature's defaults, is full.
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const raised = state.multivariate_feature_state_values.map((v) => ({ multivariate_feature_option: v.multivariate_feature_option, percentage_allocation: 90 }));
    expect((await api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: env.api_key, id: state.id }, body: { multivariate_feature_state_values: raised } })).status).toBe(200);
    const full = await api.op('createFeatureMvOption', { params: params(), body: { string_value: 'small', default_percentage_allocation: 20 } });
    expect(full.status).toBe(400);
    expect(full.body.details.issues[0].path).toBe('body/default_percentage_allocation');
    const badValue = await api.op('createFeatureMvOption', { params: params(), body: { type: 'int', integer_value: 1.5, default_percentage_allocation: 0 } });
    expect(badValue.status).toBe(400);
    expect(badValue.body.details.issues[0].path).toBe('body/integer_value');
    const wrongFeature = await api.op('createFeatureMvOption', { params: params(), body: { string_value: 'x', default_percentage_allocation: 0, feature: feature.id + 1000 } });
    expect(wrongFeature.status).toBe(400);
    expect(wrongFeature.body.details.issues[0].path).toBe('body/feature');
    expect(await options()).toBe(count);
    expect((await api.op('createFeatureMvOption', { params: params(), body: { string_value: 'zero', default_percentage_allocation: 0 } })).status).toBe(201);
  });

  test('createFeatureMvOption needs CREATE_FEATURE: 403 for viewers, 404 for other tenants, 401 anonymous', async () => {
    const body = { string_value: 'nope', default_percentage_allocation: 0 };
    expect((await api.op('createFeatureMvOption', { params: params(), body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createFeatureMvOption', { params: params(), body, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('createFeatureMvOption', { params: params(), body, auth: '' })).status).toBe(401);
    expect((await api.op('createFeatureMvOption', { params: { project_pk: project.id, feature_pk: 999999 }, body })).status).toBe(404);
  });

  test('listFeatureMvOptions and getFeatureMvOption answer viewers and are 404 for other tenants', async () => {
    const list = await api.op('listFeatureMvOptions', { params: params(), auth: viewer.auth, query: { page_size: 1 } });
    expect(list.status).toBe(200);
    expect(list.body.results).toHaveLength(1);
    expect(list.body.count).toBeGreaterThan(1);
    const id = list.body.results[0].id;
    expect((await api.op('getFeatureMvOption', { params: params(id), auth: viewer.auth })).body).toMatchObject({ id, feature: feature.id });
    expect((await api.op('listFeatureMvOptions', { params: params(), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listFeatureMvOptions', { params: params(), auth: '' })).status).toBe(401);
    expect((await api.op('getFeatureMvOption', { params: params(id), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getFeatureMvOption', { params: params(999999) })).status).toBe(404);
  });

  test('updateFeatureMvOption replaces the value and allocation; partialUpdateFeatureMvOption changes only what is given', async () => {
    const o = await createMvOption(api, project.id, feature.id, { string_value: 'first', default_percentage_allocation: 0 });
    const before = await documentRevision(api, env.id);
    const put = await api.op('updateFeatureMvOption', { params: params(o.id), body: { type: 'int', integer_value: 7, default_percentage_allocation: 0 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ type: 'int', integer_value: 7, string_value: null });
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect((await auditLogsOf(api, 'FEATURE', feature.id)).at(-1)).toBe("Multivariate option updated for feature 'variants'.");
    const patch = await api.op('partialUpdateFeatureMvOption', { params: params(o.id), body: { integer_value: 8 } });
    expect(patch.body).toMatchObject({ type: 'int', integer_value: 8, default_percentage_allocation: 0 });
    const over = await api.op('partialUpdateFeatureMvOption', { params: params(o.id), body: { default_percentage_allocation: 100 } });
    expect(over.status).toBe(400);
    expect(over.body.details.issues[0].path).toBe('body/default_percentage_allocation');
    const bad = await api.op('updateFeatureMvOption', { params: params(o.id), body: { type: 'bool', boolean_value: 'yes' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/boolean_value');
    expect((await api.op('updateFeatureMvOption', { params: params(o.id), body: { string_value: 'x' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateFeatureMvOption', { params: params(o.id), body: { string_value: 'x' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateFeatureMvOption', { params: params(o.id), body: { string_value: 'x' }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('partialUpdateFeatureMvOption', { params: params(o.id), body: { string_value: 'x' }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getFeatureMvOption', { params: params(o.id) })).body.integer_value).toBe(8);
  });

  test('deleteFeatureMvOption removes the option and its shares, audited; 403 for viewers, 404 for other tenants', async () => {
    const o = await createMvOption(api, project.id, feature.id, { string_value: 'temporary', default_percentage_allocation: 0 });
    expect((await environmentDefaultState(api, env.api_key, feature.id)).multivariate_feature_state_values.map((v) => v.multivariate_feature_option)).toContain(o.id);
    expect((await api.op('deleteFeatureMvOption', { params: params(o.id), auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteFeatureMvOption', { params: params(o.id), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteFeatureMvOption', { params: params(o.id), auth: '' })).status).toBe(401);
    expect((await api.op('deleteFeatureMvOption', { params: params(o.id) })).status).toBe(204);
    expect((await api.op('getFeatureMvOption', { params: params(o.id) })).status).toBe(404);
    expect((await environmentDefaultState(api, env.api_key, feature.id)).multivariate_feature_state_values.map((v) => v.multivariate_feature_option)).not.toContain(o.id);
    expect((await auditLogsOf(api, 'FEATURE', feature.id)).at(-1)).toBe("Multivariate option removed from feature 'variants'.");
  });
});
