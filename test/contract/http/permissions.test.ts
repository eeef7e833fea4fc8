import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

const ALL_PROJECT = ['VIEW_PROJECT', 'CREATE_ENVIRONMENT', 'CREATE_FEATURE', 'EDIT_FEATURE', 'DELETE_FEATURE', 'MANAGE_SEGMENTS', 'VIEW_AUDIT_LOG'];
const ALL_ENVIRONMENT = ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE', 'MANAGE_SEGMENT_OVERRIDES', 'MANAGE_IDENTITIES', 'VIEW_IDENTITIES', 'CREATE_CHANGE_REQUEST', 'APPROVE_CHANGE_REQUEST'];

describe.each(DIALECTS)('permission routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let alice: TestUser;
  let bob: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number };
  let env: { id: number; api_key: string };
  const pp = () => ({ project_pk: project.id });
  const ep = () => ({ api_key: env.api_key });

  beforeAll(async () => {
    await api.start();
    alice = await addMember(api, 'alice@example.com');
    bob = await addMember(api, 'bob@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    env = await createEnvironment(api, project.id);
  });
  afterAll(() => api.stop());

  describe('project permissions', () => {
    let grantId: number;

    test('createProjectUserPermission grants a member permissions that take effect', async () => {
      expect((await api.op('getProject', { params: { id: project.id }, auth: alice.auth })).status).toBe(404);
      const r = await api.op('createProjectUserPermission', { params: pp(), body: { user: alice.id, permissions: ['VIEW_PROJECT', 'CREATE_FEATURE', 'VIEW_PROJECT'] } });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ id: expect.any(Number), user: alice.id, permissions: ['VIEW_PROJECT', 'CREATE_FEATURE'], admin: false });
      grantId = r.body.id;
      expect((await api.op('getProject', { params: { id: project.id }, auth: alice.auth })).status).toBe(200);
      const audit = await api.testDb.db.kysely.selectFrom('audit_log').select('log').where('related_object_type', '=', 'USER').where('project_id', '=', project.id).execute();
      expect(audit.map((a) => a.log)).toContain('Project permissions granted to alice@example.com: VIEW_PROJECT, CREATE_FEATURE');
    });

    test('createProjectUserPermission names an unknown key, a non-member and a duplicate (400)', async () => {
      const unknown = await api.op('createProjectUserPermission', { params: pp(), body: { user: bob.id, permissions: ['VIEW_PROJECT', 'FLY'] } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details.issues[0]).toEqual({ path: 'body/permissions/1', message: expect.stringContaining('"FLY"') });
      const envKeyOnProject = await api.op('createProjectUserPermission', { params: pp(), body: { user: bob.id, permissions: ['UPDATE_FEATURE_STATE'] } });
      expect(envKeyOnProject.status).toBe(400);
      const outsider = await api.op('createProjectUserPermission', { params: pp(), body: { user: rival.admin.id, permissions: ['VIEW_PROJECT'] } });
      expect(outsider.status).toBe(400);
      expect(outsider.body.details.issues[0].path).toBe('body/user');
      const duplicate = await api.op('createProjectUserPermission', { params: pp(), body: { user: alice.id, permissions: [] } });
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.details.issues[0].path).toBe('body/user');
      const rows = await api.testDb.db.kysely.selectFrom('user_project_permissions').select('id').where('user_id', '=', bob.id).execute();
      expect(rows).toEqual([]);
    });

    test('only project admins manage grants: viewers get 403, other tenants 404', async () => {
      expect((await api.op('createProjectUserPermission', { params: pp(), body: { user: bob.id, permissions: ['VIEW_PROJECT'] }, auth: alice.auth })).status).toBe(403);
      expect((await api.op('createProjectUserPermission', { params: pp(), body: { user: bob.id, permissions: ['VIEW_PROJECT'] }, auth: rival.admin.auth })).status).toBe(404);
      expect((await api.op('listProjectUserPermissions', { params: pp(), auth: alice.auth })).status).toBe(403);
      expect((await api.op('listProjectUserPermissions', { params: pp(), auth: bob.auth })).status).toBe(404);
    });

    test('listProjectUserPermissions shows each grant with its user', async () => {
      const r = await api.op('listProjectUserPermissions', { params: pp() });
      expect(r.status).toBe(200);
      expect(r.body).toContainEqual({ id: grantId, user: { id: alice.id, email: 'alice@example.com', first_name: '', last_name: '' }, permissions: ['VIEW_PROJECT', 'CREATE_FEATURE'], admin: false });
    });

    test('updateProjectUserPermission replaces the keys and refuses moving the grant to another user', async () => {
      const r = await api.op('updateProjectUserPermission', { params: { ...pp(), id: grantId }, body: { user: alice.id, permissions: ['VIEW_PROJECT', 'MANAGE_SEGMENTS'] } });
      expect(r).toMatchObject({ status: 200, body: { permissions: ['VIEW_PROJECT', 'MANAGE_SEGMENTS'], admin: false } });
      const moved = await api.op('updateProjectUserPermission', { params: { ...pp(), id: grantId }, body: { user: bob.id, permissions: [] } });
      expect(moved.status).toBe(400);
      expect(moved.body.details.issues[0].path).toBe('body/user');
      expect((await api.op('updateProjectUserPermission', { params: { ...pp(), id: 999999 }, body: { user: alice.id, permissions: [] } })).status).toBe(404);
    });

    test('partialUpdateProjectUserPermission makes a user project admin, who can then manage grants', async () => {
      const r = await api.op('partialUpdateProjectUserPermission', { params: { ...pp(), id: grantId }, body: { admin: true } });
      expect(r).toMatchObject({ status: 200, body: { admin: true, permissions: ['VIEW_PROJECT', 'MANAGE_SEGMENTS'] } });
      expect((await api.op('listProjectUserPermissions', { params: pp(), auth: alice.auth })).status).toBe(200);
      const bad = await api.op('partialUpdateProjectUserPermission', { params: { ...pp(), id: grantId }, body: { permissions: ['NOPE'] } });
      expect(bad.status).toBe(400);
      expect(bad.body.details.issues[0].path).toBe('body/permissions/0');
      await api.op('partialUpdateProjectUserPermission', { params: { ...pp(), id: grantId }, body: { admin: false } });
    });

    test('getMyProjectPermissions reports the caller’s grant; admins hold every key', async () => {
      expect((await api.op('getMyProjectPermissions', { params: { id: project.id } })).body).toEqual({ admin: true, permissions: ALL_PROJECT });
      expect((await api.op('getMyProjectPermissions', { params: { id: project.id }, auth: alice.auth })).body).toEqual({ admin: false, permissions: ['VIEW_PROJECT', 'MANAGE_SEGMENTS'] });
      expect((await api.op('getMyProjectPermissions', { params: { id: project.id }, auth: bob.auth })).status).toBe(404);
      const key = await api.op('createOrganisationApiKey', { params: { organisation_pk: api.organisationId }, body: { name: 'ci' } });
      const byKey = await api.op('getMyProjectPermissions', { params: { id: project.id }, auth: `Api-Key ${key.body.key}` });
      expect(byKey.status).toBe(400);
    });

    test('deleteProjectUserPermission removes the grant and the access it gave', async () => {
      expect((await api.op('deleteProjectUserPermission', { params: { ...pp(), id: grantId }, auth: alice.auth })).status).toBe(403);
      expect((await api.op('deleteProjectUserPermission', { params: { ...pp(), id: grantId } })).status).toBe(204);
      expect((await api.op('getProject', { params: { id: project.id }, auth: alice.auth })).status).toBe(404);
      expect((await api.op('deleteProjectUserPermission', { params: { ...pp(), id: grantId } })).status).toBe(404);
    });
  });

  describe('environment permissions', () => {
    let grantId: number;

    test('createEnvironmentUserPermission grants a member access to one environment', async () => {
      await api.op('createProjectUserPermission', { params: pp(), body: { user: bob.id, permissions: ['VIEW_PROJECT'] } });
      expect((await api.op('getEnvironment', { params: ep(), auth: bob.auth })).status).toBe(404);
      const r = await api.op('createEnvironmentUserPermission', { params: ep(), body: { user: bob.id, permissions: ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE'] } });
      expect(r.status).toBe(201);
      expect(r.body).toEqual({ id: expect.any(Number), user: bob.id, permissions: ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE'], admin: false });
      grantId = r.body.id;
      expect((await api.op('getEnvironment', { params: ep(), auth: bob.auth })).status).toBe(200);
    });

    test('createEnvironmentUserPermission names unknown keys and non-members (400); other tenants get 404', async () => {
      const unknown = await api.op('createEnvironmentUserPermission', { params: ep(), body: { user: alice.id, permissions: ['VIEW_PROJECT'] } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details.issues[0].path).toBe('body/permissions/0');
      const outsider = await api.op('createEnvironmentUserPermission', { params: ep(), body: { user: rival.admin.id, permissions: [] } });
      expect(outsider.status).toBe(400);
      expect(outsider.body.details.issues[0].path).toBe('body/user');
      expect((await api.op('createEnvironmentUserPermission', { params: ep(), body: { user: alice.id, permissions: [] }, auth: rival.admin.auth })).status).toBe(404);
      expect((await api.op('createEnvironmentUserPermission', { params: ep(), body: { user: alice.id, permissions: [] }, auth: bob.auth })).status).toBe(403);
    });

    test('listEnvironmentUserPermissions shows grants with users, for environment admins', async () => {
      const r = await api.op('listEnvironmentUserPermissions', { params: ep() });
      expect(r.status).toBe(200);
      expect(r.body).toContainEqual({ id: grantId, user: { id: bob.id, email: 'bob@example.com', first_name: '', last_name: '' }, permissions: ['VIEW_ENVIRONMENT', 'UPDATE_FEATURE_STATE'], admin: false });
      expect((await api.op('listEnvironmentUserPermissions', { params: ep(), auth: bob.auth })).status).toBe(403);
    });

    test('updateEnvironmentUserPermission replaces the keys', async () => {
      const r = await api.op('updateEnvironmentUserPermission', { params: { ...ep(), id: grantId }, body: { user: bob.id, permissions: ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES'] } });
      expect(r).toMatchObject({ status: 200, body: { permissions: ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES'] } });
      const missing = await api.op('updateEnvironmentUserPermission', { params: { ...ep(), id: grantId }, body: { user: bob.id } });
      expect(missing.status).toBe(400);
      expect(missing.body.details.issues[0].path).toBe('body/permissions');
    });

    test('partialUpdateEnvironmentUserPermission makes the user environment admin', async () => {
      const r = await api.op('partialUpdateEnvironmentUserPermission', { params: { ...ep(), id: grantId }, body: { admin: true } });
      expect(r).toMatchObject({ status: 200, body: { admin: true } });
      expect((await api.op('partialUpdateEnvironment', { params: ep(), body: { description: 'bob was here' }, auth: bob.auth })).status).toBe(200);
      expect((await api.op('partialUpdateEnvironmentUserPermission', { params: { ...ep(), id: 999999 }, body: { admin: true } })).status).toBe(404);
    });

    test('getMyEnvironmentPermissions reports admin and keys for the caller', async () => {
      expect((await api.op('getMyEnvironmentPermissions', { params: ep(), auth: bob.auth })).body).toEqual({ admin: true, permissions: ALL_ENVIRONMENT });
      await api.op('partialUpdateEnvironmentUserPermission', { params: { ...ep(), id: grantId }, body: { admin: false } });
      expect((await api.op('getMyEnvironmentPermissions', { params: ep(), auth: bob.auth })).body).toEqual({ admin: false, permissions: ['VIEW_ENVIRONMENT', 'VIEW_IDENTITIES'] });
      expect((await api.op('getMyEnvironmentPermissions', { params: ep(), auth: alice.auth })).status).toBe(404);
      expect((await api.op('getMyEnvironmentPermissions', { params: ep(), auth: rival.admin.auth })).status).toBe(404);
    });

    test('deleteEnvironmentUserPermission removes the grant', async () => {
      expect((await api.op('deleteEnvironmentUserPermission', { params: { ...ep(), id: grantId }, auth: bob.auth })).status).toBe(403);
      expect((await api.op('deleteEnvironmentUserPermission', { params: { ...ep(), id: grantId } })).status).toBe(204);
      expect((await api.op('getEnvironment', { params: ep(), auth: bob.auth })).status).toBe(404);
      expect((await api.op('deleteEnvironmentUserPermission', { params: { ...ep(), id: grantId } })).status).toBe(404);
    });
  });
});
