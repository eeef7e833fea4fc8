import { featureRoutes } from '../../../src-shared/contracts/http/features.contract.js';
import { featureStateRoutes } from '../../../src-shared/contracts/http/feature-states.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { FeaturesService } from './features.service.js';
import type { FeatureStatesService } from './feature-states.service.js';

export function registerFeatureRoutes(app: HttpApp, features: FeaturesService, featureStates: FeatureStatesService): void {
  const r = featureRoutes;
  route(app, 'listFeatures', r.listFeatures, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await features.list(principal, params.project_pk, query, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createFeature', r.createFeature, ({ principal, params, body }) => features.create(principal, params.project_pk, body));
  route(app, 'getFeature', r.getFeature, ({ principal, params }) => features.get(principal, params.project_pk, params.id));
  route(app, 'updateFeature', r.updateFeature, ({ principal, params, body }) => features.update(principal, params.project_pk, params.id, body, false));
  route(app, 'partialUpdateFeature', r.partialUpdateFeature, ({ principal, params, body }) => features.update(principal, params.project_pk, params.id, body, true));
  route(app, 'deleteFeature', r.deleteFeature, ({ principal, params }) => features.remove(principal, params.project_pk, params.id));

  route(app, 'listFeatureMvOptions', r.listFeatureMvOptions, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await features.listOptions(principal, params.project_pk, params.feature_pk, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createFeatureMvOption', r.createFeatureMvOption, ({ principal, params, body }) => features.createOption(principal, params.project_pk, params.feature_pk, body));
  route(app, 'getFeatureMvOption', r.getFeatureMvOption, ({ principal, params }) => features.getOption(principal, params.project_pk, params.feature_pk, params.id));
  route(app, 'updateFeatureMvOption', r.updateFeatureMvOption, ({ principal, params, body }) => features.updateOption(principal, params.project_pk, params.feature_pk, params.id, body, false));
  route(app, 'partialUpdateFeatureMvOption', r.partialUpdateFeatureMvOption, ({ principal, params, body }) => features.updateOption(principal, params.project_pk, params.feature_pk, params.id, body, true));
  route(app, 'deleteFeatureMvOption', r.deleteFeatureMvOption, ({ principal, params }) => features.removeOption(principal, params.project_pk, params.feature_pk, params.id));

  const s = featureStateRoutes;
  route(app, 'listFeatureStates', s.listFeatureStates, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await featureStates.list(principal, query, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createFeatureState', s.createFeatureState, ({ principal, body }) => featureStates.create(principal, body));
  route(app, 'getFeatureState', s.getFeatureState, ({ principal, params }) => featureStates.get(principal, params.id));
  route(app, 'updateFeatureState', s.updateFeatureState, ({ principal, params, body }) => featureStates.update(principal, params.id, body, false));
  route(app, 'partialUpdateFeatureState', s.partialUpdateFeatureState, ({ principal, params, body }) => featureStates.update(principal, params.id, body, true));
  route(app, 'deleteFeatureState', s.deleteFeatureState, ({ principal, params }) => featureStates.remove(principal, params.id));

  route(app, 'listEnvironmentFeatureStates', s.listEnvironmentFeatureStates, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await featureStates.listInEnvironment(principal, params.environment_api_key, query, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createEnvironmentFeatureState', s.createEnvironmentFeatureState, ({ principal, params, body }) => featureStates.createInEnvironment(principal, params.environment_api_key, body));
  route(app, 'getEnvironmentFeatureState', s.getEnvironmentFeatureState, ({ principal, params }) => featureStates.getInEnvironment(principal, params.environment_api_key, params.id));
  route(app, 'updateEnvironmentFeatureState', s.updateEnvironmentFeatureState, ({ principal, params, body }) => featureStates.updateInEnvironment(principal, params.environment_api_key, params.id, body));
  route(app, 'partialUpdateEnvironmentFeatureState', s.partialUpdateEnvironmentFeatureState, ({ principal, params, body }) =>
    featureStates.updateInEnvironment(principal, params.environment_api_key, params.id, body),
  );
  route(app, 'deleteEnvironmentFeatureState', s.deleteEnvironmentFeatureState, ({ principal, params }) => featureStates.removeInEnvironment(principal, params.environment_api_key, params.id));
}
