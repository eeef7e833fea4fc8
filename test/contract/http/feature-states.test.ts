import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { auditLogsOf, createFeature, documentRevision, environmentDefaultState, insertFeatureSegment, webhookEventsOf } from '../../support/flag-fixtures.js';

describe.each(DIALECTS)('feature state routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let overrider: TestUser;
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  let staging: { id: number; api_key: string };
  let feature: { id: number };
  let options: { id: number }[];
  let identityStateId: number;

  const stateCount = async () => Number((await api.testDb.db.kysely.selectFrom('feature_states').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const newOverride = async (segmentName: string, featureId = feature.id, environmentId = env.id) => (await insertFeatureSegment(api, { projectId: project.id, featureId, environmentId, segmentName })).featureSegmentId;

  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    overrider = await addMember(api, 'overrider@example.com');
    member = await addMember(api, 'member@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    staging = await createEnvironment(api, project.id, 'Staging');
    for (const u of [viewer, overrider]) await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: u.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: overrider.id, permissions: ['VIEW_ENVIRONMENT', 'MANAGE_SEGMENT_OVERRIDES'] } });
    await api.op('createEnvironmentWebhook', { params: { api_key: env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
    const f = await createFeature(api, project.id, 'banner', {
      initial_value: 'blue',
      default_enabled: true,
      multivariate_options: [
        { string_value: 'red', default_percentage_allocation: 30 },
        { string_value: 'green', default_percentage_allocation: 20 },
      ],
    });
    feature = f;
    options = f.multivariate_options;
    // An identity override written by SQL: the identities module owns those; these routes must not show it.
    const fx = eventsFixtures(api);
    const identity = await fx.identity(env.id, 'user-1');
    identityStateId = await fx.featureState({ featureId: feature.id, environmentId: env.id, enabled: true, value: 'gold', identityId: identity });
  });
  afterAll(() => api.stop());

  test('createFeatureState creates a segment override with its value and shares, audited, evented and bumped', async () => {
    const fseg = await newOverride('beta users');
    const before = await documentRevision(api, env.id);
    const r = await api.op('createFeatureState', {
      body: {
        feature: feature.id,
        environment: env.id,
        feature_segment: fseg,
        enabled: false,
        feature_state_value: { type: 'int', integer_value: 0 },
        multivariate_feature_state_values: [{ multivariate_feature_option: options[0]!.id, percentage_allocation: 100 }],
      },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      feature: feature.id,
      environment: env.id,
      feature_segment: fseg,
      identity: null,
      enabled: false,
      feature_state_value: { type: 'int', integer_value: 0, string_value: null, boolean_value: null },
      multivariate_feature_state_values: [{ multivariate_feature_option: options[0]!.id, percentage_allocation: 100 }],
      change_request: null,
    });
    expect(await auditLogsOf(api, 'FEATURE_STATE', r.body.id)).toEqual(["Flag state / Remote config value updated for feature 'banner' and segment 'beta users'"]);
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect((await webhookEventsOf(api, env.id, 'FLAG_UPDATED')).at(-1)).toMatchObject({
      previous_state: null,
      new_state: { feature_segment: { segment: { name: 'beta users' } }, enabled: false, feature_state_value: 0 },
    });
  });

  test('createFeatureState refuses bad references, a second state for a feature segment and shares over 100, writing nothing', async () => {
    const fseg = await newOverride('refusals');
    const other = await createFeature(api, project.id, 'other_feature', { multivariate_options: [{ string_value: 'x', default_percentage_allocation: 10 }] });
    const foreignProject = await createProject(api, 'Foreign');
    const foreignFeature = await createFeature(api, foreignProject.id, 'foreign');
    const staged = await newOverride('staged', feature.id, staging.id);
    const count = await stateCount();
    const base = { feature: feature.id, environment: env.id, feature_segment: fseg };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, feature_segment: 999999 }, 'body/feature_segment'],
      [{ ...base, feature_segment: staged }, 'body/feature_segment'],
      [{ ...base, feature: other.id }, 'body/feature_segment'],
      [{ ...base, feature: foreignFeature.id }, 'body/feature'],
      [{ ...base, environment: 999999 }, 'body/environment'],
      [{ feature: feature.id, environment: env.id }, 'body/feature_segment'],
      [{ ...base, enabled: 'sometimes' }, 'body/enabled'],
      [{ ...base, feature_state_value: { type: 'int', integer_value: 'ten' } }, 'body/feature_state_value/integer_value'],
      [{ ...base, multivariate_feature_state_values: [{ multivariate_feature_option: options[0]!.id, percentage_allocation: 60 }, { multivariate_feature_option: options[1]!.id, percentage_allocation: 50 }] }, 'body/multivariate_feature_state_values'],
      [{ ...base, multivariate_feature_state_values: [{ multivariate_feature_option: other.multivariate_options[0]!.id, percentage_allocation: 10 }] }, 'body/multivariate_feature_state_values/0/multivariate_feature_option'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createFeatureState', { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect(await stateCount()).toBe(count);
    expect((await api.op('createFeatureState', { body: base })).status).toBe(201);
    const again = await api.op('createFeatureState', { body: base });
    expect(again.status).toBe(400);
    expect(again.body.details.issues[0].path).toBe('body/feature_segment');
  });

  test('createFeatureState needs UPDATE_FEATURE_STATE or MANAGE_SEGMENT_OVERRIDES; another tenant’s environment is a bad field', async () => {
    const body = { feature: feature.id, environment: env.id, feature_segment: await newOverride('permissions') };
    expect((await api.op('createFeatureState', { body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createFeatureState', { body, auth: '' })).status).toBe(401);
    const foreign = await api.op('createFeatureState', { body, auth: rival.admin.auth });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details.issues[0].path).toBe('body/environment');
    const hidden = await api.op('createFeatureState', { body, auth: member.auth });
    expect(hidden.status).toBe(400);
    expect(hidden.body.details.issues[0].path).toBe('body/environment');
    expect((await api.op('createFeatureState', { body, auth: overrider.auth })).status).toBe(201);
  });

  test('listFeatureStates lists defaults and segment overrides of an environment, never identity overrides', async () => {
    const r = await api.op('listFeatureStates', { query: { environment: env.id, feature: feature.id }, auth: viewer.auth });
    expect(r.status).toBe(200);
    const ids = r.body.results.map((s: { id: number }) => s.id);
    expect(ids).not.toContain(identityStateId);
    expect(r.body.count).toBe(r.body.results.length);
    expect(r.body.results.filter((s: { feature_segment: number | null }) => s.feature_segment === null)).toEqual([
      expect.objectContaining({ feature: feature.id, enabled: true, feature_state_value: { type: 'unicode', string_value: 'blue', integer_value: null, boolean_value: null } }),
    ]);
    expect(r.body.results.length).toBeGreaterThan(1);
    const fseg = r.body.results.find((s: { feature_segment: number | null }) => s.feature_segment !== null).feature_segment;
    expect((await api.op('listFeatureStates', { query: { environment: env.id, feature_segment: fseg } })).body.count).toBe(1);
    const paged = await api.op('listFeatureStates', { query: { environment: env.id, page_size: 1 } });
    expect(paged.body.results).toHaveLength(1);
    expect(paged.body.next).toContain('page=2');
  });

  test('listFeatureStates requires an environment (400) the caller can see (404), and credentials (401)', async () => {
    const missing = await api.op('listFeatureStates', {});
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('querystring/environment');
    expect((await api.op('listFeatureStates', { query: { environment: env.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listFeatureStates', { query: { environment: env.id }, auth: member.auth })).status).toBe(404);
    expect((await api.op('listFeatureStates', { query: { environment: staging.id }, auth: viewer.auth })).status).toBe(404);
    expect((await api.op('listFeatureStates', { query: { environment: env.id }, auth: '' })).status).toBe(401);
  });

  test('getFeatureState answers viewers; identity overrides, other tenants and unknown ids are 404', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    expect((await api.op('getFeatureState', { params: { id: state.id }, auth: viewer.auth })).body).toMatchObject({ id: state.id, feature_state_value: { type: 'unicode', string_value: 'blue' } });
    expect((await api.op('getFeatureState', { params: { id: identityStateId } })).status).toBe(404);
    expect((await api.op('getFeatureState', { params: { id: state.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getFeatureState', { params: { id: 999999 } })).status).toBe(404);
    expect((await api.op('getFeatureState', { params: { id: state.id }, auth: '' })).status).toBe(401);
  });

  test('updateFeatureState saves the environment default: value, enabled and shares; audited, evented and bumped', async () => {
    const f = await createFeature(api, project.id, 'saved_flag', { initial_value: 'a', multivariate_options: [{ string_value: 'v1', default_percentage_allocation: 10 }] });
    const state = await environmentDefaultState(api, env.api_key, f.id);
    const before = await documentRevision(api, env.id);
    const r = await api.op('updateFeatureState', {
      params: { id: state.id },
      body: { feature: f.id, environment: env.id, enabled: true, feature_state_value: { type: 'bool', boolean_value: false }, multivariate_feature_state_values: [{ multivariate_feature_option: f.multivariate_options[0]!.id, percentage_allocation: 55 }] },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ enabled: true, feature_state_value: { type: 'bool', boolean_value: false }, multivariate_feature_state_values: [{ multivariate_feature_option: f.multivariate_options[0]!.id, percentage_allocation: 55 }], version: 2 });
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect(await auditLogsOf(api, 'FEATURE_STATE', state.id)).toEqual(['Flag state / Remote Config value updated for feature: saved_flag']);
    expect((await webhookEventsOf(api, env.id, 'FLAG_UPDATED')).at(-1)).toMatchObject({ previous_state: { enabled: false, feature_state_value: 'a' }, new_state: { enabled: true, feature_state_value: false } });
    // Leaving an option out of the list removes its share.
    expect((await api.op('updateFeatureState', { params: { id: state.id }, body: { feature: f.id, environment: env.id, multivariate_feature_state_values: [] } })).body.multivariate_feature_state_values).toEqual([]);
  });

  test('updateFeatureState refuses missing or changed references, shares over 100 and bad values, writing nothing', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const base = { feature: feature.id, environment: env.id };
    const cases: [Record<string, unknown>, string][] = [
      [{ environment: env.id, enabled: false }, 'body/feature'],
      [{ feature: feature.id, enabled: false }, 'body/environment'],
      [{ ...base, environment: staging.id }, 'body/environment'],
      [{ ...base, feature_segment: 12345 }, 'body/feature_segment'],
      [{ ...base, feature_state_value: { type: 'unicode', string_value: 12 } }, 'body/feature_state_value/string_value'],
      [{ ...base, multivariate_feature_state_values: [{ multivariate_feature_option: options[0]!.id, percentage_allocation: 80 }, { multivariate_feature_option: options[1]!.id, percentage_allocation: 30 }] }, 'body/multivariate_feature_state_values'],
      [{ ...base, multivariate_feature_state_values: [{ multivariate_feature_option: options[0]!.id, percentage_allocation: 10 }, { multivariate_feature_option: options[0]!.id, percentage_allocation: 10 }] }, 'body/multivariate_feature_state_values/1/multivariate_feature_option'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('updateFeatureState', { params: { id: state.id }, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect(await environmentDefaultState(api, env.api_key, feature.id)).toEqual(state);
  });

  test('updateFeatureState needs UPDATE_FEATURE_STATE on an environment default: 403 for viewers and segment-override managers, 404 for other tenants', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const body = { feature: feature.id, environment: env.id, enabled: false };
    expect((await api.op('updateFeatureState', { params: { id: state.id }, body, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateFeatureState', { params: { id: state.id }, body, auth: overrider.auth })).status).toBe(403);
    expect((await api.op('updateFeatureState', { params: { id: state.id }, body, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('updateFeatureState', { params: { id: state.id }, body, auth: '' })).status).toBe(401);
    expect((await api.op('updateFeatureState', { params: { id: identityStateId }, body })).status).toBe(404);
  });

  test('partialUpdateFeatureState changes only what is given; segment-override managers may change overrides', async () => {
    const fseg = await newOverride('patched');
    const created = await api.op('createFeatureState', { body: { feature: feature.id, environment: env.id, feature_segment: fseg, enabled: false, feature_state_value: { type: 'unicode', string_value: 'keep' } } });
    const r = await api.op('partialUpdateFeatureState', { params: { id: created.body.id }, body: { enabled: true }, auth: overrider.auth });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ enabled: true, feature_state_value: { type: 'unicode', string_value: 'keep' } });
    const bad = await api.op('partialUpdateFeatureState', { params: { id: created.body.id }, body: { feature_state_value: { boolean_value: 'no' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/feature_state_value/boolean_value');
    expect((await api.op('partialUpdateFeatureState', { params: { id: created.body.id }, body: { enabled: false }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateFeatureState', { params: { id: created.body.id }, body: { enabled: false }, auth: rival.admin.auth })).status).toBe(404);
    expect(await auditLogsOf(api, 'FEATURE_STATE', created.body.id)).toEqual([
      "Flag state / Remote config value updated for feature 'banner' and segment 'patched'",
      "Flag state / Remote config value updated for feature 'banner' and segment 'patched'",
    ]);
  });

  test('feature-state saves still change the live state in place on a v2-versioned environment', async () => {
    const v2 = await createEnvironment(api, project.id, 'Versioned');
    await api.testDb.db.kysely.updateTable('environments').set({ use_v2_feature_versioning: true }).where('id', '=', v2.id).execute();
    const state = await environmentDefaultState(api, v2.api_key, feature.id);
    expect((await api.op('partialUpdateFeatureState', { params: { id: state.id }, body: { enabled: false } })).body.enabled).toBe(false);
    expect((await api.op('partialUpdateEnvironmentFeatureState', { params: { environment_api_key: v2.api_key, id: state.id }, body: { feature_state_value: 'v2' } })).body.feature_state_value).toBe('v2');
    expect(await environmentDefaultState(api, v2.api_key, feature.id)).toMatchObject({ id: state.id, enabled: false, feature_state_value: 'v2' });
  });

  test('deleteFeatureState deletes a segment override (audited, FLAG_DELETED, bumped) and refuses an environment default with 400', async () => {
    const fseg = await newOverride('short lived');
    const created = await api.op('createFeatureState', { body: { feature: feature.id, environment: env.id, feature_segment: fseg, enabled: true } });
    expect((await api.op('deleteFeatureState', { params: { id: created.body.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteFeatureState', { params: { id: created.body.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteFeatureState', { params: { id: created.body.id }, auth: '' })).status).toBe(401);
    const before = await documentRevision(api, env.id);
    expect((await api.op('deleteFeatureState', { params: { id: created.body.id } })).status).toBe(204);
    expect((await api.op('getFeatureState', { params: { id: created.body.id } })).status).toBe(404);
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect((await auditLogsOf(api, 'FEATURE_STATE', created.body.id)).at(-1)).toBe("Flag state / Remote config value deleted for feature 'banner' and segment 'short lived'");
    expect((await webhookEventsOf(api, env.id, 'FLAG_DELETED')).at(-1)).toMatchObject({ new_state: null, previous_state: { feature_segment: { segment: { name: 'short lived' } } } });
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const refused = await api.op('deleteFeatureState', { params: { id: state.id } });
    expect(refused.status).toBe(400);
    expect(refused.body.details.issues[0].path).toBe('params/id');
    expect((await api.op('getFeatureState', { params: { id: state.id } })).status).toBe(200);
  });
});

describe.each(DIALECTS)('environment feature state routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  let feature: { id: number; multivariate_options: { id: number }[] };

  const envParams = (id?: number) => ({ environment_api_key: env.api_key, ...(id ? { id } : {}) });

  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    feature = await createFeature(api, project.id, 'legacy', { initial_value: 'one', multivariate_options: [{ string_value: 'two', default_percentage_allocation: 25 }] });
    await createFeature(api, project.id, 'second');
  });
  afterAll(() => api.stop());

  test('listEnvironmentFeatureStates lists only environment defaults with plain values, filtered by feature or name', async () => {
    const fseg = (await insertFeatureSegment(api, { projectId: project.id, featureId: feature.id, environmentId: env.id })).featureSegmentId;
    expect((await api.op('createFeatureState', { body: { feature: feature.id, environment: env.id, feature_segment: fseg } })).status).toBe(201);
    const all = await api.op('listEnvironmentFeatureStates', { params: envParams(), auth: viewer.auth });
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(2);
    expect(all.body.results.every((s: { feature_segment: number | null; identity: number | null }) => s.feature_segment === null && s.identity === null)).toBe(true);
    const one = await api.op('listEnvironmentFeatureStates', { params: envParams(), query: { feature: feature.id } });
    expect(one.body.results).toEqual([expect.objectContaining({ feature: feature.id, feature_state_value: 'one', enabled: false })]);
    expect((await api.op('listEnvironmentFeatureStates', { params: envParams(), query: { feature_name: 'second' } })).body.count).toBe(1);
    expect((await api.op('listEnvironmentFeatureStates', { params: envParams(), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listEnvironmentFeatureStates', { params: { environment_api_key: 'no-such-key' } })).status).toBe(404);
    expect((await api.op('listEnvironmentFeatureStates', { params: envParams(), auth: '' })).status).toBe(401);
  });

  test('getEnvironmentFeatureState answers viewers; an override or another environment’s state is 404', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    expect((await api.op('getEnvironmentFeatureState', { params: envParams(state.id), auth: viewer.auth })).body).toMatchObject({ id: state.id, feature_state_value: 'one' });
    const otherEnv = await createEnvironment(api, project.id, 'Other');
    expect((await api.op('getEnvironmentFeatureState', { params: { environment_api_key: otherEnv.api_key, id: state.id } })).status).toBe(404);
    const override = (await api.op('listFeatureStates', { query: { environment: env.id, feature: feature.id } })).body.results.find((s: { feature_segment: number | null }) => s.feature_segment !== null);
    expect((await api.op('getEnvironmentFeatureState', { params: envParams(override.id) })).status).toBe(404);
    expect((await api.op('getEnvironmentFeatureState', { params: envParams(state.id), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getEnvironmentFeatureState', { params: envParams(state.id), auth: '' })).status).toBe(401);
  });

  test('updateEnvironmentFeatureState types raw values by inference and edits shares; audited and bumped', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const before = await documentRevision(api, env.id);
    const r = await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { feature_state_value: '42', enabled: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ feature_state_value: 42, enabled: true });
    expect(await documentRevision(api, env.id)).toBe(before + 1);
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { feature_state_value: false } })).body).toMatchObject({ feature_state_value: false, enabled: true });
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { feature_state_value: 0 } })).body.feature_state_value).toBe(0);
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { feature_state_value: 'plain text' } })).body.feature_state_value).toBe('plain text');
    const shares = await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { multivariate_feature_state_values: [{ multivariate_feature_option: feature.multivariate_options[0]!.id, percentage_allocation: 70 }] } });
    expect(shares.body.multivariate_feature_state_values).toEqual([expect.objectContaining({ multivariate_feature_option: feature.multivariate_options[0]!.id, percentage_allocation: 70 })]);
    expect((await auditLogsOf(api, 'FEATURE_STATE', state.id)).at(-1)).toBe('Flag state / Remote Config value updated for feature: legacy');
  });

  test('updateEnvironmentFeatureState refuses bad values and shares (400 naming the field), viewers (403) and other tenants (404)', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ feature_state_value: { nested: 1 } }, 'body/feature_state_value'],
      [{ feature_state_value: [1, 2] }, 'body/feature_state_value'],
      [{ enabled: 'perhaps' }, 'body/enabled'],
      [{ feature: feature.id + 1000 }, 'body/feature'],
      [{ multivariate_feature_state_values: [{ multivariate_feature_option: feature.multivariate_options[0]!.id, percentage_allocation: 101 }] }, 'body/multivariate_feature_state_values/0/percentage_allocation'],
      [{ multivariate_feature_state_values: [{ multivariate_feature_option: 999999, percentage_allocation: 1 }] }, 'body/multivariate_feature_state_values/0/multivariate_feature_option'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    expect(await environmentDefaultState(api, env.api_key, feature.id)).toEqual(state);
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: true }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: true }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('updateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: true }, auth: '' })).status).toBe(401);
  });

  test('partialUpdateEnvironmentFeatureState changes only what is given', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const r = await api.op('partialUpdateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: !state.enabled } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ enabled: !state.enabled, feature_state_value: state.feature_state_value, multivariate_feature_state_values: state.multivariate_feature_state_values });
    expect((await api.op('partialUpdateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: true }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('partialUpdateEnvironmentFeatureState', { params: envParams(state.id), body: { enabled: true }, auth: rival.admin.auth })).status).toBe(404);
  });

  test('createEnvironmentFeatureState creates a missing environment default and refuses a second one', async () => {
    // A feature written by SQL has no states: the legacy create fills the gap.
    const bare = await eventsFixtures(api).feature(project.id, 'bare');
    const r = await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: bare, enabled: true, feature_state_value: 'true' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ feature: bare, environment: env.id, enabled: true, feature_state_value: true, feature_segment: null });
    expect(await auditLogsOf(api, 'FEATURE_STATE', r.body.id)).toEqual(['Flag state / Remote Config value updated for feature: bare']);
    const again = await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: bare } });
    expect(again.status).toBe(400);
    expect(again.body.details.issues[0].path).toBe('body/feature');
    const foreign = await createFeature(api, (await createProject(api, 'Foreign')).id, 'foreign');
    const wrong = await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: foreign.id } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.details.issues[0].path).toBe('body/feature');
    expect((await api.op('createEnvironmentFeatureState', { params: envParams(), body: {} })).body.details.issues[0].path).toBe('body/feature');
    expect((await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: bare }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: bare }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('createEnvironmentFeatureState', { params: envParams(), body: { feature: bare }, auth: '' })).status).toBe(401);
  });

  test('deleteEnvironmentFeatureState refuses to delete an environment default (400); viewers get 403, other tenants 404', async () => {
    const state = await environmentDefaultState(api, env.api_key, feature.id);
    const r = await api.op('deleteEnvironmentFeatureState', { params: envParams(state.id) });
    expect(r.status).toBe(400);
    expect(r.body.details.issues[0].path).toBe('params/id');
    expect((await api.op('getEnvironmentFeatureState', { params: envParams(state.id) })).status).toBe(200);
    expect((await api.op('deleteEnvironmentFeatureState', { params: envParams(state.id), auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteEnvironmentFeatureState', { params: envParams(state.id), auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteEnvironmentFeatureState', { params: envParams(state.id), auth: '' })).status).toBe(401);
    expect((await api.op('deleteEnvironmentFeatureState', { params: envParams(999999) })).status).toBe(404);
  });
});
