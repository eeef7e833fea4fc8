import { permissionRoutes } from '../../../src-shared/contracts/http/permissions.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { PermissionsService } from './permissions.service.js';

export function registerPermissionRoutes(app: HttpApp, permissions: PermissionsService): void {
  const r = permissionRoutes;
  route(app, 'listProjectUserPermissions', r.listProjectUserPermissions, ({ principal, params }) => permissions.listProjectGrants(principal, params.project_pk));
  route(app, 'createProjectUserPermission', r.createProjectUserPermission, ({ principal, params, body }) => permissions.createProjectGrant(principal, params.project_pk, body));
  route(app, 'updateProjectUserPermission', r.updateProjectUserPermission, ({ principal, params, body }) => permissions.updateProjectGrant(principal, params.project_pk, params.id, body, false));
  route(app, 'partialUpdateProjectUserPermission', r.partialUpdateProjectUserPermission, ({ principal, params, body }) => permissions.updateProjectGrant(principal, params.project_pk, params.id, body, true));
  route(app, 'deleteProjectUserPermission', r.deleteProjectUserPermission, ({ principal, params }) => permissions.deleteProjectGrant(principal, params.project_pk, params.id));
  route(app, 'getMyProjectPermissions', r.getMyProjectPermissions, ({ principal, params }) => permissions.myProjectPermissions(principal, params.id));

  route(app, 'listEnvironmentUserPermissions', r.listEnvironmentUserPermissions, ({ principal, params }) => permissions.listEnvironmentGrants(principal, params.api_key));
  route(app, 'createEnvironmentUserPermission', r.createEnvironmentUserPermission, ({ principal, params, body }) => permissions.createEnvironmentGrant(principal, params.api_key, body));
  route(app, 'updateEnvironmentUserPermission', r.updateEnvironmentUserPermission, ({ principal, params, body }) => permissions.updateEnvironmentGrant(principal, params.api_key, params.id, body, false));
  route(app, 'partialUpdateEnvironmentUserPermission', r.partialUpdateEnvironmentUserPermission, ({ principal, params, body }) => permissions.updateEnvironmentGrant(principal, params.api_key, params.id, body, true));
  route(app, 'deleteEnvironmentUserPermission', r.deleteEnvironmentUserPermission, ({ principal, params }) => permissions.deleteEnvironmentGrant(principal, params.api_key, params.id));
  route(app, 'getMyEnvironmentPermissions', r.getMyEnvironmentPermissions, ({ principal, params }) => permissions.myEnvironmentPermissions(principal, params.api_key));
}
