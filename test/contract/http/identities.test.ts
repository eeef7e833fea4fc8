import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('identity routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let reader: TestUser;
  let manager: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let env: { id: number; api_key: string };
  let otherEnv: { id: number; api_key: string };
  const k = () => api.testDb.db.kysely;

  async function grant(user: TestUser, projectId: number, environmentKey: string, permissions: string[]) {
    await api.op('createProjectUserPermission', { params: { project_pk: projectId }, body: { user: user.id, permissions: ['VIEW_PROJECT'] } });
    const r = await api.op('createEnvironmentUserPermission', { params: { api_key: environmentKey }, body: { user: user.id, permissions } });
    if (r.status !== 201) throw new Error(`grant failed: ${JSON.stringify(r.body)}`);
  }

  async function auditLogs(type: string): Promise<string[]> {
    return (await k().selectFrom('audit_log').select('log').where('related_object_type', '=', type).where('environment_id', '=', env.id).orderBy('id').execute()).map((a) => a.log);
  }

  async function identity(identifier: string, environmentKey = env.api_key): Promise<number> {
    const r = await api.op('createIdentity', { params: { environment_api_key: environmentKey }, body: { identifier } });
    if (r.status !== 201) throw new Error(`createIdentity failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  // A generous hook timeout: migrations and password hashing are slow on a loaded machine.
  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    reader = await addMember(api, 'reader@example.com');
    manager = await addMember(api, 'manager@example.com');
    rival = await otherOrganisation(api);
    const project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    otherEnv = await createEnvironment(api, project.id, 'Production');
    await grant(viewer, project.id, env.api_key, ['VIEW_ENVIRONMENT']);
    await grant(reader, project.id, env.api_key, ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES']);
    await grant(manager, project.id, env.api_key, ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES', 'MANAGE_IDENTITIES']);
  }, 60_000);
  afterAll(() => api.stop(), 60_000);

  test('createIdentity creates an identity of the environment with its identifier trimmed, and audits it', async () => {
    const r = await api.op('createIdentity', { params: { environment_api_key: env.api_key }, body: { identifier: ' alice@example.com ' }, auth: manager.auth });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: expect.any(Number), identifier: 'alice@example.com', environment: env.id });
    const row = await k().selectFrom('identities').selectAll().where('id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ identifier: 'alice@example.com', environment_id: env.id, created_at: api.clock.now().toISOString() });
    expect(await auditLogs('IDENTITY')).toContain('New Identity created: alice@example.com');
  });

  test('createIdentity refuses an identifier the environment already has (400 naming it) but allows it in another environment', async () => {
    await identity('dup-user');
    const before = await k().selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const r = await api.op('createIdentity', { params: { environment_api_key: env.api_key }, body: { identifier: 'dup-user' } });
    expect(r.status).toBe(400);
    expect(r.body.details.issues[0]).toEqual({ path: 'body/identifier', message: "Identity with identifier 'dup-user' already exists in this environment" });
    const after = await k().selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await api.op('createIdentity', { params: { environment_api_key: otherEnv.api_key }, body: { identifier: 'dup-user' } })).status).toBe(201);
  });

  test('createIdentity validates the identifier (400 naming body/identifier) and writes nothing', async () => {
    for (const body of [{}, { identifier: '' }, { identifier: '   ' }, { identifier: 'x'.repeat(2001) }]) {
      const r = await api.op('createIdentity', { params: { environment_api_key: env.api_key }, body });
      expect(r.status).toBe(400);
      expect(r.body.details.issues[0].path).toBe('body/identifier');
    }
    expect(await k().selectFrom('identities').select('id').where('identifier', 'in', ['', '   ']).execute()).toEqual([]);
  });

  test('createIdentity needs MANAGE_IDENTITIES (403), credentials (401) and a visible environment (404)', async () => {
    const params = { environment_api_key: env.api_key };
    expect((await api.op('createIdentity', { params, body: { identifier: 'x1' }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('createIdentity', { params, body: { identifier: 'x1' }, auth: reader.auth })).status).toBe(403);
    expect((await api.op('createIdentity', { params, body: { identifier: 'x1' }, auth: '' })).status).toBe(401);
    expect((await api.op('createIdentity', { params, body: { identifier: 'x1' }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('createIdentity', { params: { environment_api_key: 'no-such-key' }, body: { identifier: 'x1' } })).status).toBe(404);
    expect(await k().selectFrom('identities').select('id').where('identifier', '=', 'x1').execute()).toEqual([]);
  });

  test('listIdentities pages oldest first and searches identifiers by substring or quoted exact match', async () => {
    const fresh = await createEnvironment(api, (await createProject(api, 'Search')).id, 'Search');
    for (const id of ['Bob@Example.com', 'bobby', 'carol', 'rob_50%']) {
      api.clock.advanceMs(1000);
      await identity(id, fresh.api_key);
    }
    const params = { environment_api_key: fresh.api_key };
    const all = await api.op('listIdentities', { params });
    expect(all.status).toBe(200);
    expect(all.body.count).toBe(4);
    expect(all.body.results.map((i: { identifier: string }) => i.identifier)).toEqual(['Bob@Example.com', 'bobby', 'carol', 'rob_50%']);

    const page = await api.op('listIdentities', { params, query: { page: 2, page_size: 3 } });
    expect(page.body).toMatchObject({ count: 4, next: null, results: [{ identifier: 'rob_50%' }] });
    expect(page.body.previous).toContain('page=1');

    const fuzzy = await api.op('listIdentities', { params, query: { q: 'BOB' } });
    expect(fuzzy.body.results.map((i: { identifier: string }) => i.identifier)).toEqual(['Bob@Example.com', 'bobby']);
    const literal = await api.op('listIdentities', { params, query: { q: '_50%' } });
    expect(literal.body.results.map((i: { identifier: string }) => i.identifier)).toEqual(['rob_50%']);
    const exact = await api.op('listIdentities', { params, query: { q: '"bobby"' } });
    expect(exact.body).toMatchObject({ count: 1, results: [{ identifier: 'bobby', environment: fresh.id }] });
    const exactMiss = await api.op('listIdentities', { params, query: { q: '"bob"' } });
    expect(exactMiss.body.count).toBe(0);
  });

  test('listIdentities needs VIEW_IDENTITIES (403), credentials (401) and a visible environment (404)', async () => {
    const params = { environment_api_key: env.api_key };
    expect((await api.op('listIdentities', { params, auth: reader.auth })).status).toBe(200);
    expect((await api.op('listIdentities', { params, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('listIdentities', { params, auth: '' })).status).toBe(401);
    expect((await api.op('listIdentities', { params, auth: rival.admin.auth })).status).toBe(404);
  });

  test('getIdentity returns one identity of the environment; another environment’s is 404', async () => {
    const id = await identity('getme');
    const r = await api.op('getIdentity', { params: { environment_api_key: env.api_key, id }, auth: reader.auth });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id, identifier: 'getme', environment: env.id });
    expect((await api.op('getIdentity', { params: { environment_api_key: otherEnv.api_key, id } })).status).toBe(404);
    expect((await api.op('getIdentity', { params: { environment_api_key: env.api_key, id: 999999 } })).status).toBe(404);
    expect((await api.op('getIdentity', { params: { environment_api_key: env.api_key, id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('getIdentity', { params: { environment_api_key: env.api_key, id }, auth: '' })).status).toBe(401);
    expect((await api.op('getIdentity', { params: { environment_api_key: env.api_key, id }, auth: rival.admin.auth })).status).toBe(404);
  });

  test('deleteIdentity removes the identity with its traits and audits it', async () => {
    const id = await identity('leaving');
    expect((await api.op('createIdentityTrait', { params: { environment_api_key: env.api_key, identity_pk: id }, body: { trait_key: 'plan', trait_value: 'pro' } })).status).toBe(201);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: env.api_key, id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: env.api_key, id }, auth: reader.auth })).status).toBe(403);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: env.api_key, id }, auth: '' })).status).toBe(401);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: env.api_key, id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteIdentity', { params: { environment_api_key: otherEnv.api_key, id } })).status).toBe(404);

    const r = await api.op('deleteIdentity', { params: { environment_api_key: env.api_key, id }, auth: manager.auth });
    expect(r.status).toBe(204);
    expect(await k().selectFrom('identities').select('id').where('id', '=', id).execute()).toEqual([]);
    expect(await k().selectFrom('traits').select('id').where('identity_id', '=', id).execute()).toEqual([]);
    expect(await auditLogs('IDENTITY')).toContain('Identity deleted: leaving');
    expect((await api.op('getIdentity', { params: { environment_api_key: env.api_key, id } })).status).toBe(404);
  });

  test('identifyWithTraits creates the identity once, upserts and deletes persisted traits, and keeps transient ones out of storage', async () => {
    const identities = api.built.services.identities;
    const first = await identities.identifyWithTraits(env.id, 'sdk-user', [{ trait_key: 'age', trait_value: 30 }, { trait_key: 'plan', trait_value: 'free' }], { persist: true });
    expect(first.isNew).toBe(true);
    expect(first.traits).toEqual([{ trait_key: 'age', trait_value: 30 }, { trait_key: 'plan', trait_value: 'free' }]);
    const id = first.identity.id ?? 0;
    expect(id).toBeGreaterThan(0);

    const second = await identities.identifyWithTraits(
      env.id,
      'sdk-user',
      [{ trait_key: 'age', trait_value: null }, { trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'ratio', trait_value: 0.5 }, { trait_key: 'session', trait_value: true, transient: true }],
      { persist: true },
    );
    expect(second.isNew).toBe(false);
    expect(second.identity.id).toBe(id);
    expect(second.traits).toEqual([{ trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'ratio', trait_value: 0.5 }, { trait_key: 'session', trait_value: true }]);
    expect(await identities.traitsOf(env.id, id)).toEqual([{ trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'ratio', trait_value: 0.5 }]);
    expect(await identities.traitsOf(otherEnv.id, id)).toEqual([]);
    expect(await identities.findByIdentifier(env.id, 'sdk-user')).toMatchObject({ id, identifier: 'sdk-user', environmentId: env.id });
    expect(await identities.findByIdentifier(otherEnv.id, 'sdk-user')).toBeUndefined();
  });

  test('identifyWithTraits without trait persistence stores only the identity and evaluates stored traits merged with the call’s', async () => {
    const identities = api.built.services.identities;
    const stored = await identities.identifyWithTraits(env.id, 'no-persist', [{ trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'age', trait_value: 40 }], { persist: true });
    const id = stored.identity.id ?? 0;
    const r = await identities.identifyWithTraits(env.id, 'no-persist', [{ trait_key: 'plan', trait_value: 'enterprise' }, { trait_key: 'age', trait_value: null }, { trait_key: 'new', trait_value: 1 }], { persist: false });
    expect(r.identity.id).toBe(id);
    expect(r.traits).toEqual([{ trait_key: 'plan', trait_value: 'enterprise' }, { trait_key: 'age', trait_value: 40 }, { trait_key: 'new', trait_value: 1 }]);
    expect(await identities.traitsOf(env.id, id)).toEqual([{ trait_key: 'plan', trait_value: 'pro' }, { trait_key: 'age', trait_value: 40 }]);

    const fresh = await identities.identifyWithTraits(env.id, 'no-persist-new', [{ trait_key: 'plan', trait_value: 'free' }], { persist: false });
    expect(fresh).toMatchObject({ isNew: true, traits: [{ trait_key: 'plan', trait_value: 'free' }] });
    expect(await identities.traitsOf(env.id, fresh.identity.id ?? 0)).toEqual([]);
  });

  test('identifyWithTraits with a transient identity writes nothing, and a missing identifier gets a trait-derived one', async () => {
    const identities = api.built.services.identities;
    const known = await identities.identifyWithTraits(env.id, 'known', [{ trait_key: 'plan', trait_value: 'pro' }], { persist: true });
    const asTransient = await identities.identifyWithTraits(env.id, 'known', [{ trait_key: 'plan', trait_value: 'trial' }, { trait_key: 'x', trait_value: true }], { persist: true, isTransientIdentity: true });
    expect(asTransient).toMatchObject({ identity: { id: known.identity.id, identifier: 'known' }, isNew: false, traits: [{ trait_key: 'plan', trait_value: 'trial' }, { trait_key: 'x', trait_value: true }] });
    expect(await identities.traitsOf(env.id, known.identity.id ?? 0)).toEqual([{ trait_key: 'plan', trait_value: 'pro' }]);

    const unknown = await identities.identifyWithTraits(env.id, 'ghost', [{ trait_key: 'a', trait_value: 1 }], { persist: true, isTransientIdentity: true });
    expect(unknown).toMatchObject({ identity: { id: null, uuid: null, identifier: 'ghost' }, traits: [{ trait_key: 'a', trait_value: 1 }], overrides: [] });
    expect(await identities.findByIdentifier(env.id, 'ghost')).toBeUndefined();

    const anonymous = await identities.identifyWithTraits(env.id, null, [{ trait_key: 'b', trait_value: true }, { trait_key: 'a', trait_value: 1.5 }], { persist: true });
    // sha256("a1.5bTrue"), as Flagsmith derives it from Python's str() of each value.
    expect(anonymous.identity).toMatchObject({ id: null, identifier: createHash('sha256').update('a1.5bTrue').digest('hex') });
    const count = await k().selectFrom('identities').select((eb) => eb.fn.countAll<number>().as('n')).where('identifier', '=', anonymous.identity.identifier).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
    expect((await identities.identifyWithTraits(env.id, '', [], { persist: true })).identity.identifier).toMatch(/^[0-9a-f]{32}$/);
  });

  test('identifyWithTraits rejects a bad trait before writing anything', async () => {
    const identities = api.built.services.identities;
    const bad = identities.identifyWithTraits(env.id, 'never-created', [{ trait_key: 'ok', trait_value: 1 }, { trait_key: 'nested', trait_value: { a: 1 } as unknown as string }], { persist: true });
    await expect(bad).rejects.toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body/traits/1/trait_value' }] } });
    expect(await identities.findByIdentifier(env.id, 'never-created')).toBeUndefined();
  });
});
