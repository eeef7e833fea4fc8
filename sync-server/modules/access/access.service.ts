import { AppError, notFound, permissionDenied } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import {
  ADMIN,
  EnvironmentPermission,
  OrganisationRole,
  ProjectPermission,
  hasEnvironmentPermission,
  hasProjectPermission,
} from '../../../src-shared/domain/permissions/permissions.js';
import { decideDirectChange, type DirectChangeDecision } from '../../../src-shared/domain/change-requests/direct-change.rules.js';
import type { DbExecutor } from '../../platform/database/database.js';
import type { Principal } from './principal.js';
import type { AccessStore, EnvironmentScope, ProjectScope } from './access.store.js';

/**
 * Authorisation for every Admin API route. Tenants are isolated by answering NOT_FOUND for anything
 * the caller cannot see (another organisation's objects, projects or environments without a view grant);
 * PERMISSION_DENIED is only for objects the caller can see but may not change this way.
 */
export interface AccessService {
  /** The caller's effective role in an organisation; throws NOT_FOUND when not a member. */
  organisationRole(p: Principal, organisationId: number): Promise<OrganisationRole>;
  assertOrganisation(p: Principal, organisationId: number, needed?: typeof ADMIN): Promise<void>;
  /** Checks a project permission (VIEW_PROJECT by default) and returns the project's scope. */
  assertProject(p: Principal, projectId: number, needed?: ProjectPermission | typeof ADMIN): Promise<ProjectScope>;
  assertEnvironment(p: Principal, environmentId: number, needed?: EnvironmentPermission | typeof ADMIN): Promise<EnvironmentScope>;
  assertEnvironmentByApiKey(p: Principal, apiKey: string, needed?: EnvironmentPermission | typeof ADMIN): Promise<EnvironmentScope>;
  /** True when the caller can see the project (used to filter lists). */
  canViewProject(p: Principal, projectId: number): Promise<boolean>;
  canViewEnvironment(p: Principal, environmentId: number): Promise<boolean>;
  /** Organisations the caller belongs to. */
  organisationIds(p: Principal): Promise<number[]>;
  /**
   * Whether the caller may change the environment's live flags directly (issue 12 §2): `refused` on an
   * environment that requires change requests unless the caller holds BYPASS_CHANGE_REQUESTS explicitly
   * (`bypass`). Read in `ex`, the write's transaction. Callers use `assertDirectChange`, which audits a bypass.
   */
  directChange(p: Principal, environmentId: number, ex?: DbExecutor): Promise<DirectChangeDecision>;
}

export function createAccessService(store: AccessStore): AccessService {
  async function role(p: Principal, organisationId: number): Promise<OrganisationRole | undefined> {
    if (p.kind === 'api_key') {
      if (p.organisationId !== organisationId) return undefined;
      return p.isAdmin ? OrganisationRole.ADMIN : OrganisationRole.USER;
    }
    return store.organisationRole(p.userId, organisationId);
  }

  async function projectAllowed(p: Principal, scope: ProjectScope, needed: ProjectPermission | typeof ADMIN): Promise<'yes' | 'hidden' | 'denied'> {
    const r = await role(p, scope.organisationId);
    if (!r) return 'hidden';
    const grant = p.kind === 'user' ? await store.projectGrant(p.userId, scope.projectId) : undefined;
    if (!hasProjectPermission(r, grant, ProjectPermission.VIEW_PROJECT)) return 'hidden';
    return hasProjectPermission(r, grant, needed) ? 'yes' : 'denied';
  }

  async function environmentAllowed(p: Principal, scope: EnvironmentScope, needed: EnvironmentPermission | typeof ADMIN): Promise<'yes' | 'hidden' | 'denied'> {
    const r = await role(p, scope.organisationId);
    if (!r) return 'hidden';
    const projectGrant = p.kind === 'user' ? await store.projectGrant(p.userId, scope.projectId) : undefined;
    const envGrant = p.kind === 'user' ? await store.environmentGrant(p.userId, scope.environmentId) : undefined;
    if (!hasEnvironmentPermission(r, projectGrant, envGrant, EnvironmentPermission.VIEW_ENVIRONMENT)) return 'hidden';
    return hasEnvironmentPermission(r, projectGrant, envGrant, needed) ? 'yes' : 'denied';
  }

  function decide(result: 'yes' | 'hidden' | 'denied', what: string): void {
    if (result === 'hidden') throw notFound(what);
    if (result === 'denied') throw permissionDenied();
  }

  return {
    async organisationRole(p, organisationId) {
      const r = await role(p, organisationId);
      if (!r) throw notFound('Organisation');
      return r;
    },
    async assertOrganisation(p, organisationId, needed) {
      const r = await role(p, organisationId);
      if (!r) throw notFound('Organisation');
      if (needed === ADMIN && r !== OrganisationRole.ADMIN) throw permissionDenied('Only organisation admins can do this.');
    },
    async assertProject(p, projectId, needed = ProjectPermission.VIEW_PROJECT) {
      const scope = await store.projectScope(projectId);
      if (!scope) throw notFound('Project');
      decide(await projectAllowed(p, scope, needed), 'Project');
      return scope;
    },
    async assertEnvironment(p, environmentId, needed = EnvironmentPermission.VIEW_ENVIRONMENT) {
      const scope = await store.environmentScopeById(environmentId);
      if (!scope) throw notFound('Environment');
      decide(await environmentAllowed(p, scope, needed), 'Environment');
      return scope;
    },
    async assertEnvironmentByApiKey(p, apiKey, needed = EnvironmentPermission.VIEW_ENVIRONMENT) {
      const scope = await store.environmentScopeByApiKey(apiKey);
      if (!scope) throw notFound('Environment');
      decide(await environmentAllowed(p, scope, needed), 'Environment');
      return scope;
    },
    async canViewProject(p, projectId) {
      const scope = await store.projectScope(projectId);
      return scope !== undefined && (await projectAllowed(p, scope, ProjectPermission.VIEW_PROJECT)) === 'yes';
    },
    async canViewEnvironment(p, environmentId) {
      const scope = await store.environmentScopeById(environmentId);
      return scope !== undefined && (await environmentAllowed(p, scope, EnvironmentPermission.VIEW_ENVIRONMENT)) === 'yes';
    },
    async organisationIds(p) {
      return p.kind === 'api_key' ? [p.organisationId] : store.organisationIdsOfUser(p.userId);
    },
    async directChange(p, environmentId, ex) {
      const minimum = await store.minimumChangeRequestApprovals(environmentId, ex);
      // API keys hold no grants, so they never bypass.
      const grant = p.kind === 'user' ? await store.environmentGrant(p.userId, environmentId, ex) : undefined;
      return decideDirectChange(minimum, grant);
    },
  };
}

/** Thrown when a route needs a signed-in caller and has none. */
export function unauthenticated(message = 'Authentication credentials were not provided.'): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, message);
}
