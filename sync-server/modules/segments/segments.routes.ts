import { featureSegmentRoutes, segmentRoutes } from '../../../src-shared/contracts/http/segments.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { SegmentsService } from './segments.service.js';
import type { FeatureSegmentsService } from './feature-segments.service.js';

export function registerSegmentRoutes(app: HttpApp, segments: SegmentsService, featureSegments: FeatureSegmentsService): void {
  const r = segmentRoutes;
  route(app, 'listSegments', r.listSegments, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await segments.list(principal, params.project_pk, { q: query.q, includeFeatureSpecific: query.include_feature_specific }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createSegment', r.createSegment, ({ principal, params, body }) => segments.create(principal, params.project_pk, body));
  route(app, 'getSegment', r.getSegment, ({ principal, params }) => segments.get(principal, params.project_pk, params.id));
  route(app, 'updateSegment', r.updateSegment, ({ principal, params, body }) => segments.update(principal, params.project_pk, params.id, body, false));
  route(app, 'partialUpdateSegment', r.partialUpdateSegment, ({ principal, params, body }) => segments.update(principal, params.project_pk, params.id, body, true));
  route(app, 'deleteSegment', r.deleteSegment, ({ principal, params }) => segments.remove(principal, params.project_pk, params.id));

  const f = featureSegmentRoutes;
  route(app, 'listFeatureSegments', f.listFeatureSegments, async ({ principal, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await featureSegments.list(principal, { environment: query.environment, feature: query.feature }, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createFeatureSegment', f.createFeatureSegment, ({ principal, body }) => featureSegments.create(principal, body));
  route(app, 'getFeatureSegment', f.getFeatureSegment, ({ principal, params }) => featureSegments.get(principal, params.id));
  route(app, 'updateFeatureSegment', f.updateFeatureSegment, ({ principal, params, body }) => featureSegments.update(principal, params.id, body));
  route(app, 'partialUpdateFeatureSegment', f.partialUpdateFeatureSegment, ({ principal, params, body }) => featureSegments.update(principal, params.id, body));
  route(app, 'deleteFeatureSegment', f.deleteFeatureSegment, ({ principal, params }) => featureSegments.remove(principal, params.id));
  route(app, 'updateFeatureSegmentPriorities', f.updateFeatureSegmentPriorities, ({ principal, body }) => featureSegments.updatePriorities(principal, body));
}
