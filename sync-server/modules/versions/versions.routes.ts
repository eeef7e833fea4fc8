import { versionRoutes } from '../../../src-shared/contracts/http/versions.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { VersionsService } from './versions.service.js';
import { validationFailed } from '../../../src-shared/errors/app-error.js';

/**
 * An optional body that is sent must be a JSON object (issue 10 §2.4): an array, a string (a text/plain
 * body) or a number is refused, never read as "no options" and published with defaults.
 */
function requireObjectBody<T>(body: T): T {
  if (body === undefined || body === null) return body;
  if (typeof body !== 'object' || Array.isArray(body)) throw validationFailed('body', 'must be a JSON object (or no body at all)');
  return body;
}

export function registerVersionRoutes(app: HttpApp, versions: VersionsService): void {
  const r = versionRoutes;
  route(app, 'listFeatureVersions', r.listFeatureVersions, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await versions.list(principal, params.environment_pk, params.feature_pk, { isLive: query.is_live, published: query.published }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createFeatureVersion', r.createFeatureVersion, ({ principal, params, body }) => versions.create(principal, params.environment_pk, params.feature_pk, body));
  route(app, 'getFeatureVersion', r.getFeatureVersion, ({ principal, params }) => versions.get(principal, params.environment_pk, params.feature_pk, params.uuid));
  route(app, 'deleteFeatureVersion', r.deleteFeatureVersion, ({ principal, params }) => versions.remove(principal, params.environment_pk, params.feature_pk, params.uuid));
  route(app, 'publishFeatureVersion', r.publishFeatureVersion, ({ principal, params, body }) => versions.publish(principal, params.environment_pk, params.feature_pk, params.uuid, requireObjectBody(body)?.live_from));
  route(app, 'restoreFeatureVersion', r.restoreFeatureVersion, ({ principal, params, body }) => versions.restore(principal, params.environment_pk, params.feature_pk, params.uuid, requireObjectBody(body)?.description));
  route(app, 'getFeatureVersionDiff', r.getFeatureVersionDiff, ({ principal, params, query }) => versions.diff(principal, params.environment_pk, params.feature_pk, params.uuid, query.against));
  route(app, 'listFeatureVersionFeatureStates', r.listFeatureVersionFeatureStates, ({ principal, params }) => versions.listStates(principal, params.environment_pk, params.feature_pk, params.uuid));
  route(app, 'createFeatureVersionFeatureState', r.createFeatureVersionFeatureState, ({ principal, params, body }) =>
    versions.createState(principal, params.environment_pk, params.feature_pk, params.uuid, body),
  );
  route(app, 'getFeatureVersionFeatureState', r.getFeatureVersionFeatureState, ({ principal, params }) => versions.getState(principal, params.environment_pk, params.feature_pk, params.uuid, params.id));
  route(app, 'updateFeatureVersionFeatureState', r.updateFeatureVersionFeatureState, ({ principal, params, body }) =>
    versions.updateState(principal, params.environment_pk, params.feature_pk, params.uuid, params.id, body),
  );
  route(app, 'partialUpdateFeatureVersionFeatureState', r.partialUpdateFeatureVersionFeatureState, ({ principal, params, body }) =>
    versions.updateState(principal, params.environment_pk, params.feature_pk, params.uuid, params.id, body),
  );
  route(app, 'deleteFeatureVersionFeatureState', r.deleteFeatureVersionFeatureState, ({ principal, params }) => versions.removeState(principal, params.environment_pk, params.feature_pk, params.uuid, params.id));
  route(app, 'getEnvironmentFeatureVersion', r.getEnvironmentFeatureVersion, ({ principal, params }) => versions.getByUuid(principal, params.uuid));
}
