import { emailRoutes } from '../../../src-shared/contracts/http/emails.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { EmailService } from './email.service.js';

export function registerEmailRoutes(app: HttpApp, email: EmailService): void {
  route(app, 'listOrganisationEmails', emailRoutes.listOrganisationEmails, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await email.list(principal, params.organisation_pk, { offset, limit: pageSize, ...(query.status ? { status: query.status } : {}) });
    return paginate(request, total, items, page, pageSize);
  });
}
