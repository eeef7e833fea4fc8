import type { DbExecutor } from '../../platform/database/database.js';
import type { OrganisationRole, PermissionGrant } from '../../../src-shared/domain/permissions/permissions.js';

/** Where an object sits in the tenant tree. */
export interface ProjectScope {
  projectId: number;
  organisationId: number;
}
export interface EnvironmentScope extends ProjectScope {
  environmentId: number;
}

/** Read port of the access-control tables. */
export interface AccessStore {
  /** The user's role in an organisation, or undefined when not a member. */
  organisationRole(userId: number, organisationId: number): Promise<OrganisationRole | undefined>;
  projectGrant(userId: number, projectId: number): Promise<PermissionGrant | undefined>;
  /** `ex`: read inside the caller's transaction (a write deciding on the grant it runs under). */
  environmentGrant(userId: number, environmentId: number, ex?: DbExecutor): Promise<PermissionGrant | undefined>;
  /** The environment's `minimum_change_request_approvals` (null: change requests off), read in `ex`. */
  minimumChangeRequestApprovals(environmentId: number, ex?: DbExecutor): Promise<number | null>;
  projectScope(projectId: number): Promise<ProjectScope | undefined>;
  environmentScopeById(environmentId: number): Promise<EnvironmentScope | undefined>;
  environmentScopeByApiKey(apiKey: string): Promise<EnvironmentScope | undefined>;
  /** Organisations a user belongs to. */
  organisationIdsOfUser(userId: number): Promise<number[]>;
}
