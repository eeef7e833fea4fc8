import type { Selectable } from 'kysely';
import type { Db } from '../../platform/database/database.js';
import type { ChangeRequestChangeSetsTable, ChangeRequestsTable } from '../../platform/database/database.schema.js';
import type { ChangeRequestRecord, ChangeRequestsStore, ChangeSetRecord } from './change-requests.store.js';

function toRecord(r: Selectable<ChangeRequestsTable>): ChangeRequestRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    environmentId: r.environment_id,
    title: r.title,
    description: r.description,
    authorUserId: r.author_user_id,
    authorApiKeyId: r.author_api_key_id,
    committedAt: r.committed_at,
    committedByUserId: r.committed_by_user_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toChangeSet(r: Selectable<ChangeRequestChangeSetsTable>): ChangeSetRecord {
  return {
    id: r.id,
    changeRequestId: r.change_request_id,
    featureId: r.feature_id,
    liveFrom: r.live_from,
    baseVersionUuid: r.base_version_uuid,
    contentJson: r.content_json,
    contentHash: r.content_hash,
    versionUuid: r.version_uuid,
    conflictJson: r.conflict_json,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function optionLabel(o: { string_value: string | null; integer_value: number | null; boolean_value: unknown }): string {
  if (o.string_value !== null) return o.string_value;
  if (o.integer_value !== null) return String(o.integer_value);
  return o.boolean_value === null ? '' : String(Boolean(o.boolean_value));
}

export function createSqlChangeRequestsStore(db: Db): ChangeRequestsStore {
  return {
    async insert(ex, r) {
      const row = await ex
        .insertInto('change_requests')
        .values({
          uuid: r.uuid,
          environment_id: r.environmentId,
          title: r.title,
          description: r.description,
          author_user_id: r.authorUserId,
          author_api_key_id: r.authorApiKeyId,
          committed_at: r.committedAt,
          committed_by_user_id: r.committedByUserId,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async find(ex, id) {
      const r = await ex.selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async lock(ex, id) {
      let q = ex.selectFrom('change_requests').selectAll().where('id', '=', id);
      if (db.kind === 'postgres') q = q.forUpdate();
      const r = await q.executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async update(ex, id, patch) {
      const set = defined({
        title: patch.title,
        description: patch.description,
        author_user_id: patch.authorUserId,
        author_api_key_id: patch.authorApiKeyId,
        committed_at: patch.committedAt,
        committed_by_user_id: patch.committedByUserId,
        updated_at: patch.updatedAt,
      });
      if (Object.keys(set).length > 0) await ex.updateTable('change_requests').set(set).where('id', '=', id).execute();
    },

    async delete(ex, id) {
      await ex.deleteFrom('change_requests').where('id', '=', id).execute();
    },

    async list(ex, environmentId, filter, page) {
      let q = ex.selectFrom('change_requests').where('environment_id', '=', environmentId);
      if (filter.committed === true) q = q.where('committed_at', 'is not', null);
      if (filter.committed === false) q = q.where('committed_at', 'is', null);
      if (filter.search) q = q.where('title', 'like', `%${filter.search}%`);
      if (filter.featureId !== undefined) {
        const featureId = filter.featureId;
        q = q.where('id', 'in', (qb) => qb.selectFrom('change_request_change_sets').select('change_request_id').where('feature_id', '=', featureId));
      }
      const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await q.selectAll().orderBy('id', 'desc').offset(page.offset).limit(page.limit).execute();
      return { total: Number(count.n), items: rows.map(toRecord) };
    },

    async changeSets(ex, changeRequestId) {
      const rows = await ex.selectFrom('change_request_change_sets').selectAll().where('change_request_id', '=', changeRequestId).orderBy('id').execute();
      return rows.map(toChangeSet);
    },

    async replaceChangeSets(ex, changeRequestId, sets) {
      await ex.deleteFrom('change_request_change_sets').where('change_request_id', '=', changeRequestId).execute();
      if (sets.length === 0) return;
      await ex
        .insertInto('change_request_change_sets')
        .values(
          sets.map((s) => ({
            change_request_id: changeRequestId,
            feature_id: s.featureId,
            live_from: s.liveFrom,
            base_version_uuid: s.baseVersionUuid,
            content_json: s.contentJson,
            content_hash: s.contentHash,
            version_uuid: s.versionUuid,
            conflict_json: s.conflictJson,
            created_at: s.createdAt,
            updated_at: s.updatedAt,
          })),
        )
        .execute();
    },

    async updateChangeSet(ex, id, patch) {
      const set = defined({
        live_from: patch.liveFrom,
        base_version_uuid: patch.baseVersionUuid,
        content_json: patch.contentJson,
        content_hash: patch.contentHash,
        version_uuid: patch.versionUuid,
        conflict_json: patch.conflictJson,
        updated_at: patch.updatedAt,
      });
      if (Object.keys(set).length > 0) await ex.updateTable('change_request_change_sets').set(set).where('id', '=', id).execute();
    },

    async changeSetByVersion(ex, versionUuid) {
      const r = await ex.selectFrom('change_request_change_sets').selectAll().where('version_uuid', '=', versionUuid).executeTakeFirst();
      return r ? toChangeSet(r) : undefined;
    },

    async approvals(ex, changeRequestId) {
      const rows = await ex.selectFrom('change_request_approvals').selectAll().where('change_request_id', '=', changeRequestId).orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, changeRequestId: r.change_request_id, userId: r.user_id, approvedAt: r.approved_at, contentHash: r.content_hash, contentJson: r.content_json }));
    },

    async upsertApproval(ex, a) {
      await ex.deleteFrom('change_request_approvals').where('change_request_id', '=', a.changeRequestId).where('user_id', '=', a.userId).execute();
      await ex
        .insertInto('change_request_approvals')
        .values({ change_request_id: a.changeRequestId, user_id: a.userId, approved_at: a.approvedAt, content_hash: a.contentHash, content_json: a.contentJson })
        .execute();
    },

    async assignees(ex, changeRequestId) {
      const rows = await ex
        .selectFrom('change_request_assignees as a')
        .innerJoin('users as u', 'u.id', 'a.user_id')
        .select(['a.user_id', 'u.email'])
        .where('a.change_request_id', '=', changeRequestId)
        .orderBy('a.id')
        .execute();
      return rows.map((r) => ({ userId: r.user_id, email: r.email }));
    },

    async setAssignees(ex, changeRequestId, userIds, now) {
      await ex.deleteFrom('change_request_assignees').where('change_request_id', '=', changeRequestId).execute();
      if (userIds.length === 0) return;
      await ex
        .insertInto('change_request_assignees')
        .values(userIds.map((userId) => ({ change_request_id: changeRequestId, user_id: userId, created_at: now })))
        .execute();
    },

    async environment(ex, id) {
      const r = await ex
        .selectFrom('environments as e')
        .innerJoin('projects as p', 'p.id', 'e.project_id')
        .select(['e.id', 'e.project_id', 'p.organisation_id', 'e.name', 'e.api_key', 'e.minimum_change_request_approvals'])
        .where('e.id', '=', id)
        .executeTakeFirst();
      return r ? { id: r.id, projectId: r.project_id, organisationId: r.organisation_id, name: r.name, apiKey: r.api_key, minimumApprovals: r.minimum_change_request_approvals } : undefined;
    },

    async organisationMembers(ex, organisationId, userIds) {
      if (userIds.length === 0) return new Map();
      const rows = await ex
        .selectFrom('organisation_users as ou')
        .innerJoin('users as u', 'u.id', 'ou.user_id')
        .select(['u.id', 'u.email'])
        .where('ou.organisation_id', '=', organisationId)
        .where('u.id', 'in', [...userIds])
        .execute();
      return new Map(rows.map((r) => [r.id, r.email]));
    },

    async userEmail(ex, userId) {
      const r = await ex.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst();
      return r?.email;
    },

    async featureNames(ex, ids) {
      if (ids.length === 0) return new Map();
      const rows = await ex.selectFrom('features').select(['id', 'name']).where('id', 'in', [...ids]).execute();
      return new Map(rows.map((r) => [r.id, r.name]));
    },

    async names(ex, segmentIds, featureIds) {
      const segments = segmentIds.length === 0 ? [] : await ex.selectFrom('segments').select(['id', 'name']).where('id', 'in', [...segmentIds]).execute();
      const options =
        featureIds.length === 0 ? [] : await ex.selectFrom('multivariate_options').select(['id', 'string_value', 'integer_value', 'boolean_value']).where('feature_id', 'in', [...featureIds]).execute();
      return {
        segments: Object.fromEntries(segments.map((s) => [String(s.id), s.name])),
        multivariateOptions: Object.fromEntries(options.map((o) => [String(o.id), optionLabel(o)])),
      };
    },
  };
}
