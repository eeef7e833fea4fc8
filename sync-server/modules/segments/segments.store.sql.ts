import { sql, type Selectable } from 'kysely';
import type { SegmentsTable } from '../../platform/database/database.schema.js';
import type { SegmentRule } from '../../../src-shared/domain/segments/segment-rules.rules.js';
import type { SegmentRecord, SegmentsStore } from './segments.store.js';

function toSegment(r: Selectable<SegmentsTable>): SegmentRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    projectId: r.project_id,
    featureId: r.feature_id,
    name: r.name,
    description: r.description,
    rules: JSON.parse(r.rules_json) as SegmentRule[],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** `%text%` for LIKE with `!` as the escape character (one that means the same on both dialects). */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

export function createSqlSegmentsStore(): SegmentsStore {
  return {
    async find(ex, id) {
      const r = await ex.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toSegment(r);
    },
    async list(ex, projectId, filter, page) {
      let q = ex.selectFrom('segments').where('project_id', '=', projectId);
      if (!filter.includeFeatureSpecific) q = q.where('feature_id', 'is', null);
      if (filter.q) q = q.where(sql<boolean>`lower(name) like ${containsPattern(filter.q)} escape '!'`);
      const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await q.selectAll().orderBy('id').limit(page.limit).offset(page.offset).execute();
      return { total: Number(n), items: rows.map(toSegment) };
    },
    async insert(ex, s) {
      const r = await ex
        .insertInto('segments')
        .values({ uuid: s.uuid, project_id: s.projectId, feature_id: s.featureId, name: s.name, description: s.description, rules_json: JSON.stringify(s.rules), created_at: s.createdAt, updated_at: s.updatedAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async update(ex, id, patch) {
      await ex
        .updateTable('segments')
        .set({
          updated_at: patch.updatedAt,
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.featureId !== undefined ? { feature_id: patch.featureId } : {}),
          ...(patch.rules !== undefined ? { rules_json: JSON.stringify(patch.rules) } : {}),
        })
        .where('id', '=', id)
        .execute();
    },
    async delete(ex, id) {
      await ex.deleteFrom('segments').where('id', '=', id).execute();
    },
  };
}
