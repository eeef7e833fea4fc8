import { organisationRoutes } from '../../../src-shared/contracts/http/organisations.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { OrganisationsService } from './organisations.service.js';

export function registerOrganisationRoutes(app: HttpApp, organisations: OrganisationsService): void {
  const r = organisationRoutes;
  route(app, 'listOrganisations', r.listOrganisations, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await organisations.list(principal, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createOrganisation', r.createOrganisation, ({ principal, body }) => organisations.create(principal, body));
  route(app, 'getOrganisation', r.getOrganisation, ({ principal, params }) => organisations.get(principal, params.id));
  route(app, 'updateOrganisation', r.updateOrganisation, ({ principal, params, body }) => organisations.update(principal, params.id, body, false));
  route(app, 'partialUpdateOrganisation', r.partialUpdateOrganisation, ({ principal, params, body }) => organisations.update(principal, params.id, body, true));
  route(app, 'deleteOrganisation', r.deleteOrganisation, ({ principal, params }) => organisations.remove(principal, params.id));
  route(app, 'updateOrganisationPlanLimits', r.updateOrganisationPlanLimits, ({ principal, params, body }) => organisations.updatePlanLimits(principal, params.id, body));

  route(app, 'listOrganisationUsers', r.listOrganisationUsers, ({ principal, params }) => organisations.listUsers(principal, params.organisation_pk));
  route(app, 'createOrganisationUser', r.createOrganisationUser, ({ principal, params, body }) => organisations.addUser(principal, params.organisation_pk, body));
  route(app, 'updateOrganisationUserRole', r.updateOrganisationUserRole, ({ principal, params, body }) => organisations.updateUserRole(principal, params.organisation_pk, params.user_id, body.role));
  route(app, 'removeOrganisationUsers', r.removeOrganisationUsers, ({ principal, params, body }) => organisations.removeUsers(principal, params.id, body.map((u) => u.id)));

  route(app, 'listOrganisationApiKeys', r.listOrganisationApiKeys, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await organisations.listApiKeys(principal, params.organisation_pk, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createOrganisationApiKey', r.createOrganisationApiKey, ({ principal, params, body }) => organisations.createApiKey(principal, params.organisation_pk, body));
  route(app, 'revokeOrganisationApiKey', r.revokeOrganisationApiKey, ({ principal, params }) => organisations.revokeApiKey(principal, params.organisation_pk, params.prefix));
}
