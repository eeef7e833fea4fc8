import { generateUuid } from '../../sync-server/platform/security/secrets.js';
import type { FeatureWire, MultivariateOptionWire } from '../../src-shared/contracts/http/features.contract.js';
import type { EnvironmentFeatureStateWire } from '../../src-shared/contracts/http/feature-states.contract.js';
import type { TestApi } from './api-harness.js';

/** Creates a feature through the API (as the organisation admin unless `auth` is given); throws unless 201. */
export async function createFeature(api: TestApi, projectId: number, name: string, body: Record<string, unknown> = {}, auth?: string): Promise<FeatureWire> {
  const r = await api.op<FeatureWire>('createFeature', { params: { project_pk: projectId }, body: { name, ...body }, ...(auth ? { auth } : {}) });
  if (r.status !== 201) throw new Error(`createFeature failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Adds a multivariate option through the API; throws unless 201. */
export async function createMvOption(api: TestApi, projectId: number, featureId: number, body: Record<string, unknown>, auth?: string): Promise<MultivariateOptionWire> {
  const r = await api.op<MultivariateOptionWire>('createFeatureMvOption', { params: { project_pk: projectId, feature_pk: featureId }, body, ...(auth ? { auth } : {}) });
  if (r.status !== 201) throw new Error(`createFeatureMvOption failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The environment default of a feature in an environment, read through the legacy environment route. */
export async function environmentDefaultState(api: TestApi, environmentApiKey: string, featureId: number): Promise<EnvironmentFeatureStateWire> {
  const r = await api.op<{ results: EnvironmentFeatureStateWire[] }>('listEnvironmentFeatureStates', { params: { environment_api_key: environmentApiKey }, query: { feature: featureId } });
  const state = r.body.results?.[0];
  if (r.status !== 200 || !state) throw new Error(`no environment default for feature ${featureId}: ${r.status} ${JSON.stringify(r.body)}`);
  return state;
}

/**
 * A segment and a feature segment written straight to the database, for tests of segment-override
 * feature states that should not depend on the segments module's routes.
 */
export async function insertFeatureSegment(api: TestApi, input: { projectId: number; featureId: number; environmentId: number; segmentName?: string; priority?: number }): Promise<{ segmentId: number; featureSegmentId: number }> {
  const k = api.testDb.db.kysely;
  const now = api.clock.now().toISOString();
  const segment = await k
    .insertInto('segments')
    .values({ uuid: generateUuid(), project_id: input.projectId, feature_id: null, name: input.segmentName ?? 'beta users', description: null, rules_json: '[]', created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const fs = await k
    .insertInto('feature_segments')
    .values({ uuid: generateUuid(), feature_id: input.featureId, segment_id: segment.id, environment_id: input.environmentId, priority: input.priority ?? 0, environment_feature_version_uuid: null, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { segmentId: segment.id, featureSegmentId: fs.id };
}

/** Reads an environment's document revision (bumped by every write SDKs can see). */
export async function documentRevision(api: TestApi, environmentId: number): Promise<number> {
  const r = await api.testDb.db.kysely.selectFrom('environments').select('document_revision').where('id', '=', environmentId).executeTakeFirstOrThrow();
  return Number(r.document_revision);
}

/** Audit log lines of one related object, oldest first. */
export async function auditLogsOf(api: TestApi, relatedObjectType: string, relatedObjectId: number): Promise<string[]> {
  const rows = await api.testDb.db.kysely
    .selectFrom('audit_log')
    .select('log')
    .where('related_object_type', '=', relatedObjectType)
    .where('related_object_id', '=', relatedObjectId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.log);
}

/** Webhook events of an environment of one type, oldest first, with their parsed data. */
export async function webhookEventsOf(api: TestApi, environmentId: number, eventType: string): Promise<any[]> {
  const rows = await api.testDb.db.kysely
    .selectFrom('events')
    .select('data_json')
    .where('environment_id', '=', environmentId)
    .where('event_type', '=', eventType)
    .orderBy('id')
    .execute();
  return rows.map((r) => JSON.parse(r.data_json));
}
