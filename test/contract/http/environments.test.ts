import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('environment routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let member: TestUser;
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  const k = () => api.testDb.db.kysely;

  /** Features are another module's; these rows stand in for what it writes. */
  async function insertFeature(name: string, initialValue: string | null, defaultEnabled: boolean, mvAllocations: number[] = []): Promise<number> {
    const now = api.clock.now().toISOString();
    const f = await k()
      .insertInto('features')
      .values({ uuid: `uuid-${name}-${dialect}`, project_id: project.id, name, type: mvAllocations.length ? 'MULTIVARIATE' : 'STANDARD', initial_value: initialValue, default_enabled: defaultEnabled, description: null, is_archived: false, is_server_key_only: false, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const [i, pct] of mvAllocations.entries()) {
      await k().insertInto('multivariate_options').values({ uuid: `mv-${name}-${i}-${dialect}`, feature_id: f.id, type: 'unicode', string_value: `v${i}`, integer_value: null, boolean_value: null, default_percentage_allocation: pct }).execute();
    }
    return f.id;
  }

  async function revision(id: number): Promise<number> {
    return (await k().selectFrom('environments').select('document_revision').where('id', '=', id).executeTakeFirstOrThrow()).document_revision;
  }

  beforeAll(async () => {
    await api.start();
    member = await addMember(api, 'member@example.com');
    viewer = await addMember(api, 'viewer@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
  });
  afterAll(() => api.stop());

  test('createEnvironment gives every feature of the project its typed environment default', async () => {
    const number = await insertFeature('number', '42', true);
    const flag = await insertFeature('flag', 'false', false);
    const text = await insertFeature('text', 'hello', true);
    const empty = await insertFeature('empty', null, false);
    const mv = await insertFeature('mv', 'control', true, [30, 20]);

    const r = await api.op('createEnvironment', { body: { name: 'Production', project: project.id, description: 'live traffic' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Production', project: project.id, description: 'live traffic', use_v2_feature_versioning: false, allow_client_traits: true, hide_disabled_flags: null, minimum_change_request_approvals: null });
    expect(r.body.api_key).toMatch(/^[A-Za-z0-9]{22}$/);

    const states = await k().selectFrom('feature_states').selectAll().where('environment_id', '=', r.body.id).orderBy('feature_id').execute();
    const typed = states.map((s) => ({ feature: s.feature_id, enabled: Boolean(s.enabled), type: s.value_type, s: s.string_value, i: s.integer_value === null ? null : Number(s.integer_value), b: s.boolean_value === null ? null : Boolean(s.boolean_value), identity: s.identity_id, segment: s.feature_segment_id, version: s.version }));
    expect(typed).toEqual([
      { feature: number, enabled: true, type: 'int', s: null, i: 42, b: null, identity: null, segment: null, version: 1 },
      { feature: flag, enabled: false, type: 'bool', s: null, i: null, b: false, identity: null, segment: null, version: 1 },
      { feature: text, enabled: true, type: 'unicode', s: 'hello', i: null, b: null, identity: null, segment: null, version: 1 },
      { feature: empty, enabled: false, type: 'unicode', s: null, i: null, b: null, identity: null, segment: null, version: 1 },
      { feature: mv, enabled: true, type: 'unicode', s: 'control', i: null, b: null, identity: null, segment: null, version: 1 },
    ]);
    const mvState = states.find((s) => s.feature_id === mv);
    const allocations = await k().selectFrom('multivariate_feature_state_values').select('percentage_allocation').where('feature_state_id', '=', mvState!.id).orderBy('id').execute();
    expect(allocations.map((a) => Number(a.percentage_allocation))).toEqual([30, 20]);
    const audit = await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'ENVIRONMENT').where('environment_id', '=', r.body.id).execute();
    expect(audit.map((a) => a.log)).toEqual(['New Environment created: Production']);
    expect(await api.built.services.environments.listEnvironmentIdsOfProject(project.id)).toEqual([env.id, r.body.id]);
  });

  test('createEnvironment needs CREATE_ENVIRONMENT (403) and a visible project (400 naming it)', async () => {
    expect((await api.op('createEnvironment', { body: { name: 'Mine', project: project.id }, auth: viewer.auth })).status).toBe(403);
    const foreign = await api.op('createEnvironment', { body: { name: 'Mine', project: project.id }, auth: rival.admin.auth });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details.issues[0].path).toBe('body/project');
    const hidden = await api.op('createEnvironment', { body: { name: 'Mine', project: project.id }, auth: member.auth });
    expect(hidden.status).toBe(400);
    expect(hidden.body.details.issues[0].path).toBe('body/project');
  });

  test('a user with CREATE_ENVIRONMENT creates an environment and becomes its admin', async () => {
    const creator = await addMember(api, 'creator@example.com');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: creator.id, permissions: ['VIEW_PROJECT', 'CREATE_ENVIRONMENT'] } });
    const created = await createEnvironment(api, project.id, 'Staging', creator.auth);
    const r = await api.op('partialUpdateEnvironment', { params: { api_key: created.api_key }, body: { description: 'mine' }, auth: creator.auth });
    expect(r).toMatchObject({ status: 200, body: { description: 'mine' } });
    expect((await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { description: 'not mine' }, auth: creator.auth })).status).toBe(404);
  });

  test('listEnvironments pages the environments the caller can view', async () => {
    const r = await api.op('listEnvironments', { query: { project: project.id } });
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThanOrEqual(2);
    const paged = await api.op('listEnvironments', { query: { project: project.id, page_size: 1 } });
    expect(paged.body.results).toHaveLength(1);
    expect(paged.body.next).toContain('page=2');
    expect((await api.op('listEnvironments', { query: { project: project.id }, auth: viewer.auth })).body.results.map((e: { id: number }) => e.id)).toEqual([env.id]);
    expect((await api.op('listEnvironments', { auth: member.auth })).body.count).toBe(0);
    expect((await api.op('listEnvironments', { auth: rival.admin.auth })).body.count).toBe(0);
    expect((await api.op('listEnvironments', { auth: '' })).status).toBe(401);
  });

  test('getEnvironment answers viewers; other tenants and members without a grant get 404', async () => {
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key }, auth: viewer.auth })).body).toMatchObject({ id: env.id, name: 'Development', api_key: env.api_key });
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key }, auth: member.auth })).status).toBe(404);
    expect((await api.op('getEnvironment', { params: { api_key: 'no-such-key' } })).status).toBe(404);
  });

  test('updateEnvironment replaces settings for environment admins and bumps the document revision', async () => {
    const before = await revision(env.id);
    const r = await api.op('updateEnvironment', { params: { api_key: env.api_key }, body: { name: 'Dev', project: project.id, allow_client_traits: false, hide_disabled_flags: true, minimum_change_request_approvals: 2 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Dev', allow_client_traits: false, hide_disabled_flags: true, minimum_change_request_approvals: 2, use_v2_feature_versioning: false });
    expect(await revision(env.id)).toBe(before + 1);
    const moved = await api.op('updateEnvironment', { params: { api_key: env.api_key }, body: { name: 'Dev', project: project.id + 1000 } });
    expect(moved.status).toBe(400);
    expect(moved.body.details.issues[0].path).toBe('body/project');
    const denied = await api.op('updateEnvironment', { params: { api_key: env.api_key }, body: { name: 'Mine' }, auth: viewer.auth });
    expect(denied.status).toBe(403);
    expect(await revision(env.id)).toBe(before + 1);
  });

  test('partialUpdateEnvironment changes only what is given; other tenants get 404', async () => {
    const r = await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { hide_disabled_flags: null } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Dev', hide_disabled_flags: null, minimum_change_request_approvals: 2 });
    expect((await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { name: 'x' }, auth: rival.admin.auth })).status).toBe(404);
    const bad = await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { minimum_change_request_approvals: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/minimum_change_request_approvals');
  });

  test('createEnvironmentApiKey shows the key once and stores only its SHA-256 hash', async () => {
    const r = await api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'backend' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'backend', active: true, expires_at: null });
    expect(r.body.key).toMatch(/^ser\.[A-Za-z0-9_-]{40,}$/);
    expect(r.body.prefix).toBe(r.body.key.slice(0, 8));
    const row = await k().selectFrom('environment_api_keys').selectAll().where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(r.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(r.body.key);
    expect(await api.built.services.auth.resolveEnvironmentKey(r.body.key)).toEqual({ environmentId: env.id, environmentApiKey: env.api_key, isServerKey: true });
    expect((await api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'x' }, auth: viewer.auth })).status).toBe(403);
    const blank = await api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: ' ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.details.issues[0].path).toBe('body/name');
  });

  test('listEnvironmentApiKeys is a plain array without secrets, for environment admins', async () => {
    const r = await api.op('listEnvironmentApiKeys', { params: { api_key: env.api_key } });
    expect(r.status).toBe(200);
    expect(r.body.length).toBeGreaterThan(0);
    for (const key of r.body) expect(key).not.toHaveProperty('key');
    expect((await api.op('listEnvironmentApiKeys', { params: { api_key: env.api_key }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('listEnvironmentApiKeys', { params: { api_key: env.api_key }, auth: viewer.auth })).status).toBe(403);
  });

  test('partialUpdateEnvironment keeps false and 0 in nullable fields and refuses a number sent as a string', async () => {
    // JSON bodies are validated without type coercion: in a nullable field Ajv's coercion turned false and 0 into null.
    const env = await createEnvironment(api, project.id, 'Coercion');
    const r = await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { hide_disabled_flags: false, minimum_change_request_approvals: 0 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ hide_disabled_flags: false, minimum_change_request_approvals: 0 });
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key } })).body).toMatchObject({ hide_disabled_flags: false, minimum_change_request_approvals: 0 });
    const cleared = await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { hide_disabled_flags: null, minimum_change_request_approvals: null } });
    expect(cleared.body).toMatchObject({ hide_disabled_flags: null, minimum_change_request_approvals: null });
    const text = await api.op('partialUpdateEnvironment', { params: { api_key: env.api_key }, body: { minimum_change_request_approvals: '2' } });
    expect(text.status).toBe(400);
    expect(text.body.details.issues[0].path).toBe('body/minimum_change_request_approvals');
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key } })).body.minimum_change_request_approvals).toBeNull();
  });

  test('updateEnvironmentApiKey deactivates a key so the SDK endpoints refuse it', async () => {
    const created = await api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'worker' } });
    const r = await api.op('updateEnvironmentApiKey', { params: { api_key: env.api_key, id: created.body.id }, body: { active: false, name: 'worker (old)' } });
    expect(r).toMatchObject({ status: 200, body: { active: false, name: 'worker (old)' } });
    expect(await api.built.services.auth.resolveEnvironmentKey(created.body.key)).toBeUndefined();
    expect((await api.op('updateEnvironmentApiKey', { params: { api_key: env.api_key, id: 999999 }, body: { active: true } })).status).toBe(404);
    expect((await api.op('updateEnvironmentApiKey', { params: { api_key: env.api_key, id: created.body.id }, body: { active: true }, auth: rival.admin.auth })).status).toBe(404);
  });

  test('deleteEnvironmentApiKey removes the key', async () => {
    const created = await api.op('createEnvironmentApiKey', { params: { api_key: env.api_key }, body: { name: 'temp' } });
    expect((await api.op('deleteEnvironmentApiKey', { params: { api_key: env.api_key, id: created.body.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteEnvironmentApiKey', { params: { api_key: env.api_key, id: created.body.id } })).status).toBe(204);
    expect(await api.built.services.auth.resolveEnvironmentKey(created.body.key)).toBeUndefined();
    expect((await api.op('deleteEnvironmentApiKey', { params: { api_key: env.api_key, id: created.body.id } })).status).toBe(404);
    const audit = await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'API_KEY').where('environment_id', '=', env.id).execute();
    expect(audit.map((a) => a.log)).toContain('Server-side environment key deleted: temp');
  });

  test('deleteEnvironment removes it with its feature states, for environment admins only', async () => {
    const doomed = await createEnvironment(api, project.id, 'Doomed');
    await api.op('createEnvironmentUserPermission', { params: { api_key: doomed.api_key }, body: { user: viewer.id, permissions: ['VIEW_ENVIRONMENT'] } });
    expect((await api.op('deleteEnvironment', { params: { api_key: doomed.api_key }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteEnvironment', { params: { api_key: doomed.api_key }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteEnvironment', { params: { api_key: doomed.api_key } })).status).toBe(204);
    expect((await api.op('getEnvironment', { params: { api_key: doomed.api_key } })).status).toBe(404);
    expect(await k().selectFrom('feature_states').select('id').where('environment_id', '=', doomed.id).execute()).toEqual([]);
  });
});
