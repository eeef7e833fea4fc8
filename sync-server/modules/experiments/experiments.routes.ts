import { featureStateRoutes } from '../../../src-shared/contracts/http/feature-states.contract.js';
import { experimentRoutes } from '../../../src-shared/contracts/http/experiments.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { ExperimentsService } from './experiments.service.js';

export function registerExperimentRoutes(app: HttpApp, experiments: ExperimentsService): void {
  const r = experimentRoutes;
  route(app, 'updateFlagV1', r.updateFlagV1, ({ principal, params, body }) => experiments.updateFlagV1(principal, params.environment_key, body));
  route(app, 'updateFlagV2', r.updateFlagV2, ({ principal, params, body }) => experiments.updateFlagV2(principal, params.environment_key, body));
  route(app, 'createSegmentOverride', featureStateRoutes.createSegmentOverride, ({ principal, params, body }) =>
    experiments.createSegmentOverride(principal, params.environment_api_key, params.feature_pk, body),
  );
  route(app, 'deleteSegmentOverride', r.deleteSegmentOverride, ({ principal, params, body }) => experiments.deleteSegmentOverride(principal, params.environment_key, body));
}
