/**
 * Permission keys, as Flagsmith names them. Organisation admins, project admins and environment admins
 * hold every permission below their level; other users hold what is granted to them explicitly.
 */
export const ProjectPermission = {
  VIEW_PROJECT: 'VIEW_PROJECT',
  CREATE_ENVIRONMENT: 'CREATE_ENVIRONMENT',
  CREATE_FEATURE: 'CREATE_FEATURE',
  EDIT_FEATURE: 'EDIT_FEATURE',
  DELETE_FEATURE: 'DELETE_FEATURE',
  MANAGE_SEGMENTS: 'MANAGE_SEGMENTS',
  VIEW_AUDIT_LOG: 'VIEW_AUDIT_LOG',
} as const;
export type ProjectPermission = (typeof ProjectPermission)[keyof typeof ProjectPermission];

export const EnvironmentPermission = {
  VIEW_ENVIRONMENT: 'VIEW_ENVIRONMENT',
  UPDATE_FEATURE_STATE: 'UPDATE_FEATURE_STATE',
  MANAGE_SEGMENT_OVERRIDES: 'MANAGE_SEGMENT_OVERRIDES',
  MANAGE_IDENTITIES: 'MANAGE_IDENTITIES',
  VIEW_IDENTITIES: 'VIEW_IDENTITIES',
  CREATE_CHANGE_REQUEST: 'CREATE_CHANGE_REQUEST',
  APPROVE_CHANGE_REQUEST: 'APPROVE_CHANGE_REQUEST',
  /**
   * Flagdesk: change the live flags of an environment that requires change requests directly (publish,
   * restore, legacy writes), audited each time. Never implied by an admin level: it must be granted
   * explicitly (see `domain/change-requests/direct-change.rules.ts`).
   */
  BYPASS_CHANGE_REQUESTS: 'BYPASS_CHANGE_REQUESTS',
} as const;
export type EnvironmentPermission = (typeof EnvironmentPermission)[keyof typeof EnvironmentPermission];

export const OrganisationRole = { ADMIN: 'ADMIN', USER: 'USER' } as const;
export type OrganisationRole = (typeof OrganisationRole)[keyof typeof OrganisationRole];

/** A level that implies every permission at and below it. */
export const ADMIN = 'ADMIN' as const;

export interface PermissionGrant {
  admin: boolean;
  permissions: readonly string[];
}

/**
 * Decides whether a user holds `needed` on a project: organisation admins and project admins hold all.
 * A user with no grant at all cannot see the project.
 */
export function hasProjectPermission(orgRole: OrganisationRole, grant: PermissionGrant | undefined, needed: ProjectPermission | typeof ADMIN): boolean {
  if (orgRole === OrganisationRole.ADMIN) return true;
  if (!grant) return false;
  if (grant.admin) return true;
  if (needed === ADMIN) return false;
  return grant.permissions.includes(needed) && (needed === ProjectPermission.VIEW_PROJECT || grant.permissions.includes(ProjectPermission.VIEW_PROJECT));
}

/**
 * Decides whether a user holds `needed` on an environment: organisation, project and environment admins
 * hold all; others need the explicit permission plus VIEW_ENVIRONMENT.
 */
export function hasEnvironmentPermission(
  orgRole: OrganisationRole,
  projectGrant: PermissionGrant | undefined,
  envGrant: PermissionGrant | undefined,
  needed: EnvironmentPermission | typeof ADMIN,
): boolean {
  if (orgRole === OrganisationRole.ADMIN) return true;
  if (projectGrant?.admin) return true;
  if (!envGrant) return false;
  if (envGrant.admin) return true;
  if (needed === ADMIN) return false;
  return envGrant.permissions.includes(needed) && (needed === EnvironmentPermission.VIEW_ENVIRONMENT || envGrant.permissions.includes(EnvironmentPermission.VIEW_ENVIRONMENT));
}
