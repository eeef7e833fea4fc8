import { changeRequestRoutes } from '../../../src-shared/contracts/http/change-requests.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { ChangeRequestsService } from './change-requests.service.js';

export function registerChangeRequestRoutes(app: HttpApp, changeRequests: ChangeRequestsService): void {
  const r = changeRequestRoutes;
  route(app, 'createChangeRequest', r.createChangeRequest, ({ principal, params, body }) => changeRequests.create(principal, params.api_key, body));
  route(app, 'listChangeRequests', r.listChangeRequests, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await changeRequests.list(principal, { environment: query.environment, committed: query.committed, search: query.search }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'listEnvironmentChangeRequests', r.listEnvironmentChangeRequests, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const filter = { environment: { apiKey: params.api_key }, committed: query.committed, search: query.search, featureId: query.feature_id };
    const { total, items } = await changeRequests.list(principal, filter, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'getChangeRequest', r.getChangeRequest, ({ principal, params }) => changeRequests.get(principal, params.id));
  route(app, 'updateChangeRequest', r.updateChangeRequest, ({ principal, params, body }) => changeRequests.update(principal, params.id, body));
  route(app, 'partialUpdateChangeRequest', r.partialUpdateChangeRequest, ({ principal, params, body }) => changeRequests.update(principal, params.id, body));
  route(app, 'deleteChangeRequest', r.deleteChangeRequest, ({ principal, params }) => changeRequests.remove(principal, params.id));
  route(app, 'approveChangeRequest', r.approveChangeRequest, ({ principal, params }) => changeRequests.approve(principal, params.id));
  route(app, 'commitChangeRequest', r.commitChangeRequest, ({ principal, params }) => changeRequests.commit(principal, params.id));
  route(app, 'rebaseChangeRequest', r.rebaseChangeRequest, ({ principal, params, body }) => changeRequests.rebase(principal, params.id, body));
  route(app, 'getChangeRequestDiff', r.getChangeRequestDiff, ({ principal, params }) => changeRequests.diff(principal, params.id));
}
