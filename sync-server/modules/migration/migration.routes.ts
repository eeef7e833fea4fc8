import { versioningMigrationRoutes } from '../../../src-shared/contracts/http/versioning-migration.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { MigrationService } from './migration.service.js';

export function registerMigrationRoutes(app: HttpApp, migration: MigrationService): void {
  const r = versioningMigrationRoutes;
  route(app, 'enableV2Versioning', r.enableV2Versioning, ({ principal, params }) => migration.enable(principal, params.api_key));
  route(app, 'disableV2Versioning', r.disableV2Versioning, ({ principal, params, body }) => migration.disable(principal, params.api_key, body));
  route(app, 'getVersioningStatus', r.getVersioningStatus, ({ principal, params }) => migration.status(principal, params.api_key));
}
