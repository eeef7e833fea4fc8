import { authRoutes, healthRoutes } from './auth.contract.js';
import type { RouteTable } from './route-contract.js';
import { webhookRoutes } from './webhooks.contract.js';
import { auditRoutes } from './audit.contract.js';
import { emailRoutes } from './emails.contract.js';
import { organisationRoutes } from './organisations.contract.js';
import { projectRoutes } from './projects.contract.js';
import { environmentRoutes } from './environments.contract.js';
import { permissionRoutes } from './permissions.contract.js';

/**
 * Every HTTP route of the server, by operationId. The server registers exactly these; the meta-test
 * checks each one has a contract test.
 */
export const routeTable = {
  ...healthRoutes,
  ...authRoutes,
  ...webhookRoutes,
  ...auditRoutes,
  ...emailRoutes,
  ...organisationRoutes,
  ...projectRoutes,
  ...environmentRoutes,
  ...permissionRoutes,
} satisfies RouteTable;

export type OperationId = keyof typeof routeTable;
