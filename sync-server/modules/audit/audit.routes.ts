import { auditRoutes } from '../../../src-shared/contracts/http/audit.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { AuditListQuery, AuditService } from './audit.service.js';

type AuditQueryWire = { page?: number; page_size?: number; project?: number; environments?: number[]; is_system_event?: boolean; search?: string; from?: string; to?: string };

function listQuery(query: AuditQueryWire, offset: number, limit: number): AuditListQuery {
  return {
    page: { offset, limit },
    project: query.project,
    environments: query.environments,
    isSystemEvent: query.is_system_event,
    search: query.search,
    from: query.from,
    to: query.to,
  };
}

export function registerAuditRoutes(app: HttpApp, audit: AuditService): void {
  route(app, 'listAuditLogs', auditRoutes.listAuditLogs, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await audit.list(principal, listQuery(query, offset, pageSize));
    return paginate(request, total, items, page, pageSize);
  });

  route(app, 'getAuditLog', auditRoutes.getAuditLog, ({ principal, params }) => audit.get(principal, params.id));

  route(app, 'listProjectAuditLogs', auditRoutes.listProjectAuditLogs, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await audit.list(principal, { ...listQuery(query, offset, pageSize), project: params.project_pk });
    return paginate(request, total, items, page, pageSize);
  });

  route(app, 'listOrganisationAuditLogs', auditRoutes.listOrganisationAuditLogs, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await audit.list(principal, { ...listQuery(query, offset, pageSize), organisation: params.organisation_pk });
    return paginate(request, total, items, page, pageSize);
  });

  route(app, 'getAuditLogIntegrity', auditRoutes.getAuditLogIntegrity, ({ principal, params }) => audit.verifyIntegrity(principal, params.organisation_pk));
}
