import { Type, type Static } from '@sinclair/typebox';
import { defineRoutes, IdParam, NoContent } from './route-contract.js';

const UserSummary = Type.Object(
  { id: Type.Integer(), email: Type.String(), first_name: Type.String(), last_name: Type.String() },
  { description: 'The user the permissions are granted to.' },
);

const PermissionFields = {
  id: Type.Integer(),
  permissions: Type.Array(Type.String(), { description: 'Granted permission keys.' }),
  admin: Type.Boolean({ description: 'Admin holds every permission of this level and manages its permissions.' }),
};

/** A user's grant as it is written: `user` is an id (Flagsmith's CreateUpdate serializer). */
export const UserPermissionSchema = Type.Object({ ...PermissionFields, user: Type.Integer({ description: 'User id.' }) }, { description: 'Permissions granted to one user.' });
export type UserPermissionWire = Static<typeof UserPermissionSchema>;

/** A user's grant as it is listed: `user` is the user (Flagsmith's List serializer). */
export const UserPermissionListItemSchema = Type.Object({ ...PermissionFields, user: UserSummary }, { description: 'Permissions granted to one user, with the user.' });
export type UserPermissionListItemWire = Static<typeof UserPermissionListItemSchema>;

/** The caller's own permissions on a project or environment. */
export const MyPermissionsSchema = Type.Object(
  {
    permissions: Type.Array(Type.String(), { description: 'Permission keys the caller holds; every key of the level when `admin`.' }),
    admin: Type.Boolean({ description: 'True for organisation admins, project admins and (on environments) environment admins.' }),
  },
  { description: 'What the caller may do here.' },
);

const grantBody = (permissionsDescription: string) =>
  Type.Object({
    user: Type.Integer({ minimum: 1, maximum: 2147483647, description: 'Id of a member of the organisation.' }),
    permissions: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100, description: permissionsDescription }),
    admin: Type.Optional(Type.Boolean({ description: 'Default false.' })),
  });
const PROJECT_KEYS = 'Project permission keys: VIEW_PROJECT, CREATE_ENVIRONMENT, CREATE_FEATURE, EDIT_FEATURE, DELETE_FEATURE, MANAGE_SEGMENTS, VIEW_AUDIT_LOG.';
const ENV_KEYS = 'Environment permission keys: VIEW_ENVIRONMENT, UPDATE_FEATURE_STATE, MANAGE_SEGMENT_OVERRIDES, MANAGE_IDENTITIES, VIEW_IDENTITIES, CREATE_CHANGE_REQUEST, APPROVE_CHANGE_REQUEST, BYPASS_CHANGE_REQUESTS (Flagdesk: publish directly on an environment that requires change requests, audited; never implied by admin).';
const ProjectGrantBody = grantBody(PROJECT_KEYS);
const EnvGrantBody = grantBody(ENV_KEYS);

const ProjectPk = Type.Object({ project_pk: IdParam });
const ProjectPermPk = Type.Object({ project_pk: IdParam, id: IdParam });
const EnvKey = Type.String({ minLength: 1, maxLength: 100, description: 'The environment’s client-side key.' });
const EnvPk = Type.Object({ api_key: EnvKey });
const EnvPermPk = Type.Object({ api_key: EnvKey, id: IdParam });

export const permissionRoutes = defineRoutes({
  listProjectUserPermissions: {
    method: 'GET',
    url: '/api/v1/projects/:project_pk/user-permissions/',
    summary: 'Users’ permissions on the project (project admin). A plain array, as in Flagsmith.',
    tag: 'permissions',
    auth: 'admin',
    params: ProjectPk,
    successStatus: 200,
    response: Type.Array(UserPermissionListItemSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createProjectUserPermission: {
    method: 'POST',
    url: '/api/v1/projects/:project_pk/user-permissions/',
    summary: 'Grant a member permissions on the project (project admin). One grant per user.',
    tag: 'permissions',
    auth: 'admin',
    params: ProjectPk,
    body: ProjectGrantBody,
    successStatus: 201,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateProjectUserPermission: {
    method: 'PUT',
    url: '/api/v1/projects/:project_pk/user-permissions/:id/',
    summary: 'Replace a user’s project permissions (project admin).',
    tag: 'permissions',
    auth: 'admin',
    params: ProjectPermPk,
    body: ProjectGrantBody,
    successStatus: 200,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateProjectUserPermission: {
    method: 'PATCH',
    url: '/api/v1/projects/:project_pk/user-permissions/:id/',
    summary: 'Change a user’s project permissions or admin flag (project admin).',
    tag: 'permissions',
    auth: 'admin',
    params: ProjectPermPk,
    body: Type.Partial(ProjectGrantBody),
    successStatus: 200,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteProjectUserPermission: {
    method: 'DELETE',
    url: '/api/v1/projects/:project_pk/user-permissions/:id/',
    summary: 'Remove a user’s project permissions (project admin).',
    tag: 'permissions',
    auth: 'admin',
    params: ProjectPermPk,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getMyProjectPermissions: {
    method: 'GET',
    url: '/api/v1/projects/:id/my-permissions/',
    summary: 'The caller’s permissions on the project. Users only, as in Flagsmith (API keys get 400).',
    tag: 'permissions',
    auth: 'admin',
    params: Type.Object({ id: IdParam }),
    successStatus: 200,
    response: MyPermissionsSchema,
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },

  listEnvironmentUserPermissions: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/user-permissions/',
    summary: 'Users’ permissions on the environment (environment admin). A plain array, as in Flagsmith.',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPk,
    successStatus: 200,
    response: Type.Array(UserPermissionListItemSchema),
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  createEnvironmentUserPermission: {
    method: 'POST',
    url: '/api/v1/environments/:api_key/user-permissions/',
    summary: 'Grant a member permissions on the environment (environment admin). One grant per user.',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPk,
    body: EnvGrantBody,
    successStatus: 201,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  updateEnvironmentUserPermission: {
    method: 'PUT',
    url: '/api/v1/environments/:api_key/user-permissions/:id/',
    summary: 'Replace a user’s environment permissions (environment admin).',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPermPk,
    body: EnvGrantBody,
    successStatus: 200,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  partialUpdateEnvironmentUserPermission: {
    method: 'PATCH',
    url: '/api/v1/environments/:api_key/user-permissions/:id/',
    summary: 'Change a user’s environment permissions or admin flag (environment admin).',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPermPk,
    body: Type.Partial(EnvGrantBody),
    successStatus: 200,
    response: UserPermissionSchema,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED', 'VALIDATION_FAILED'],
  },
  deleteEnvironmentUserPermission: {
    method: 'DELETE',
    url: '/api/v1/environments/:api_key/user-permissions/:id/',
    summary: 'Remove a user’s environment permissions (environment admin).',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPermPk,
    successStatus: 204,
    response: NoContent,
    errors: ['NOT_FOUND', 'PERMISSION_DENIED'],
  },
  getMyEnvironmentPermissions: {
    method: 'GET',
    url: '/api/v1/environments/:api_key/my-permissions/',
    summary: 'The caller’s permissions on the environment. Users only, as in Flagsmith (API keys get 400).',
    tag: 'permissions',
    auth: 'admin',
    params: EnvPk,
    successStatus: 200,
    response: MyPermissionsSchema,
    errors: ['NOT_FOUND', 'PRECONDITION_FAILED'],
  },
});
