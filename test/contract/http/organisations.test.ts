import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

describe.each(DIALECTS)('organisation routes on %s', (dialect) => {
  const api = new TestApi(dialect);
  let member: TestUser;
  let rival: { organisationId: number; admin: TestUser };
  const org = () => ({ id: api.organisationId });
  const orgPk = () => ({ organisation_pk: api.organisationId });

  beforeAll(async () => {
    await api.start();
    member = await addMember(api, 'member@example.com');
    rival = await otherOrganisation(api);
  });
  afterAll(() => api.stop());

  async function auditTypes(): Promise<string[]> {
    const rows = await api.testDb.db.kysely.selectFrom('audit_log').select('related_object_type').where('organisation_id', '=', api.organisationId).execute();
    return rows.map((r) => r.related_object_type);
  }

  test('listOrganisations pages the caller’s organisations with their role and plan limits', async () => {
    const r = await api.op('listOrganisations');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 1, next: null, previous: null });
    expect(r.body.results[0]).toMatchObject({ id: api.organisationId, name: 'Acme', role: 'ADMIN', plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, subscription: { plan: 'free' } });
    const asMember = await api.op('listOrganisations', { auth: member.auth });
    expect(asMember.body.results.map((o: { role: string }) => o.role)).toEqual(['USER']);
    expect((await api.op('listOrganisations', { auth: '' })).status).toBe(401);
  });

  test('createOrganisation makes the creator its admin; API keys and blank names are refused', async () => {
    const r = await api.op('createOrganisation', { body: { name: 'Side project' }, auth: member.auth });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Side project', role: 'ADMIN', persist_trait_data: true });
    const mine = await api.op('listOrganisations', { auth: member.auth });
    expect(mine.body.count).toBe(2);
    const blank = await api.op('createOrganisation', { body: { name: '   ' } });
    expect(blank.status).toBe(400);
    expect(blank.body.details.issues[0].path).toBe('body/name');
    const key = await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: 'ci' } });
    const byKey = await api.op('createOrganisation', { body: { name: 'Nope' }, auth: `Api-Key ${key.body.key}` });
    expect(byKey.status).toBe(403);
  });

  test('getOrganisation answers members and hides the organisation from other tenants', async () => {
    expect((await api.op('getOrganisation', { params: org() })).body.name).toBe('Acme');
    expect((await api.op('getOrganisation', { params: org(), auth: member.auth })).status).toBe(200);
    const foreign = await api.op('getOrganisation', { params: org(), auth: rival.admin.auth });
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NOT_FOUND');
  });

  test('updateOrganisation replaces settings for admins only and needs a name', async () => {
    const r = await api.op('updateOrganisation', { params: org(), body: { name: 'Acme Inc', persist_trait_data: false } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Acme Inc', persist_trait_data: false });
    expect((await api.op('updateOrganisation', { params: org(), body: { name: 'Mine' }, auth: member.auth })).status).toBe(403);
    const missing = await api.op('updateOrganisation', { params: org(), body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.details.issues[0].path).toBe('body/name');
    expect(await auditTypes()).toContain('ORGANISATION');
  });

  test('partialUpdateOrganisation changes only what is given; other tenants get 404', async () => {
    const r = await api.op('partialUpdateOrganisation', { params: org(), body: { persist_trait_data: true } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Acme Inc', persist_trait_data: true });
    expect((await api.op('partialUpdateOrganisation', { params: org(), body: { name: 'Taken' }, auth: rival.admin.auth })).status).toBe(404);
  });

  test('updateOrganisationPlanLimits sets the limits shown on the organisation, for admins only', async () => {
    const r = await api.op('updateOrganisationPlanLimits', { params: org(), body: { plan_name: 'enterprise', max_segment_overrides_per_environment: 5, feature_history_visibility_days: 30 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ plan_name: 'enterprise', max_segment_overrides_per_environment: 5, feature_history_visibility_days: 30, subscription: { plan: 'enterprise' } });
    const unlimited = await api.op('updateOrganisationPlanLimits', { params: org(), body: { feature_history_visibility_days: null } });
    expect(unlimited.body).toMatchObject({ max_segment_overrides_per_environment: 5, feature_history_visibility_days: null });
    expect(await api.built.services.organisations.planLimits(api.organisationId)).toEqual({ planName: 'enterprise', maxSegmentOverridesPerEnvironment: 5, featureHistoryVisibilityDays: null });
    expect((await api.op('updateOrganisationPlanLimits', { params: org(), body: { plan_name: 'free' }, auth: member.auth })).status).toBe(403);
    const negative = await api.op('updateOrganisationPlanLimits', { params: org(), body: { max_segment_overrides_per_environment: -1 } });
    expect(negative.status).toBe(400);
    expect(negative.body.details.issues[0].path).toBe('body/max_segment_overrides_per_environment');
  });

  test('listOrganisationUsers lists members with roles; other tenants get 404', async () => {
    const r = await api.op('listOrganisationUsers', { params: orgPk(), auth: member.auth });
    expect(r.status).toBe(200);
    expect(r.body.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([
      ['admin@example.com', 'ADMIN'],
      ['member@example.com', 'USER'],
    ]);
    expect((await api.op('listOrganisationUsers', { params: orgPk(), auth: rival.admin.auth })).status).toBe(404);
  });

  test('createOrganisationUser creates an account with a hashed password, or adds an existing one by email', async () => {
    const r = await api.op('createOrganisationUser', { params: orgPk(), body: { email: 'New.Person@Example.com', password: 'long-enough', first_name: 'New', last_name: 'Person', role: 'ADMIN' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email: 'new.person@example.com', first_name: 'New', role: 'ADMIN' });
    const row = await api.testDb.db.kysely.selectFrom('users').select('password_hash').where('email', '=', 'new.person@example.com').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(await api.login('new.person@example.com', 'long-enough')).toBeTruthy();

    const existing = await api.op('createOrganisationUser', { params: { organisation_pk: rival.organisationId }, body: { email: 'member@example.com' }, auth: rival.admin.auth });
    expect(existing.status).toBe(201);
    expect(existing.body).toMatchObject({ id: member.id, role: 'USER' });
    expect(await auditTypes()).toContain('USER');
  });

  test('createOrganisationUser refuses missing passwords, duplicates, short passwords and non-admins', async () => {
    const noPassword = await api.op('createOrganisationUser', { params: orgPk(), body: { email: 'ghost@example.com' } });
    expect(noPassword.status).toBe(400);
    expect(noPassword.body.details.issues[0].path).toBe('body/password');
    const again = await api.op('createOrganisationUser', { params: orgPk(), body: { email: 'member@example.com' } });
    expect(again.status).toBe(400);
    expect(again.body.details.issues[0].path).toBe('body/email');
    const short = await api.op('createOrganisationUser', { params: orgPk(), body: { email: 'short@example.com', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.details.issues[0].path).toBe('body/password');
    const byMember = await api.op('createOrganisationUser', { params: orgPk(), body: { email: 'x@example.com', password: 'long-enough' }, auth: member.auth });
    expect(byMember.status).toBe(403);
    const none = await api.testDb.db.kysely.selectFrom('users').select('id').where('email', 'in', ['ghost@example.com', 'short@example.com', 'x@example.com']).execute();
    expect(none).toEqual([]);
  });

  test('updateOrganisationUserRole promotes and demotes, but never the last admin', async () => {
    const solo = new TestApi(dialect);
    await solo.start();
    try {
      const admins = await solo.op('listOrganisationUsers', { params: { organisation_pk: solo.organisationId } });
      const adminId = admins.body[0].id;
      const last = await solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: adminId }, body: { role: 'USER' } });
      expect(last.status).toBe(400);
      expect(last.body.details.reason).toBe('LAST_ADMIN');
      const other = await addMember(solo, 'second@example.com');
      const third = await addMember(solo, 'third@example.com', 'ADMIN');
      const promoted = await solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: other.id }, body: { role: 'ADMIN' } });
      expect(promoted).toMatchObject({ status: 200, body: { id: other.id, role: 'ADMIN' } });
      const demoted = await solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: adminId }, body: { role: 'USER' } });
      expect(demoted.body.role).toBe('USER');
      const missing = await solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: 99999 }, body: { role: 'USER' }, auth: other.auth });
      expect(missing.status).toBe(404);

      // Two admins demoting each other at once: one wins, the organisation keeps an admin.
      const race = await Promise.all([
        solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: other.id }, body: { role: 'USER' }, auth: third.auth }),
        solo.op('updateOrganisationUserRole', { params: { organisation_pk: solo.organisationId, user_id: third.id }, body: { role: 'USER' }, auth: other.auth }),
      ]);
      // The loser is refused either as the last admin (400) or, if it ran second, as no longer an admin (403).
      expect(race.filter((r) => r.status === 200)).toHaveLength(1);
      expect(race.filter((r) => r.status === 400 || r.status === 403)).toHaveLength(1);
      const roles = await solo.op('listOrganisationUsers', { params: { organisation_pk: solo.organisationId }, auth: race[0].status === 200 ? third.auth : other.auth });
      expect(roles.body.filter((u: { role: string }) => u.role === 'ADMIN')).toHaveLength(1);
    } finally {
      await solo.stop();
    }
  });

  test('removeOrganisationUsers removes members with their grants, but not the last admin', async () => {
    const leaver = await addMember(api, 'leaver@example.com');
    const project = await createProject(api, 'Leavers');
    const env = await createEnvironment(api, project.id);
    await api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: leaver.id, permissions: ['VIEW_PROJECT'] } });
    await api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: leaver.id, permissions: ['VIEW_ENVIRONMENT'] } });

    const r = await api.op('removeOrganisationUsers', { params: org(), body: [{ id: leaver.id }] });
    expect(r).toMatchObject({ status: 200, body: [{ id: leaver.id }] });
    const k = api.testDb.db.kysely;
    expect(await k.selectFrom('user_project_permissions').select('id').where('user_id', '=', leaver.id).execute()).toEqual([]);
    expect(await k.selectFrom('user_environment_permissions').select('id').where('user_id', '=', leaver.id).execute()).toEqual([]);
    expect((await api.op('getOrganisation', { params: org(), auth: leaver.auth })).status).toBe(404);

    const notMember = await api.op('removeOrganisationUsers', { params: org(), body: [{ id: leaver.id }] });
    expect(notMember.status).toBe(400);
    expect(notMember.body.details.issues[0].path).toBe('body/0/id');
    const lastAdmin = await api.op('removeOrganisationUsers', { params: { id: rival.organisationId }, body: [{ id: rival.admin.id }], auth: rival.admin.auth });
    expect(lastAdmin.status).toBe(400);
    expect(lastAdmin.body.details.reason).toBe('LAST_ADMIN');
    expect((await api.op('removeOrganisationUsers', { params: org(), body: [{ id: member.id }], auth: member.auth })).status).toBe(403);
  });

  test('createOrganisationApiKey shows the key once and stores only its SHA-256 hash', async () => {
    const r = await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: 'deploy bot', expires_at: '2030-01-01T00:00:00Z' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'deploy bot', is_admin: true, revoked: false, has_expired: false, expiry_date: '2030-01-01T00:00:00.000Z' });
    expect(r.body.key.startsWith(`${r.body.prefix}.`)).toBe(true);
    const row = await api.testDb.db.kysely.selectFrom('organisation_api_keys').selectAll().where('prefix', '=', r.body.prefix).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(createHash('sha256').update(r.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(r.body.key);
    const blank = await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: '' } });
    expect(blank.status).toBe(400);
    expect(blank.body.details.issues[0].path).toBe('body/name');
    expect((await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: 'mine' }, auth: member.auth })).status).toBe(403);
    expect(await auditTypes()).toContain('API_KEY');
  });

  test('listOrganisationApiKeys lists prefixes without secrets, for admins of the organisation only', async () => {
    const r = await api.op('listOrganisationApiKeys', { params: orgPk() });
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThan(0);
    for (const key of r.body.results) expect(key).not.toHaveProperty('key');
    expect((await api.op('listOrganisationApiKeys', { params: orgPk(), auth: member.auth })).status).toBe(403);
    expect((await api.op('listOrganisationApiKeys', { params: orgPk(), auth: rival.admin.auth })).status).toBe(404);
  });

  test('an organisation API key authenticates as admin until revokeOrganisationApiKey; then it is 401', async () => {
    const created = await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: 'short-lived' } });
    const auth = `Api-Key ${created.body.key}`;
    expect((await api.op('getOrganisation', { params: org(), auth })).body.role).toBe('ADMIN');
    expect((await api.op('createProject', { body: { name: 'By key', organisation: api.organisationId }, auth })).status).toBe(201);
    expect((await api.op('getOrganisation', { params: { id: rival.organisationId }, auth })).status).toBe(404);

    expect((await api.op('revokeOrganisationApiKey', { params: { ...orgPk(), prefix: created.body.prefix }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('revokeOrganisationApiKey', { params: { ...orgPk(), prefix: created.body.prefix }, auth: member.auth })).status).toBe(403);
    const revoked = await api.op('revokeOrganisationApiKey', { params: { ...orgPk(), prefix: created.body.prefix } });
    expect(revoked.status).toBe(204);
    expect((await api.op('getOrganisation', { params: org(), auth })).status).toBe(401);
    const list = await api.op('listOrganisationApiKeys', { params: orgPk() });
    expect(list.body.results.map((k: { prefix: string }) => k.prefix)).not.toContain(created.body.prefix);
    expect((await api.op('revokeOrganisationApiKey', { params: { ...orgPk(), prefix: created.body.prefix } })).status).toBe(404);
  });

  test('a non-admin organisation API key sees nothing it was not granted', async () => {
    const created = await api.op('createOrganisationApiKey', { params: orgPk(), body: { name: 'reader', is_admin: false } });
    const auth = `Api-Key ${created.body.key}`;
    expect((await api.op('getOrganisation', { params: org(), auth })).body.role).toBe('USER');
    expect((await api.op('updateOrganisation', { params: org(), body: { name: 'Hijack' }, auth })).status).toBe(403);
  });

  test('deleteOrganisation of an organisation with enabled webhooks deletes it and records the deletion', async () => {
    const id = (await api.op('createOrganisation', { body: { name: 'Hooked' } })).body.id;
    const project = await createProject(api, 'Hooked project', undefined, id);
    const env = await createEnvironment(api, project.id, 'Hooked env');
    expect((await api.op('createOrganisationWebhook', { params: { organisation_pk: id }, body: { url: 'http://127.0.0.1:9/audit', enabled: true } })).status).toBe(201);
    expect((await api.op('createEnvironmentWebhook', { params: { api_key: env.api_key }, body: { url: 'http://127.0.0.1:9/flags', enabled: true } })).status).toBe(201);
    const r = await api.op('deleteOrganisation', { params: { id } });
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await api.op('getOrganisation', { params: { id } })).status).toBe(404);
    const k = api.testDb.db.kysely;
    expect(await k.selectFrom('webhooks').select('id').where('organisation_id', '=', id).execute()).toEqual([]);
    expect(await k.selectFrom('projects').select('id').where('organisation_id', '=', id).execute()).toEqual([]);
  });

  test('deleteOrganisation removes it with its projects for admins only', async () => {
    const created = await api.op('createOrganisation', { body: { name: 'Doomed' } });
    const id = created.body.id;
    await api.op('createProject', { body: { name: 'Doomed project', organisation: id } });
    await api.op('createOrganisationUser', { params: { organisation_pk: id }, body: { email: 'member@example.com' } });
    expect((await api.op('deleteOrganisation', { params: { id }, auth: member.auth })).status).toBe(403);
    expect((await api.op('deleteOrganisation', { params: { id }, auth: rival.admin.auth })).status).toBe(404);
    expect((await api.op('deleteOrganisation', { params: { id } })).status).toBe(204);
    expect((await api.op('getOrganisation', { params: { id } })).status).toBe(404);
    const projects = await api.testDb.db.kysely.selectFrom('projects').select('id').where('organisation_id', '=', id).execute();
    expect(projects).toEqual([]);
  });
});
