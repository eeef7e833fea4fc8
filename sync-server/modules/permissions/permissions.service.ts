import type { Db, DbExecutor } from '../../platform/database/database.js';
import { ADMIN, EnvironmentPermission, OrganisationRole, ProjectPermission } from '../../../src-shared/domain/permissions/permissions.js';
import { notFound, preconditionFailed, validationFailed } from '../../../src-shared/errors/app-error.js';
import type { UserPermissionListItemWire, UserPermissionWire } from '../../../src-shared/contracts/http/permissions.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import { AuditObjectType, type AuditService } from '../audit/audit.service.js';
import type { GrantRecord, GrantTarget, PermissionsStore } from './permissions.store.js';

export interface GrantInput {
  user?: number | undefined;
  permissions?: readonly string[] | undefined;
  admin?: boolean | undefined;
}

export interface MyPermissions {
  permissions: string[];
  admin: boolean;
}

/**
 * Per-user permissions on projects and environments. Project grants are managed by project admins,
 * environment grants by environment admins (organisation and project admins count as both). A grant
 * names known permission keys only and is given to a member of the organisation; each user has at most
 * one grant per project or environment.
 */
export interface PermissionsService {
  listProjectGrants(p: Principal, projectId: number): Promise<UserPermissionListItemWire[]>;
  createProjectGrant(p: Principal, projectId: number, input: GrantInput): Promise<UserPermissionWire>;
  /** PUT (`partial: false`: `permissions` required) or PATCH; an omitted `admin` keeps its value. */
  updateProjectGrant(p: Principal, projectId: number, id: number, input: GrantInput, partial: boolean): Promise<UserPermissionWire>;
  deleteProjectGrant(p: Principal, projectId: number, id: number): Promise<void>;
  myProjectPermissions(p: Principal, projectId: number): Promise<MyPermissions>;

  listEnvironmentGrants(p: Principal, apiKey: string): Promise<UserPermissionListItemWire[]>;
  createEnvironmentGrant(p: Principal, apiKey: string, input: GrantInput): Promise<UserPermissionWire>;
  updateEnvironmentGrant(p: Principal, apiKey: string, id: number, input: GrantInput, partial: boolean): Promise<UserPermissionWire>;
  deleteEnvironmentGrant(p: Principal, apiKey: string, id: number): Promise<void>;
  myEnvironmentPermissions(p: Principal, apiKey: string): Promise<MyPermissions>;

  /**
   * Makes a user admin of the project or environment they just created, inside the creating
   * transaction (Flagsmith does this, so a user who may create an environment can also manage it).
   */
  grantCreatorAdmin(trx: DbExecutor, target: GrantTarget, userId: number): Promise<void>;
}

/** What the permissions module needs to know about organisations. */
export interface MembershipCheck {
  isMember(organisationId: number, userId: number, ex?: DbExecutor): Promise<boolean>;
}

const PROJECT_KEYS: readonly string[] = Object.values(ProjectPermission);
const ENVIRONMENT_KEYS: readonly string[] = Object.values(EnvironmentPermission);

function toWire(g: GrantRecord): UserPermissionWire {
  return { id: g.id, user: g.userId, permissions: g.permissions, admin: g.admin };
}

function toListWire(g: GrantRecord): UserPermissionListItemWire {
  return { id: g.id, user: { id: g.user.id, email: g.user.email, first_name: g.user.firstName, last_name: g.user.lastName }, permissions: g.permissions, admin: g.admin };
}

/** Checks every key against the level's list and removes duplicates, keeping the given order. */
function checkKeys(keys: readonly string[], allowed: readonly string[], level: string): string[] {
  keys.forEach((key, i) => {
    if (!allowed.includes(key)) throw validationFailed(`body/permissions/${i}`, `unknown ${level} permission key "${key}"; expected one of ${allowed.join(', ')}`);
  });
  return [...new Set(keys)];
}

export function createPermissionsService(deps: { db: Db; store: PermissionsStore; access: AccessService; audit: AuditService; organisations: MembershipCheck }): PermissionsService {
  const { db, store, access, audit, organisations } = deps;
  const k = db.kysely;

  interface Scope {
    target: GrantTarget;
    organisationId: number;
    projectId: number;
    environmentId: number | null;
    level: 'project' | 'environment';
    keys: readonly string[];
  }

  async function projectScope(p: Principal, projectId: number): Promise<Scope> {
    const s = await access.assertProject(p, projectId, ADMIN);
    return { target: { projectId }, organisationId: s.organisationId, projectId, environmentId: null, level: 'project', keys: PROJECT_KEYS };
  }

  async function environmentScope(p: Principal, apiKey: string): Promise<Scope> {
    const s = await access.assertEnvironmentByApiKey(p, apiKey, ADMIN);
    return { target: { environmentId: s.environmentId }, organisationId: s.organisationId, projectId: s.projectId, environmentId: s.environmentId, level: 'environment', keys: ENVIRONMENT_KEYS };
  }

  function auditEntry(s: Scope, log: string, userId: number) {
    return { organisationId: s.organisationId, projectId: s.projectId, environmentId: s.environmentId, log, relatedObjectType: AuditObjectType.USER, relatedObjectId: userId };
  }

  async function findOrThrow(ex: DbExecutor, s: Scope, id: number): Promise<GrantRecord> {
    const g = await store.find(ex, s.target, id);
    if (!g) throw notFound('User permission');
    return g;
  }

  async function create(p: Principal, s: Scope, input: GrantInput): Promise<UserPermissionWire> {
    if (input.user === undefined) throw validationFailed('body/user', 'is required');
    const userId = input.user;
    const permissions = checkKeys(input.permissions ?? [], s.keys, s.level);
    return db.transaction(async (trx) => {
      if (!(await organisations.isMember(s.organisationId, userId, trx))) throw validationFailed('body/user', `user ${userId} is not a member of this organisation`);
      const existing = await store.findByUser(trx, s.target, userId);
      if (existing) throw validationFailed('body/user', `user ${userId} already has ${s.level} permissions here (id ${existing.id}); update those instead`);
      const id = await store.insert(trx, s.target, { userId, admin: input.admin ?? false, permissions });
      const created = await findOrThrow(trx, s, id);
      await audit.record(trx, p, auditEntry(s, `${s.level === 'project' ? 'Project' : 'Environment'} permissions granted to ${created.user.email}: ${describe(created)}`, userId));
      return toWire(created);
    });
  }

  async function update(p: Principal, s: Scope, id: number, input: GrantInput, partial: boolean): Promise<UserPermissionWire> {
    if (!partial && input.permissions === undefined) throw validationFailed('body/permissions', 'is required');
    const permissions = input.permissions === undefined ? undefined : checkKeys(input.permissions, s.keys, s.level);
    const admin = input.admin;
    return db.transaction(async (trx) => {
      const existing = await findOrThrow(trx, s, id);
      if (input.user !== undefined && input.user !== existing.userId) throw validationFailed('body/user', 'a grant belongs to one user; delete it and create one for the other user');
      await store.update(trx, s.target, id, { admin, permissions });
      const updated = await findOrThrow(trx, s, id);
      await audit.record(trx, p, auditEntry(s, `${s.level === 'project' ? 'Project' : 'Environment'} permissions of ${updated.user.email} changed: ${describe(updated)}`, updated.userId));
      return toWire(updated);
    });
  }

  async function remove(p: Principal, s: Scope, id: number): Promise<void> {
    await db.transaction(async (trx) => {
      const existing = await findOrThrow(trx, s, id);
      await store.delete(trx, s.target, id);
      await audit.record(trx, p, auditEntry(s, `${s.level === 'project' ? 'Project' : 'Environment'} permissions of ${existing.user.email} removed`, existing.userId));
    });
  }

  function describe(g: GrantRecord): string {
    return g.admin ? `admin${g.permissions.length ? ` + ${g.permissions.join(', ')}` : ''}` : g.permissions.join(', ') || 'none';
  }

  function usersOnly(p: Principal): asserts p is Extract<Principal, { kind: 'user' }> {
    if (p.kind !== 'user') throw preconditionFailed('This endpoint can only be used with a user and not an organisation API key.', { reason: 'USER_ONLY' });
  }

  return {
    async listProjectGrants(p, projectId) {
      const s = await projectScope(p, projectId);
      return (await store.list(k, s.target)).map(toListWire);
    },
    async createProjectGrant(p, projectId, input) {
      return create(p, await projectScope(p, projectId), input);
    },
    async updateProjectGrant(p, projectId, id, input, partial) {
      return update(p, await projectScope(p, projectId), id, input, partial);
    },
    async deleteProjectGrant(p, projectId, id) {
      return remove(p, await projectScope(p, projectId), id);
    },
    async myProjectPermissions(p, projectId) {
      const scope = await access.assertProject(p, projectId);
      usersOnly(p);
      const role = await access.organisationRole(p, scope.organisationId);
      const grant = await store.findByUser(k, { projectId }, p.userId);
      const admin = role === OrganisationRole.ADMIN || Boolean(grant?.admin);
      return { admin, permissions: admin ? [...PROJECT_KEYS] : (grant?.permissions ?? []) };
    },

    async listEnvironmentGrants(p, apiKey) {
      const s = await environmentScope(p, apiKey);
      return (await store.list(k, s.target)).map(toListWire);
    },
    async createEnvironmentGrant(p, apiKey, input) {
      return create(p, await environmentScope(p, apiKey), input);
    },
    async updateEnvironmentGrant(p, apiKey, id, input, partial) {
      return update(p, await environmentScope(p, apiKey), id, input, partial);
    },
    async deleteEnvironmentGrant(p, apiKey, id) {
      return remove(p, await environmentScope(p, apiKey), id);
    },
    async myEnvironmentPermissions(p, apiKey) {
      const scope = await access.assertEnvironmentByApiKey(p, apiKey);
      usersOnly(p);
      const role = await access.organisationRole(p, scope.organisationId);
      const projectGrant = await store.findByUser(k, { projectId: scope.projectId }, p.userId);
      const grant = await store.findByUser(k, { environmentId: scope.environmentId }, p.userId);
      const admin = role === OrganisationRole.ADMIN || Boolean(projectGrant?.admin) || Boolean(grant?.admin);
      // An admin holds every key but the change-request bypass, which counts only when granted explicitly.
      const explicitBypass = (grant?.permissions ?? []).filter((key) => key === EnvironmentPermission.BYPASS_CHANGE_REQUESTS);
      return { admin, permissions: admin ? [...ENVIRONMENT_KEYS.filter((key) => key !== EnvironmentPermission.BYPASS_CHANGE_REQUESTS), ...explicitBypass] : (grant?.permissions ?? []) };
    },

    async grantCreatorAdmin(trx, target, userId) {
      const existing = await store.findByUser(trx, target, userId);
      if (existing) await store.update(trx, target, existing.id, { admin: true });
      else await store.insert(trx, target, { userId, admin: true, permissions: [] });
    },
  };
}

