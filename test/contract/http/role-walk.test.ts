/**
 * The role walk: every route of the route table, called by every kind of caller, answers allow or deny as
 * the permission model says. Module contract tests check each route's behaviour in depth; this one checks
 * that no route forgot its authorisation, across the whole API at once.
 *
 * Callers (organisation A unless said otherwise):
 * - `orgAdmin`: organisation admin;
 * - `projectAdmin`: plain member with project admin on project P;
 * - `envAdmin`: plain member with VIEW_PROJECT on P and environment admin on environment E;
 * - `viewer`: plain member with VIEW_PROJECT on P and VIEW_ENVIRONMENT on E;
 * - `member`: plain member with no grants;
 * - `rival`: admin of another organisation;
 * - `anonymous`: no credentials.
 *
 * Allowed means a 2xx answer (or the statuses a case lists, e.g. a state precondition); denied means 403
 * where the caller can see the object and 404 where it cannot (tenants are isolated by 404); anonymous
 * callers get 401. Each call gets fresh objects where it would consume them (deletes, one-per-user grants).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { routeTable, type OperationId } from '../../../src-shared/contracts/http/route-table.js';
import { TestApi, type CallOptions } from '../../support/api-harness.js';
import { addMember, createEnvironment, createProject, otherOrganisation, type TestUser } from '../../support/tenancy.js';

const ROLES = ['orgAdmin', 'projectAdmin', 'envAdmin', 'viewer', 'member', 'rival', 'anonymous'] as const;
type Role = (typeof ROLES)[number];

/** What a route requires. Project / environment permissions use Flagsmith's keys, or ADMIN. */
type Need =
  | { kind: 'public' }
  | { kind: 'signedIn' }
  | { kind: 'orgMember' }
  | { kind: 'orgAdmin' }
  | { kind: 'project'; perm: string }
  | { kind: 'env'; perm: string };

type Outcome = 'allow' | 401 | 403 | 404 | 400;

interface World {
  api: TestApi;
  users: Record<Exclude<Role, 'anonymous' | 'orgAdmin' | 'rival'>, TestUser>;
  rival: { organisationId: number; admin: TestUser };
  org: number;
  project: number;
  env: { id: number; api_key: string };
  unique(prefix: string): string;
}

interface WalkCase {
  need: Need;
  /** Params, query and body of one call; called once per caller, so it may create fresh objects. */
  call: (w: World, role: Role) => Promise<CallOptions> | CallOptions;
  /** Deviations from the outcome the need implies, e.g. a body reference that is a 400 for another tenant. */
  expect?: Partial<Record<Role, Outcome>>;
  /** Statuses besides 2xx that still mean "authorised" (a state precondition checked after authorisation). */
  allowStatuses?: number[];
}

const VIEW_PROJECT = 'VIEW_PROJECT';
const VIEW_ENVIRONMENT = 'VIEW_ENVIRONMENT';

/** The outcome the permission model gives a caller for a need. */
function expectedOutcome(need: Need, role: Role): Outcome {
  if (need.kind === 'public') return 'allow';
  if (role === 'anonymous') return 401;
  if (need.kind === 'signedIn') return 'allow';
  if (role === 'rival') return 404;
  if (role === 'orgAdmin') return 'allow';
  if (need.kind === 'orgMember') return 'allow';
  if (need.kind === 'orgAdmin') return 403;
  if (role === 'member') return 404;
  if (role === 'projectAdmin') return 'allow';
  if (need.kind === 'project') return need.perm === VIEW_PROJECT ? 'allow' : 403;
  if (role === 'envAdmin') return 'allow';
  return need.perm === VIEW_ENVIRONMENT ? 'allow' : 403;
}

const P = (perm: string): Need => ({ kind: 'project', perm });
const E = (perm: string): Need => ({ kind: 'env', perm });
const ORG_ADMIN: Need = { kind: 'orgAdmin' };

// ---- builders of fresh objects, made by the organisation admin ------------------------------------

async function ok<T = any>(w: World, op: OperationId, options: CallOptions): Promise<T> {
  const r = await w.api.op<T>(op, options);
  if (r.status >= 300) throw new Error(`${op} failed while arranging the walk: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const freshUser = (w: World) => ok<{ id: number }>(w, 'createOrganisationUser', { params: { organisation_pk: w.org }, body: { email: `${w.unique('u')}@example.com`, password: 'member-password' } });
const freshProject = (w: World) => ok<{ id: number }>(w, 'createProject', { body: { name: w.unique('project'), organisation: w.org } });
const freshEnvironment = (w: World) => ok<{ api_key: string }>(w, 'createEnvironment', { body: { name: w.unique('env'), project: w.project } });
const freshEnvWebhook = (w: World) => ok<{ id: number }>(w, 'createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
const freshOrgWebhook = (w: World) => ok<{ id: number }>(w, 'createOrganisationWebhook', { params: { organisation_pk: w.org }, body: { url: 'http://127.0.0.1:9/hook' } });

/** An organisation of A's admin where every plain caller of the walk is a member, so denials are 403, not 404. */
async function freshOrganisation(w: World): Promise<number> {
  const org = await ok<{ id: number }>(w, 'createOrganisation', { body: { name: w.unique('org') } });
  for (const u of Object.values(w.users)) await ok(w, 'createOrganisationUser', { params: { organisation_pk: org.id }, body: { email: u.email } });
  return org.id;
}

/** A grant for a fresh user, on the walk's project or environment. */
async function freshProjectGrant(w: World): Promise<{ id: number; user: number }> {
  const u = await freshUser(w);
  return ok(w, 'createProjectUserPermission', { params: { project_pk: w.project }, body: { user: u.id, permissions: [VIEW_PROJECT] } });
}
async function freshEnvGrant(w: World): Promise<{ id: number; user: number }> {
  const u = await freshUser(w);
  return ok(w, 'createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: u.id, permissions: [VIEW_ENVIRONMENT] } });
}

/** A webhook delivery of the walk's environment webhook, written with its event row as the outbox would. */
async function pendingDelivery(w: World, webhookId: number): Promise<number> {
  const deliveries = await ok<{ results: { id: number }[] }>(w, 'listEnvironmentWebhookDeliveries', { params: { api_key: w.env.api_key, id: webhookId } });
  if (deliveries.results[0]) return deliveries.results[0].id;
  const k = w.api.testDb.db.kysely;
  const now = w.api.clock.now().toISOString();
  const event = await k
    .insertInto('events')
    .values({ uuid: w.unique('event'), event_type: 'FLAG_UPDATED', organisation_id: w.org, environment_id: w.env.id, data_json: '{}', created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const delivery = await k
    .insertInto('webhook_deliveries')
    .values({
      uuid: w.unique('delivery'), event_id: event.id, webhook_id: webhookId, sequence: 1, idempotency_key: w.unique('key'), status: 'dead', attempts: 5, max_attempts: 5,
      next_attempt_at: now, locked_by: null, locked_until: null, last_status_code: 500, last_error: null, created_at: now, updated_at: now, completed_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return delivery.id;
}

// ---- every route ---------------------------------------------------------------------------------

const cases: Record<OperationId, WalkCase> = {
  getHealth: { need: { kind: 'public' }, call: () => ({}) },
  login: { need: { kind: 'public' }, call: () => ({ body: { email: 'admin@example.com', password: 'admin-password' } }) },
  logout: { need: { kind: 'signedIn' }, call: () => ({}) },
  getCurrentUser: { need: { kind: 'signedIn' }, call: () => ({}) },

  listOrganisations: { need: { kind: 'signedIn' }, call: () => ({}) },
  createOrganisation: { need: { kind: 'signedIn' }, call: (w) => ({ body: { name: w.unique('org') } }) },
  getOrganisation: { need: { kind: 'orgMember' }, call: (w) => ({ params: { id: w.org } }) },
  updateOrganisation: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { name: 'Acme' } }) },
  partialUpdateOrganisation: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { persist_trait_data: true } }) },
  deleteOrganisation: { need: ORG_ADMIN, call: async (w) => ({ params: { id: await freshOrganisation(w) } }) },
  updateOrganisationPlanLimits: { need: ORG_ADMIN, call: (w) => ({ params: { id: w.org }, body: { max_segment_overrides_per_environment: 100 } }) },
  listOrganisationUsers: { need: { kind: 'orgMember' }, call: (w) => ({ params: { organisation_pk: w.org } }) },
  createOrganisationUser: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { email: `${w.unique('new')}@example.com`, password: 'member-password' } }) },
  updateOrganisationUserRole: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, user_id: (await freshUser(w)).id }, body: { role: 'USER' } }) },
  removeOrganisationUsers: { need: ORG_ADMIN, call: async (w) => ({ params: { id: w.org }, body: [{ id: (await freshUser(w)).id }] }) },
  listOrganisationApiKeys: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },
  createOrganisationApiKey: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { name: 'ci' } }) },
  revokeOrganisationApiKey: {
    need: ORG_ADMIN,
    call: async (w) => ({ params: { organisation_pk: w.org, prefix: (await ok<{ prefix: string }>(w, 'createOrganisationApiKey', { params: { organisation_pk: w.org }, body: { name: 'doomed' } })).prefix } }),
  },
  listOrganisationEmails: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },

  listAuditLogs: { need: { kind: 'signedIn' }, call: () => ({}) },
  getAuditLog: {
    need: ORG_ADMIN,
    call: async (w) => ({ params: { id: (await ok<{ results: { id: number }[] }>(w, 'listProjectAuditLogs', { params: { project_pk: w.project } })).results[0]!.id } }),
    // An entry is shown to those who may read its project's log; to everyone else it does not exist.
    expect: { projectAdmin: 'allow', envAdmin: 404, viewer: 404, member: 404 },
  },
  listProjectAuditLogs: { need: P('VIEW_AUDIT_LOG'), call: (w) => ({ params: { project_pk: w.project } }) },
  getAuditLogIntegrity: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },

  listProjects: { need: { kind: 'signedIn' }, call: () => ({}) },
  createProject: {
    need: ORG_ADMIN,
    call: (w) => ({ body: { name: w.unique('project'), organisation: w.org } }),
    // The organisation is a body field: one the caller cannot see is a bad field.
    expect: { rival: 400 },
  },
  getProject: { need: P(VIEW_PROJECT), call: (w) => ({ params: { id: w.project } }) },
  updateProject: { need: P('ADMIN'), call: (w) => ({ params: { id: w.project }, body: { name: 'Web' } }) },
  partialUpdateProject: { need: P('ADMIN'), call: (w) => ({ params: { id: w.project }, body: { hide_disabled_flags: false } }) },
  deleteProject: {
    need: P('ADMIN'),
    call: async (w, role) => {
      const project = await freshProject(w);
      // Give the plain callers the same grants on the fresh project as on P, so the walk checks 403s too.
      for (const [name, u] of Object.entries(w.users)) {
        if (name === 'member' || role === 'orgAdmin') continue;
        await ok(w, 'createProjectUserPermission', { params: { project_pk: project.id }, body: { user: u.id, permissions: [VIEW_PROJECT], admin: name === 'projectAdmin' } });
      }
      return { params: { id: project.id } };
    },
  },
  getMyProjectPermissions: { need: P(VIEW_PROJECT), call: (w) => ({ params: { id: w.project } }) },

  listEnvironments: { need: { kind: 'signedIn' }, call: () => ({}) },
  createEnvironment: {
    need: P('CREATE_ENVIRONMENT'),
    call: (w) => ({ body: { name: w.unique('env'), project: w.project } }),
    expect: { rival: 400, member: 400 },
  },
  getEnvironment: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  updateEnvironment: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { name: 'Development' } }) },
  partialUpdateEnvironment: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { allow_client_traits: true } }) },
  deleteEnvironment: {
    need: E('ADMIN'),
    call: async (w) => {
      const env = await freshEnvironment(w);
      for (const [name, u] of Object.entries(w.users)) {
        if (name === 'member' || name === 'projectAdmin') continue;
        await ok(w, 'createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: u.id, permissions: [VIEW_ENVIRONMENT], admin: name === 'envAdmin' } });
      }
      return { params: { api_key: env.api_key } };
    },
  },
  listEnvironmentApiKeys: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentApiKey: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { name: 'server' } }) },
  updateEnvironmentApiKey: {
    need: E('ADMIN'),
    call: async (w) => ({ params: { api_key: w.env.api_key, id: (await ok<{ id: number }>(w, 'createEnvironmentApiKey', { params: { api_key: w.env.api_key }, body: { name: 'k' } })).id }, body: { name: 'renamed' } }),
  },
  deleteEnvironmentApiKey: {
    need: E('ADMIN'),
    call: async (w) => ({ params: { api_key: w.env.api_key, id: (await ok<{ id: number }>(w, 'createEnvironmentApiKey', { params: { api_key: w.env.api_key }, body: { name: 'k' } })).id } }),
  },

  listProjectUserPermissions: { need: P('ADMIN'), call: (w) => ({ params: { project_pk: w.project } }) },
  createProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project }, body: { user: (await freshUser(w)).id, permissions: [VIEW_PROJECT] } }) },
  updateProjectUserPermission: {
    need: P('ADMIN'),
    call: async (w) => {
      const grant = await freshProjectGrant(w);
      return { params: { project_pk: w.project, id: grant.id }, body: { user: grant.user, permissions: [VIEW_PROJECT] } };
    },
  },
  partialUpdateProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshProjectGrant(w)).id }, body: { permissions: [VIEW_PROJECT, 'CREATE_FEATURE'] } }) },
  deleteProjectUserPermission: { need: P('ADMIN'), call: async (w) => ({ params: { project_pk: w.project, id: (await freshProjectGrant(w)).id } }) },
  listEnvironmentUserPermissions: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key }, body: { user: (await freshUser(w)).id, permissions: [VIEW_ENVIRONMENT] } }) },
  updateEnvironmentUserPermission: {
    need: E('ADMIN'),
    call: async (w) => {
      const grant = await freshEnvGrant(w);
      return { params: { api_key: w.env.api_key, id: grant.id }, body: { user: grant.user, permissions: [VIEW_ENVIRONMENT] } };
    },
  },
  partialUpdateEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvGrant(w)).id }, body: { permissions: [VIEW_ENVIRONMENT, 'VIEW_IDENTITIES'] } }) },
  deleteEnvironmentUserPermission: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvGrant(w)).id } }) },
  getMyEnvironmentPermissions: { need: E(VIEW_ENVIRONMENT), call: (w) => ({ params: { api_key: w.env.api_key } }) },

  listEnvironmentWebhooks: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key } }) },
  createEnvironmentWebhook: { need: E('ADMIN'), call: (w) => ({ params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } }) },
  updateEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id }, body: { url: 'http://127.0.0.1:9/other' } }) },
  partialUpdateEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id }, body: { enabled: false } }) },
  deleteEnvironmentWebhook: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id } }) },
  listEnvironmentWebhookDeliveries: { need: E('ADMIN'), call: async (w) => ({ params: { api_key: w.env.api_key, id: (await freshEnvWebhook(w)).id } }) },
  redeliverEnvironmentWebhookDelivery: {
    need: E('ADMIN'),
    call: async (w) => {
      const webhook = await freshEnvWebhook(w);
      return { params: { api_key: w.env.api_key, id: webhook.id, delivery_id: await pendingDelivery(w, webhook.id) } };
    },
  },
  listOrganisationWebhooks: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org } }) },
  createOrganisationWebhook: { need: ORG_ADMIN, call: (w) => ({ params: { organisation_pk: w.org }, body: { url: 'http://127.0.0.1:9/hook' } }) },
  updateOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id }, body: { url: 'http://127.0.0.1:9/other' } }) },
  partialUpdateOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id }, body: { enabled: false } }) },
  deleteOrganisationWebhook: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id } }) },
  listOrganisationWebhookDeliveries: { need: ORG_ADMIN, call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id } }) },
  redeliverOrganisationWebhookDelivery: {
    need: ORG_ADMIN,
    // No event has reached this webhook: an unknown delivery id is a 404 once the caller is authorised.
    call: async (w) => ({ params: { organisation_pk: w.org, id: (await freshOrgWebhook(w)).id, delivery_id: 2147483647 } }),
    allowStatuses: [404],
    expect: { rival: 404 },
  },
};

describe('role walk: every route, every kind of caller', () => {
  const api = new TestApi('sqlite');
  let w: World;
  let counter = 0;

  beforeAll(async () => {
    await api.start();
    const users = {
      projectAdmin: await addMember(api, 'project-admin@example.com'),
      envAdmin: await addMember(api, 'env-admin@example.com'),
      viewer: await addMember(api, 'viewer@example.com'),
      member: await addMember(api, 'member@example.com'),
    };
    const project = await createProject(api, 'Walk');
    const env = await createEnvironment(api, project.id, 'Walk env');
    const grantProject = (user: TestUser, permissions: string[], admin = false) => api.op('createProjectUserPermission', { params: { project_pk: project.id }, body: { user: user.id, permissions, admin } });
    const grantEnv = (user: TestUser, permissions: string[], admin = false) => api.op('createEnvironmentUserPermission', { params: { api_key: env.api_key }, body: { user: user.id, permissions, admin } });
    await grantProject(users.projectAdmin, [], true);
    await grantProject(users.envAdmin, [VIEW_PROJECT]);
    await grantEnv(users.envAdmin, [], true);
    await grantProject(users.viewer, [VIEW_PROJECT]);
    await grantEnv(users.viewer, [VIEW_ENVIRONMENT]);
    w = { api, users, rival: await otherOrganisation(api), org: api.organisationId, project: project.id, env, unique: (prefix) => `${prefix}-${++counter}` };
  });
  afterAll(() => api.stop());

  test('every operation of the route table is in the walk', () => {
    expect(Object.keys(routeTable).filter((op) => !(op in cases))).toEqual([]);
  });

  async function authFor(role: Role, op: OperationId): Promise<string> {
    if (role === 'anonymous') return '';
    const email = role === 'orgAdmin' ? 'admin@example.com' : role === 'rival' ? w.rival.admin.email : w.users[role].email;
    const password = role === 'orgAdmin' ? 'admin-password' : role === 'rival' ? 'rival-password' : 'member-password';
    // Logging out ends the token it is called with: give that call a token of its own.
    if (op === 'logout') return `Token ${await api.login(email, password)}`;
    return role === 'orgAdmin' ? api.adminToken : role === 'rival' ? w.rival.admin.auth : w.users[role].auth;
  }

  test.each(Object.keys(cases) as OperationId[])('%s allows and denies as the permission model says', async (op) => {
    const c = cases[op];
    const mismatches: string[] = [];
    for (const role of ROLES) {
      const expected = c.expect?.[role] ?? expectedOutcome(c.need, role);
      const options = await c.call(w, role);
      const r = await api.op(op, { ...options, auth: await authFor(role, op) });
      const allowed = (r.status >= 200 && r.status < 300) || (c.allowStatuses ?? []).includes(r.status);
      const ok = expected === 'allow' ? allowed : r.status === expected;
      if (!ok || r.status >= 500) mismatches.push(`${role}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
