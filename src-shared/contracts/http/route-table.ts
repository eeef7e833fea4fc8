import { authRoutes, firstRunRoutes } from './auth.contract.js';
import { healthRoutes } from './health.contract.js';
import type { RouteTable } from './route-contract.js';
import { syncRoutes } from '../sync/sync.contract.js';
import { featureSegmentRoutes, segmentRoutes } from './segments.contract.js';
import { webhookRoutes } from './webhooks.contract.js';
import { auditRoutes } from './audit.contract.js';
import { emailRoutes } from './emails.contract.js';
import { organisationRoutes } from './organisations.contract.js';
import { projectRoutes } from './projects.contract.js';
import { environmentRoutes } from './environments.contract.js';
import { permissionRoutes } from './permissions.contract.js';
import { featureRoutes } from './features.contract.js';
import { featureStateRoutes } from './feature-states.contract.js';
import { identityRoutes } from './identities.contract.js';
import { sdkRoutes } from './sdk.contract.js';
import { versionRoutes } from './versions.contract.js';
import { releasePipelineRoutes } from './release-pipelines.contract.js';
import { versioningMigrationRoutes } from './versioning-migration.contract.js';
import { experimentRoutes } from './experiments.contract.js';
import { changeRequestRoutes } from './change-requests.contract.js';
import { impactRoutes } from './impact.contract.js';

/**
 * Every HTTP route of the server, by operationId. The server registers exactly these; the meta-test
 * checks each one has a contract test.
 */
export const routeTable = {
  ...healthRoutes,
  ...authRoutes,
  ...firstRunRoutes,
  ...webhookRoutes,
  ...auditRoutes,
  ...emailRoutes,
  ...organisationRoutes,
  ...projectRoutes,
  ...environmentRoutes,
  ...permissionRoutes,
  ...featureRoutes,
  ...featureStateRoutes,
  ...segmentRoutes,
  ...featureSegmentRoutes,
  ...identityRoutes,
  ...sdkRoutes,
  ...versionRoutes,
  ...releasePipelineRoutes,
  ...versioningMigrationRoutes,
  ...experimentRoutes,
  ...changeRequestRoutes,
  ...impactRoutes,
  ...syncRoutes,
} satisfies RouteTable;

export type OperationId = keyof typeof routeTable;
