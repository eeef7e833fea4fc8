import { impactRoutes } from '../../../src-shared/contracts/http/impact.contract.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { ChangeRequestsService } from '../change-requests/change-requests.service.js';
import type { ImpactAnswer, ImpactService } from './impact.service.js';
import type { FastifyReply } from 'fastify';

/** A finished preview is the 200 body; one still running is a 202 pointing at where to poll it. */
function answer(reply: FastifyReply, a: ImpactAnswer) {
  if (!a.isFinished) reply.code(202).header('location', `/api/v1/impact-previews/${a.preview.id}/`).send(a.preview);
  return Promise.resolve(a.preview);
}

export function registerImpactRoutes(app: HttpApp, impact: ImpactService, changeRequests: Pick<ChangeRequestsService, 'revert'>): void {
  const r = impactRoutes;
  route(app, 'previewFeatureVersionImpact', r.previewFeatureVersionImpact, async ({ principal, params, body, reply }) =>
    answer(reply, await impact.previewVersion(principal, params.environment_pk, params.feature_pk, params.uuid, body?.wait_ms)),
  );
  route(app, 'previewChangeRequestImpact', r.previewChangeRequestImpact, async ({ principal, params, body, reply }) =>
    answer(reply, await impact.previewChangeRequest(principal, params.id, { revert: body?.revert ?? false, waitMs: body?.wait_ms })),
  );
  route(app, 'getImpactPreview', r.getImpactPreview, ({ principal, params }) => impact.get(principal, params.id));
  route(app, 'cancelImpactPreview', r.cancelImpactPreview, ({ principal, params }) => impact.cancel(principal, params.id));
  route(app, 'revertChangeRequest', r.revertChangeRequest, ({ principal, params, body }) => changeRequests.revert(principal, params.id, body ?? {}));
}
