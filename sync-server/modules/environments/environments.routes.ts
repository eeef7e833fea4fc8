import { environmentRoutes } from '../../../src-shared/contracts/http/environments.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { EnvironmentsService } from './environments.service.js';

export function registerEnvironmentRoutes(app: HttpApp, environments: EnvironmentsService): void {
  const r = environmentRoutes;
  route(app, 'listEnvironments', r.listEnvironments, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await environments.list(principal, { project: query.project }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createEnvironment', r.createEnvironment, ({ principal, body }) => environments.create(principal, body));
  route(app, 'getEnvironment', r.getEnvironment, ({ principal, params }) => environments.get(principal, params.api_key));
  route(app, 'updateEnvironment', r.updateEnvironment, ({ principal, params, body }) => environments.update(principal, params.api_key, body, false));
  route(app, 'partialUpdateEnvironment', r.partialUpdateEnvironment, ({ principal, params, body }) => environments.update(principal, params.api_key, body, true));
  route(app, 'deleteEnvironment', r.deleteEnvironment, ({ principal, params }) => environments.remove(principal, params.api_key));

  route(app, 'listEnvironmentApiKeys', r.listEnvironmentApiKeys, ({ principal, params }) => environments.listApiKeys(principal, params.api_key));
  route(app, 'createEnvironmentApiKey', r.createEnvironmentApiKey, ({ principal, params, body }) => environments.createApiKey(principal, params.api_key, body));
  route(app, 'updateEnvironmentApiKey', r.updateEnvironmentApiKey, ({ principal, params, body }) => environments.updateApiKey(principal, params.api_key, params.id, body));
  route(app, 'deleteEnvironmentApiKey', r.deleteEnvironmentApiKey, ({ principal, params }) => environments.deleteApiKey(principal, params.api_key, params.id));
}
