import { authRoutes, healthRoutes } from './auth.contract.js';
import type { RouteTable } from './route-contract.js';

/**
 * Every HTTP route of the server, by operationId. The server registers exactly these; the meta-test
 * checks each one has a contract test.
 */
export const routeTable = {
  ...healthRoutes,
  ...authRoutes,
} satisfies RouteTable;

export type OperationId = keyof typeof routeTable;
