import { afterEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createOrganisationWithAdmin } from '../../../sync-server/modules/organisations/organisation-bootstrap.js';

/** A TestApi whose server has no user at all (TestApi.start makes an admin; this one does not). */
class EmptyServer extends TestApi {
  override async start(): Promise<this> {
    const { createTestDb } = await import('../../support/databases.js');
    const { buildApp } = await import('../../../sync-server/app/build-app.js');
    this.testDb = await createTestDb(this.dialect);
    this.built = await buildApp({ db: this.testDb.db, clock: this.clock });
    return this;
  }
}

const FIRST = { email: 'First@Example.com', password: 'a long password', first_name: 'Ada', last_name: 'Admin', organisation_name: 'Acme' };

describe.each(DIALECTS)('first run on %s', (dialect) => {
  let api: EmptyServer;
  afterEach(() => api.stop());

  test('an empty server creates its first admin with an organisation and signs them in', async () => {
    api = await new EmptyServer(dialect).start();
    expect(await api.op('getFirstRunStatus', { auth: '' })).toMatchObject({ status: 200, body: { needs_first_admin: true } });

    const created = await api.op('createFirstAdmin', { auth: '', body: FIRST });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ key: expect.any(String), organisation: expect.any(Number) });

    const token = `Token ${created.body.key}`;
    expect((await api.op('getCurrentUser', { auth: token })).body).toMatchObject({ email: 'first@example.com', first_name: 'Ada', last_name: 'Admin' });
    const orgs = await api.op('listOrganisations', { auth: token });
    expect(orgs.body.results).toEqual([expect.objectContaining({ id: created.body.organisation, name: 'Acme', role: 'ADMIN' })]);
    const audit = await api.op('listAuditLogs', { auth: token, query: { organisation: created.body.organisation } });
    expect(audit.body.results.map((e: { log: string }) => e.log)).toContain('Organisation created: Acme');
    expect((await api.op('getFirstRunStatus', { auth: '' })).body).toEqual({ needs_first_admin: false });
  });

  test('once any user exists the first-run create is refused and changes nothing', async () => {
    api = await new EmptyServer(dialect).start();
    await createOrganisationWithAdmin(api.testDb.db, api.clock, { email: 'ops@example.com', password: 'ops-password', organisationName: 'Ops' });
    const r = await api.op('createFirstAdmin', { auth: '', body: { ...FIRST, email: 'intruder@example.com' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringMatching(/already has users/) });
    expect((await api.op('login', { auth: '', body: { email: 'intruder@example.com', password: FIRST.password } })).status).toBe(400);
  });

  test('two requests racing on an empty server make exactly one administrator', async () => {
    api = await new EmptyServer(dialect).start();
    const [a, b] = await Promise.all([
      api.op('createFirstAdmin', { auth: '', body: { ...FIRST, email: 'a@example.com' } }),
      api.op('createFirstAdmin', { auth: '', body: { ...FIRST, email: 'b@example.com', organisation_name: 'Other' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 400]);
    const users = await api.testDb.db.kysely.selectFrom('users').select('email').execute();
    expect(users).toHaveLength(1);
    const orgs = await api.testDb.db.kysely.selectFrom('organisations').select('name').execute();
    expect(orgs).toHaveLength(1);
  });

  test('bad input names the field and creates nothing', async () => {
    api = await new EmptyServer(dialect).start();
    const short = await api.op('createFirstAdmin', { auth: '', body: { ...FIRST, password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.details.issues).toEqual([expect.objectContaining({ path: 'body/password' })]);
    const blank = await api.op('createFirstAdmin', { auth: '', body: { ...FIRST, organisation_name: '   ' } });
    expect(blank.body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ path: 'body/organisation_name', message: 'must not be blank' }] } });
    const email = await api.op('createFirstAdmin', { auth: '', body: { ...FIRST, email: 'not-an-email' } });
    expect(email.body.details.issues).toEqual([expect.objectContaining({ path: 'body/email' })]);
    expect((await api.op('getFirstRunStatus', { auth: '' })).body).toEqual({ needs_first_admin: true });
  });
});
