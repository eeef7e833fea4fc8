import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('identity trait routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let viewer: TestUser;
  let reader: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let env: { id: number; api_key: string };
  let otherEnv: { id: number; api_key: string };
  let identityId: number;
  const k = () => api.testDb.db.kysely;

  async function identity(identifier: string, environmentKey = env.api_key): Promise<number> {
    const r = await api.op('createIdentity', { params: { environment_api_key: environmentKey }, body: { identifier } });
    if (r.status !== 201) throw new Error(`createIdentity failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function trait(identity: number, trait_key: string, trait_value: unknown): Promise<number> {
    const r = await api.op('createIdentityTrait', { params: { environment_api_key: env.api_key, identity_pk: identity }, body: { trait_key, trait_value } });
    if (r.status !== 201) throw new Error(`createIdentityTrait failed: ${JSON.stringify(r.body)}`);
    return r.body.id;
  }

  async function traitAudit(): Promise<string[]> {
    return (await k().selectFrom('audit_log').select('log').where('related_object_type', '=', 'IDENTITY').where('environment_id', '=', env.id).where('log', 'like', 'Trait%').orderBy('id').execute()).map((a) => a.log);
  }

  // A generous hook timeout: migrations and password hashing are slow on a loaded machine.
  beforeAll(async () => {
    await api.start();
    viewer = await addMember(api, 'viewer@example.com');
    reader = await addMember(api, 'reader@example.com');
    rival = await otherOrganisation(api);
    const project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id, 'Development');
    otherEnv = await createEnvironment(api, project.id, 'Production');
    for (const [user, permissions] of [[viewer, ['VIEW_ENVIRONMENT']], [reader, ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES']]] as const) {
      await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: user.id, permissions: ['VIEW_PROJECT'] } });
      await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: user.id, permissions } });
    }
    identityId = await identity('alice');
  }, 60_000);
  afterAll(() => api.stop(), 60_000);

  test('createIdentityTrait stores typed values given as trait_value or as Flagsmith’s value_type columns', async () => {
    const params = { environment_api_key: env.api_key, identity_pk: identityId };
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ trait_key: 'plan', trait_value: 'pro' }, { value_type: 'unicode', string_value: 'pro', integer_value: null, boolean_value: null, float_value: null, trait_value: 'pro' }],
      [{ trait_key: 'age', trait_value: 42 }, { value_type: 'int', integer_value: 42, string_value: null, trait_value: 42 }],
      [{ trait_key: 'ratio', trait_value: 0.25 }, { value_type: 'float', float_value: 0.25, trait_value: 0.25 }],
      [{ trait_key: 'beta', trait_value: false }, { value_type: 'bool', boolean_value: false, trait_value: false }],
      [{ trait_key: 'digits', trait_value: '0042' }, { value_type: 'unicode', string_value: '0042', trait_value: '0042' }],
      [{ trait_key: 'score', value_type: 'float', float_value: 3 }, { value_type: 'float', float_value: 3, trait_value: 3 }],
      [{ trait_key: 'visits', value_type: 'int', integer_value: 0 }, { value_type: 'int', integer_value: 0, trait_value: 0 }],
      [{ trait_key: 'name', string_value: 'Alice' }, { value_type: 'unicode', string_value: 'Alice', trait_value: 'Alice' }],
    ];
    for (const [body, expected] of cases) {
      const r = await api.op('createIdentityTrait', { params, body });
      expect(r.status, JSON.stringify(body)).toBe(201);
      expect(r.body).toMatchObject({ id: expect.any(Number), trait_key: body.trait_key, created_date: api.clock.now().toISOString(), ...expected });
    }
    const list = await api.op('listIdentityTraits', { params, auth: reader.auth });
    expect(list.status).toBe(200);
    expect(list.body.map((t: { trait_key: string; value_type: string; trait_value: unknown }) => [t.trait_key, t.value_type, t.trait_value])).toEqual([
      ['plan', 'unicode', 'pro'],
      ['age', 'int', 42],
      ['ratio', 'float', 0.25],
      ['beta', 'bool', false],
      ['digits', 'unicode', '0042'],
      ['score', 'float', 3],
      ['visits', 'int', 0],
      ['name', 'unicode', 'Alice'],
    ]);
    expect(await traitAudit()).toContain("Trait 'plan' created for identity 'alice'");
    // The SDK module reads the same traits through the service, typed.
    expect(await api.built.services.identities.traitsOf(env.id, identityId)).toContainEqual({ trait_key: 'score', trait_value: 3 });
  });

  test('createIdentityTrait refuses a duplicate key and bad values with 400 naming the field, writing nothing', async () => {
    const params = { environment_api_key: env.api_key, identity_pk: identityId };
    await trait(identityId, 'unique-key', 'a');
    const before = await k().selectFrom('traits').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const cases: [Record<string, unknown>, string][] = [
      [{ trait_key: 'unique-key', trait_value: 'b' }, 'body/trait_key'],
      [{ trait_value: 'x' }, 'body/trait_key'],
      [{ trait_key: ' ', trait_value: 'x' }, 'body/trait_key'],
      [{ trait_key: 'k'.repeat(201), trait_value: 'x' }, 'body/trait_key'],
      [{ trait_key: 'novalue' }, 'body/trait_value'],
      [{ trait_key: 'obj', trait_value: { a: 1 } }, 'body/trait_value'],
      [{ trait_key: 'null', trait_value: null }, 'body/trait_value'],
      [{ trait_key: 'long', trait_value: 'x'.repeat(2001) }, 'body/trait_value'],
      [{ trait_key: 'badint', value_type: 'int', integer_value: 1.5 }, 'body/integer_value'],
      [{ trait_key: 'noint', value_type: 'int', string_value: '1' }, 'body/integer_value'],
      [{ trait_key: 'badbool', value_type: 'bool', boolean_value: 'yes' }, 'body/boolean_value'],
      [{ trait_key: 'badtype', value_type: 'date', string_value: 'x' }, 'body/value_type'],
    ];
    for (const [body, path] of cases) {
      const r = await api.op('createIdentityTrait', { params, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.details.issues[0].path, JSON.stringify(body)).toBe(path);
    }
    const after = await k().selectFrom('traits').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  test('trait routes need VIEW_IDENTITIES to read and MANAGE_IDENTITIES to write (403), credentials (401), and answer 404 across tenants and environments', async () => {
    const traitId = await trait(identityId, 'guarded', 'v');
    const nested = { environment_api_key: env.api_key, identity_pk: identityId };
    const item = { ...nested, id: traitId };
    expect((await api.op('getIdentityTrait', { params: item, auth: reader.auth })).status).toBe(200);
    for (const auth of [viewer.auth]) {
      expect((await api.op('listIdentityTraits', { params: nested, auth })).status).toBe(403);
      expect((await api.op('getIdentityTrait', { params: item, auth })).status).toBe(403);
    }
    for (const auth of [viewer.auth, reader.auth]) {
      expect((await api.op('createIdentityTrait', { params: nested, body: { trait_key: 'nope', trait_value: 1 }, auth })).status).toBe(403);
      expect((await api.op('updateIdentityTrait', { params: item, body: { trait_key: 'guarded', trait_value: 2 }, auth })).status).toBe(403);
      expect((await api.op('partialUpdateIdentityTrait', { params: item, body: { trait_value: 2 }, auth })).status).toBe(403);
      expect((await api.op('deleteIdentityTrait', { params: item, auth })).status).toBe(403);
    }
    for (const [auth, status] of [['', 401], [rival.admin.auth, 404]] as const) {
      expect((await api.op('listIdentityTraits', { params: nested, auth })).status).toBe(status);
      expect((await api.op('createIdentityTrait', { params: nested, body: { trait_key: 'nope', trait_value: 1 }, auth })).status).toBe(status);
      expect((await api.op('getIdentityTrait', { params: item, auth })).status).toBe(status);
      expect((await api.op('updateIdentityTrait', { params: item, body: { trait_key: 'guarded', trait_value: 2 }, auth })).status).toBe(status);
      expect((await api.op('partialUpdateIdentityTrait', { params: item, body: { trait_value: 2 }, auth })).status).toBe(status);
      expect((await api.op('deleteIdentityTrait', { params: item, auth })).status).toBe(status);
    }
    // The identity belongs to another environment than the key in the URL.
    const wrongEnv = { environment_api_key: otherEnv.api_key, identity_pk: identityId };
    expect((await api.op('listIdentityTraits', { params: wrongEnv })).status).toBe(404);
    expect((await api.op('createIdentityTrait', { params: wrongEnv, body: { trait_key: 'nope', trait_value: 1 } })).status).toBe(404);
    expect((await api.op('getIdentityTrait', { params: { ...wrongEnv, id: traitId } })).status).toBe(404);
    // The trait belongs to another identity than the one in the URL.
    const bob = await identity('bob');
    expect((await api.op('getIdentityTrait', { params: { ...nested, identity_pk: bob, id: traitId } })).status).toBe(404);
    expect((await api.op('deleteIdentityTrait', { params: { ...nested, identity_pk: bob, id: traitId } })).status).toBe(404);
    expect(await k().selectFrom('traits').select('trait_key').where('trait_key', '=', 'nope').execute()).toEqual([]);
  });

  test('updateIdentityTrait replaces key and value; PUT needs both, a taken key is 400', async () => {
    const id = await trait(identityId, 'tier', 'gold');
    await trait(identityId, 'taken', 'x');
    const item = { environment_api_key: env.api_key, identity_pk: identityId, id };
    const r = await api.op('updateIdentityTrait', { params: item, body: { trait_key: 'level', value_type: 'int', integer_value: 3 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, trait_key: 'level', value_type: 'int', integer_value: 3, string_value: null, trait_value: 3 });
    expect((await api.op('getIdentityTrait', { params: item })).body).toEqual(r.body);

    const noValue = await api.op('updateIdentityTrait', { params: item, body: { trait_key: 'level' } });
    expect(noValue.status).toBe(400);
    expect(noValue.body.details.issues[0].path).toBe('body/trait_value');
    const taken = await api.op('updateIdentityTrait', { params: item, body: { trait_key: 'taken', trait_value: 1 } });
    expect(taken.status).toBe(400);
    expect(taken.body.details.issues[0].path).toBe('body/trait_key');
    expect((await api.op('getIdentityTrait', { params: item })).body).toMatchObject({ trait_key: 'level', trait_value: 3 });
    expect(await traitAudit()).toContain("Trait 'level' updated for identity 'alice'");
  });

  test('partialUpdateIdentityTrait changes only what it is given', async () => {
    const id = await trait(identityId, 'colour', 'red');
    const item = { environment_api_key: env.api_key, identity_pk: identityId, id };
    const value = await api.op('partialUpdateIdentityTrait', { params: item, body: { trait_value: true } });
    expect(value.status).toBe(200);
    expect(value.body).toMatchObject({ trait_key: 'colour', value_type: 'bool', boolean_value: true, trait_value: true });
    const key = await api.op('partialUpdateIdentityTrait', { params: item, body: { trait_key: 'hue' } });
    expect(key.body).toMatchObject({ trait_key: 'hue', value_type: 'bool', trait_value: true });
    const bad = await api.op('partialUpdateIdentityTrait', { params: item, body: { trait_value: [1] } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.issues[0].path).toBe('body/trait_value');
    expect((await api.op('partialUpdateIdentityTrait', { params: { ...item, id: 999999 }, body: { trait_value: 1 } })).status).toBe(404);
  });

  test('deleteIdentityTrait removes one trait, or the key from every identity of the environment with deleteAllMatchingTraits', async () => {
    const carol = await identity('carol');
    const dave = await identity('dave');
    const elsewhere = await identity('erin', otherEnv.api_key);
    const carolTrait = await trait(carol, 'cohort', 'a');
    await trait(dave, 'cohort', 'b');
    await api.op('createIdentityTrait', { params: { environment_api_key: otherEnv.api_key, identity_pk: elsewhere }, body: { trait_key: 'cohort', trait_value: 'c' } });
    const single = await trait(dave, 'single', 1);

    expect((await api.op('deleteIdentityTrait', { params: { environment_api_key: env.api_key, identity_pk: dave, id: single } })).status).toBe(204);
    expect(await k().selectFrom('traits').select('id').where('id', '=', single).execute()).toEqual([]);

    const all = await api.op('deleteIdentityTrait', { params: { environment_api_key: env.api_key, identity_pk: carol, id: carolTrait }, query: { deleteAllMatchingTraits: 'true' } });
    expect(all.status).toBe(204);
    const left = await k().selectFrom('traits').innerJoin('identities', 'identities.id', 'traits.identity_id').select('identities.identifier').where('trait_key', '=', 'cohort').execute();
    expect(left).toEqual([{ identifier: 'erin' }]);
    expect(await traitAudit()).toEqual(expect.arrayContaining(["Trait 'single' deleted for identity 'dave'", "Trait 'cohort' deleted from every identity (2)"]));
  });
});
