import type { DbExecutor } from '../../platform/database/database.js';
import type { FeatureSegmentRecord, FeatureSegmentsStore, PriorityScope } from './feature-segments.store.js';

function base(ex: DbExecutor) {
  return ex
    .selectFrom('feature_segments as fs')
    .innerJoin('segments as s', 's.id', 'fs.segment_id')
    .select([
      'fs.id', 'fs.uuid', 'fs.feature_id', 'fs.segment_id', 'fs.environment_id', 'fs.priority', 'fs.environment_feature_version_uuid', 'fs.created_at',
      's.name as segment_name', 's.feature_id as segment_feature_id',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;

function toRecord(r: Row): FeatureSegmentRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    featureId: r.feature_id,
    segmentId: r.segment_id,
    environmentId: r.environment_id,
    priority: Number(r.priority),
    environmentFeatureVersionUuid: r.environment_feature_version_uuid,
    createdAt: r.created_at,
    segmentName: r.segment_name,
    segmentFeatureId: r.segment_feature_id,
  };
}

function inScope(q: ReturnType<typeof base>, scope: PriorityScope): ReturnType<typeof base> {
  const scoped = q.where('fs.feature_id', '=', scope.featureId).where('fs.environment_id', '=', scope.environmentId);
  return scope.environmentFeatureVersionUuid === null
    ? scoped.where('fs.environment_feature_version_uuid', 'is', null)
    : scoped.where('fs.environment_feature_version_uuid', '=', scope.environmentFeatureVersionUuid);
}

export function createSqlFeatureSegmentsStore(): FeatureSegmentsStore {
  return {
    async find(ex, id) {
      const r = await base(ex).where('fs.id', '=', id).executeTakeFirst();
      return r && toRecord(r);
    },
    async findMany(ex, ids) {
      if (ids.length === 0) return [];
      return (await base(ex).where('fs.id', 'in', [...ids]).orderBy('fs.id').execute()).map(toRecord);
    },
    async list(ex, scope, page) {
      const q = inScope(base(ex), scope);
      const all = (await q.orderBy('fs.priority').orderBy('fs.id').execute()).map(toRecord);
      return { total: all.length, items: all.slice(page.offset, page.offset + page.limit) };
    },
    async listInScope(ex, scope) {
      return (await inScope(base(ex), scope).orderBy('fs.priority').orderBy('fs.id').execute()).map(toRecord);
    },
    async listBySegment(ex, segmentId) {
      return (await base(ex).where('fs.segment_id', '=', segmentId).orderBy('fs.id').execute()).map(toRecord);
    },
    async exists(ex, scope, exceptId) {
      let q = inScope(base(ex), scope).where('fs.segment_id', '=', scope.segmentId);
      if (exceptId !== undefined) q = q.where('fs.id', '!=', exceptId);
      return (await q.executeTakeFirst()) !== undefined;
    },
    async countOfEnvironment(ex, environmentId) {
      const r = await ex.selectFrom('feature_segments').select((eb) => eb.fn.countAll<number>().as('n')).where('environment_id', '=', environmentId).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async insert(ex, row) {
      const r = await ex
        .insertInto('feature_segments')
        .values({ uuid: row.uuid, feature_id: row.featureId, segment_id: row.segmentId, environment_id: row.environmentId, priority: row.priority, environment_feature_version_uuid: row.environmentFeatureVersionUuid, created_at: row.createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async setSegment(ex, id, segmentId) {
      await ex.updateTable('feature_segments').set({ segment_id: segmentId }).where('id', '=', id).execute();
    },
    async setPriorities(ex, changes) {
      for (const c of changes) await ex.updateTable('feature_segments').set({ priority: c.priority }).where('id', '=', c.id).execute();
    },
    async delete(ex, id) {
      await ex.deleteFrom('feature_segments').where('id', '=', id).execute();
    },
    async overrideStateIds(ex, featureSegmentId) {
      const rows = await ex.selectFrom('feature_states').select('id').where('feature_segment_id', '=', featureSegmentId).orderBy('id').execute();
      return rows.map((r) => r.id);
    },
  };
}
