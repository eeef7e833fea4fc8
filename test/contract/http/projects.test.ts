import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('project routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let member: TestUser;
  let viewer: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  let project: { id: number; uuid: string };

  beforeAll(async () => {
    await api.start();
    member = await addMember(api, 'member@example.com');
    viewer = await addMember(api, 'viewer@example.com');
    rival = await otherOrganisation(api);
    project = await createProject(api, 'Web');
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
  });
  afterAll(() => api.stop());

  test('createProject creates it for organisation admins and makes a creating user project admin', async () => {
    const r = await api.op('createProject', { body: { name: 'Mobile', organisation: api.organisationId, hide_disabled_flags: true } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Mobile', organisation: api.organisationId, hide_disabled_flags: true, enable_dynamo_db: false, use_edge_identities: false });
    const grant = await api.testDb.db.kysely.selectFrom('user_project_permissions').select(['admin']).where('project_id', '=', r.body.id).executeTakeFirstOrThrow();
    expect(Boolean(grant.admin)).toBe(true);
    const audit = await api.testDb.db.kysely.selectFrom('audit_log').select('log').where('related_object_type', '=', 'PROJECT').where('related_object_id', '=', r.body.id).execute();
    expect(audit.map((a) => a.log)).toEqual(['New Project created: Mobile']);
  });

  test('createProject refuses plain members (403) and another tenant’s organisation (400 naming the field)', async () => {
    expect((await api.op('createProject', { body: { name: 'Nope', organisation: api.organisationId }, auth: member.auth })).status).toBe(403);
    const foreign = await api.op('createProject', { body: { name: 'Nope', organisation: api.organisationId }, auth: rival.admin.auth });
    expect(foreign.status).toBe(400);
    expect(foreign.body.details.issues[0].path).toBe('body/organisation');
    const missing = await api.op('createProject', { body: { name: 'Nope' } });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/organisation');
  });

  test('listProjects is a plain array of the projects the caller can view', async () => {
    const r = await api.op('listProjects', { query: { organisation: api.organisationId } });
    expect(r.status).toBe(200);
    expect(Array.isArray(r.body)).toBe(true);
    expect(r.body.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Web', 'Mobile']));
    expect((await api.op('listProjects', { auth: viewer.auth })).body.map((p: { id: number }) => p.id)).toEqual([project.id]);
    expect((await api.op('listProjects', { auth: member.auth })).body).toEqual([]);
    expect((await api.op('listProjects', { auth: rival.admin.auth })).body).toEqual([]);
    expect((await api.op('listProjects', { query: { uuid: project.uuid } })).body.map((p: { id: number }) => p.id)).toEqual([project.id]);
    expect((await api.op('listProjects', { auth: '' })).status).toBe(401);
  });

  test('getProject answers viewers; members without a grant and other tenants get 404', async () => {
    expect((await api.op('getProject', { params: { id: project.id }, auth: viewer.auth })).body).toMatchObject({ id: project.id, uuid: project.uuid, name: 'Web' });
    expect((await api.op('getProject', { params: { id: project.id }, auth: member.auth })).status).toBe(404);
    expect((await api.op('getProject', { params: { id: project.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('getProject', { params: { id: 999999 } })).status).toBe(404);
  });

  test('updateProject replaces settings for project admins, bumps environment documents, and is 403 for viewers', async () => {
    const env = await createEnvironment(api, project.id);
    const revision = async () => (await api.testDb.db.kysely.selectFrom('environments').select('document_revision').where('id', '=', env.id).executeTakeFirstOrThrow()).document_revision;
    const before = await revision();
    const r = await api.op('updateProject', { params: { id: project.id }, body: { name: 'Website', hide_disabled_flags: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Website', hide_disabled_flags: true });
    expect(await revision()).toBe(before + 1);
    const denied = await api.op('updateProject', { params: { id: project.id }, body: { name: 'Mine' }, auth: viewer.auth });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect((await api.op('updateProject', { params: { id: project.id }, body: { name: 'Mine' }, auth: member.auth })).status).toBe(404);
  });

  test('partialUpdateProject changes only what is given and refuses a blank name', async () => {
    const r = await api.op('partialUpdateProject', { params: { id: project.id }, body: { hide_disabled_flags: false } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Website', hide_disabled_flags: false });
    const blank = await api.op('partialUpdateProject', { params: { id: project.id }, body: { name: ' ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.details.issues[0].path).toBe('body/name');
    expect((await api.op('partialUpdateProject', { params: { id: project.id }, body: { name: 'x' }, auth: rival.admin.auth })).status).toBe(404);
  });

  test('a project admin grant lets a plain member change the project', async () => {
    const own = await createProject(api, 'Delegated');
    await api.op('createProjectUserPermission', { params: { project_pk: own.id }, body: { user: member.id, permissions: [], admin: true } });
    expect((await api.op('partialUpdateProject', { params: { id: own.id }, body: { name: 'Delegated 2' }, auth: member.auth })).status).toBe(200);
  });

  test('deleteProject removes it with its environments, for project admins only', async () => {
    const doomed = await createProject(api, 'Doomed');
    const env = await createEnvironment(api, doomed.id);
    await api.op('createProjectUserPermission', { params: { project_pk: doomed.id }, body: { user: viewer.id, permissions: ['VIEW_PROJECT'] } });
    expect((await api.op('deleteProject', { params: { id: doomed.id }, auth: viewer.auth })).status).toBe(403);
    expect((await api.op('deleteProject', { params: { id: doomed.id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteProject', { params: { id: doomed.id } })).status).toBe(204);
    expect((await api.op('getProject', { params: { id: doomed.id } })).status).toBe(404);
    expect((await api.op('getEnvironment', { params: { api_key: env.api_key } })).status).toBe(404);
  });
});
