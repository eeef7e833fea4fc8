import { releasePipelineRoutes } from '../../../src-shared/contracts/http/release-pipelines.contract.js';
import { pageOf, paginate, route, type HttpApp } from '../../app/http/http-app.js';
import type { ReleasePipelinesService } from './release-pipelines.service.js';

export function registerReleasePipelineRoutes(app: HttpApp, pipelines: ReleasePipelinesService): void {
  const r = releasePipelineRoutes;
  route(app, 'listReleasePipelines', r.listReleasePipelines, async ({ principal, params, query, request }) => {
    const { page, pageSize, offset } = pageOf(query);
    const { total, items } = await pipelines.list(principal, params.project_pk, { offset, limit: pageSize });
    return paginate(request, total, items, page, pageSize);
  });
  route(app, 'createReleasePipeline', r.createReleasePipeline, ({ principal, params, body }) => pipelines.create(principal, params.project_pk, body));
  route(app, 'getReleasePipeline', r.getReleasePipeline, ({ principal, params }) => pipelines.get(principal, params.project_pk, params.id));
  route(app, 'updateReleasePipeline', r.updateReleasePipeline, ({ principal, params, body }) => pipelines.update(principal, params.project_pk, params.id, body));
  route(app, 'publishReleasePipeline', r.publishReleasePipeline, ({ principal, params }) => pipelines.publish(principal, params.project_pk, params.id));
  route(app, 'deleteReleasePipeline', r.deleteReleasePipeline, ({ principal, params }) => pipelines.remove(principal, params.project_pk, params.id));
  route(app, 'listReleasePipelineStages', r.listReleasePipelineStages, ({ principal, params }) => pipelines.listStages(principal, params.project_pk, params.pipeline_pk));
  route(app, 'createReleasePipelineStage', r.createReleasePipelineStage, ({ principal, params, body }) => pipelines.createStage(principal, params.project_pk, params.pipeline_pk, body));
  route(app, 'getReleasePipelineStage', r.getReleasePipelineStage, ({ principal, params }) => pipelines.getStage(principal, params.project_pk, params.pipeline_pk, params.id));
  route(app, 'updateReleasePipelineStage', r.updateReleasePipelineStage, ({ principal, params, body }) => pipelines.updateStage(principal, params.project_pk, params.pipeline_pk, params.id, body));
  route(app, 'deleteReleasePipelineStage', r.deleteReleasePipelineStage, ({ principal, params }) => pipelines.removeStage(principal, params.project_pk, params.pipeline_pk, params.id));
  route(app, 'addFeatureToReleasePipeline', r.addFeatureToReleasePipeline, ({ principal, params, body }) => pipelines.addFeature(principal, params.project_pk, params.id, body.feature_id));
  route(app, 'removeFeatureFromReleasePipeline', r.removeFeatureFromReleasePipeline, ({ principal, params, body }) => pipelines.removeFeature(principal, params.project_pk, params.id, body.feature_id));
  route(app, 'previewReleasePipelinePromotion', r.previewReleasePipelinePromotion, ({ principal, params, query }) => pipelines.preview(principal, params.project_pk, params.id, query));
  route(app, 'promoteReleasePipelineFeature', r.promoteReleasePipelineFeature, ({ principal, params, body }) => pipelines.promote(principal, params.project_pk, params.id, body));
}
