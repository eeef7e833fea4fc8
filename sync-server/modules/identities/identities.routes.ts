import { identityRoutes } from '../../../src-shared/contracts/http/identities.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { IdentitiesService } from './identities.service.js';

export function registerIdentityRoutes(app: HttpApp, identities: IdentitiesService): void {
  const r = identityRoutes;
  route(app, 'listIdentities', r.listIdentities, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await identities.list(principal, params.environment_api_key, { q: query.q }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createIdentity', r.createIdentity, ({ principal, params, body }) => identities.create(principal, params.environment_api_key, body));
  route(app, 'getIdentity', r.getIdentity, ({ principal, params }) => identities.get(principal, params.environment_api_key, params.id));
  route(app, 'deleteIdentity', r.deleteIdentity, ({ principal, params }) => identities.remove(principal, params.environment_api_key, params.id));

  route(app, 'listIdentityTraits', r.listIdentityTraits, ({ principal, params }) => identities.listTraits(principal, params.environment_api_key, params.identity_pk));
  route(app, 'createIdentityTrait', r.createIdentityTrait, ({ principal, params, body }) => identities.createTrait(principal, params.environment_api_key, params.identity_pk, body));
  route(app, 'getIdentityTrait', r.getIdentityTrait, ({ principal, params }) => identities.getTrait(principal, params.environment_api_key, params.identity_pk, params.id));
  route(app, 'updateIdentityTrait', r.updateIdentityTrait, ({ principal, params, body }) => identities.updateTrait(principal, params.environment_api_key, params.identity_pk, params.id, body, false));
  route(app, 'partialUpdateIdentityTrait', r.partialUpdateIdentityTrait, ({ principal, params, body }) =>
    identities.updateTrait(principal, params.environment_api_key, params.identity_pk, params.id, body, true),
  );
  route(app, 'deleteIdentityTrait', r.deleteIdentityTrait, ({ principal, params, query }) =>
    identities.deleteTrait(principal, params.environment_api_key, params.identity_pk, params.id, { allMatching: query.deleteAllMatchingTraits === 'true' || query.deleteAllMatchingTraits === 'True' }),
  );

  route(app, 'listIdentityFeatureStates', r.listIdentityFeatureStates, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await identities.listOverrides(principal, params.environment_api_key, params.identity_pk, { feature: query.feature }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'listIdentityAllFeatureStates', r.listIdentityAllFeatureStates, ({ principal, params }) => identities.allFeatureStates(principal, params.environment_api_key, params.identity_pk));
  route(app, 'createIdentityFeatureState', r.createIdentityFeatureState, ({ principal, params, body }) => identities.createOverride(principal, params.environment_api_key, params.identity_pk, body));
  route(app, 'getIdentityFeatureState', r.getIdentityFeatureState, ({ principal, params }) => identities.getOverride(principal, params.environment_api_key, params.identity_pk, params.id));
  route(app, 'updateIdentityFeatureState', r.updateIdentityFeatureState, ({ principal, params, body }) =>
    identities.updateOverride(principal, params.environment_api_key, params.identity_pk, params.id, body),
  );
  route(app, 'partialUpdateIdentityFeatureState', r.partialUpdateIdentityFeatureState, ({ principal, params, body }) =>
    identities.updateOverride(principal, params.environment_api_key, params.identity_pk, params.id, body),
  );
  route(app, 'deleteIdentityFeatureState', r.deleteIdentityFeatureState, ({ principal, params }) => identities.removeOverride(principal, params.environment_api_key, params.identity_pk, params.id));
}
