import { createOrganisationWithAdmin } from '../../sync-server/modules/organisations/organisation-bootstrap.js';
import type { TestApi } from './api-harness.js';

/** A signed-in user: their id and an `Authorization` header value. */
export interface TestUser {
  id: number;
  email: string;
  auth: string;
}

/** Adds a user to the harness organisation (through the API, as its admin) and signs them in. */
export async function addMember(api: TestApi, email: string, role: 'ADMIN' | 'USER' = 'USER'): Promise<TestUser> {
  const r = await api.op('createOrganisationUser', { params: { organisation_pk: api.organisationId }, body: { email, password: 'member-password', role } });
  if (r.status !== 201) throw new Error(`createOrganisationUser failed: ${JSON.stringify(r.body)}`);
  return { id: r.body.id, email, auth: `Token ${await api.login(email, 'member-password')}` };
}

/** A second organisation with its own admin, created the way the server's first start does. */
export async function otherOrganisation(api: TestApi, email = 'rival@example.com'): Promise<{ organisationId: number; admin: TestUser }> {
  const { organisationId, userId } = await createOrganisationWithAdmin(api.testDb.db, api.clock, { email, password: 'rival-password', organisationName: 'Rival' });
  return { organisationId, admin: { id: userId, email, auth: `Token ${await api.login(email, 'rival-password')}` } };
}

export async function createProject(api: TestApi, name = 'Web', auth?: string, organisation = api.organisationId): Promise<{ id: number; uuid: string }> {
  const r = await api.op('createProject', { body: { name, organisation }, ...(auth ? { auth } : {}) });
  if (r.status !== 201) throw new Error(`createProject failed: ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function createEnvironment(api: TestApi, project: number, name = 'Development', auth?: string): Promise<{ id: number; api_key: string }> {
  const r = await api.op('createEnvironment', { body: { name, project }, ...(auth ? { auth } : {}) });
  if (r.status !== 201) throw new Error(`createEnvironment failed: ${JSON.stringify(r.body)}`);
  return r.body;
}
