import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../platform/database/database.schema.js';
import type { SyncCollectionName } from '../../../src-shared/contracts/sync/collections.js';
import type { ChangeRow, IntentRow, StoredDocument, SyncStore, Visibility } from './sync.store.js';

type ChangesEb = ExpressionBuilder<Database, 'sync_changes'>;

const bool = (v: unknown) => Boolean(v);
const int = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const json = (text: string | null) => (text === null ? null : (JSON.parse(text) as unknown));

/** The rows of the change feed a caller may see, per collection (see `Visibility` for tombstones). */
function visible(eb: ChangesEb, collection: SyncCollectionName, v: Visibility): Expression<SqlBool> {
  const inList = (column: 'organisation_id' | 'project_id' | 'environment_id', ids: number[]) => (ids.length === 0 ? sql<SqlBool>`1 = 0` : eb(column, 'in', ids));
  const tombstone = (...scopes: Expression<SqlBool>[]) => eb.and([eb('deleted', '=', true), eb.or(scopes)]);
  switch (collection) {
    case 'organisations':
      return inList('organisation_id', v.organisationIds);
    case 'projects':
    case 'features':
    case 'segments':
      return eb.or([inList('project_id', v.projectIds), tombstone(inList('organisation_id', v.adminOrganisationIds))]);
    case 'environments':
    case 'versions':
    case 'drafts':
    case 'change_requests':
      return eb.or([inList('environment_id', v.environmentIds), tombstone(inList('project_id', v.adminProjectIds), inList('organisation_id', v.adminOrganisationIds))]);
    case 'intents':
      return v.userId === null ? sql<SqlBool>`1 = 0` : eb('user_id', '=', v.userId);
  }
}

function toChange(r: { collection: string; doc_id: string; seq: number | null; organisation_id: number | null; user_id: number | null; deleted: unknown }): ChangeRow {
  return { collection: r.collection, docId: r.doc_id, seq: Number(r.seq), organisationId: r.organisation_id, userId: r.user_id, deleted: bool(r.deleted) };
}

export function createSqlSyncStore(): SyncStore {
  return {
    async currentSequence(ex) {
      const r = await ex.selectFrom('sync_counter').select('value').where('id', '=', 1).executeTakeFirst();
      return Number(r?.value ?? 0);
    },

    async changes(ex, collection, after, upTo, limit, v) {
      const rows = await ex
        .selectFrom('sync_changes')
        .select(['collection', 'doc_id', 'seq', 'organisation_id', 'user_id', 'deleted'])
        .where('collection', '=', collection)
        .where('seq', '>', after)
        .where('seq', '<=', upTo)
        .where((eb) => visible(eb, collection, v))
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    },

    async changesSince(ex, after, upTo, limit) {
      const rows = await ex
        .selectFrom('sync_changes')
        .select(['collection', 'doc_id', 'seq', 'organisation_id', 'user_id', 'deleted'])
        .where('seq', '>', after)
        .where('seq', '<=', upTo)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toChange);
    },

    async sequences(ex, collection, ids) {
      if (ids.length === 0) return new Map();
      const rows = await ex.selectFrom('sync_changes').select(['doc_id', 'seq']).where('collection', '=', collection).where('doc_id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.doc_id, Number(r.seq)]));
    },

    async documents(ex, collection, ids) {
      if (ids.length === 0) return new Map();
      const docs: StoredDocument[] = [];
      switch (collection) {
        case 'organisations': {
          const rows = await ex.selectFrom('organisations').selectAll().where('uuid', 'in', ids).execute();
          for (const r of rows) {
            docs.push({
              id: r.uuid, pk: r.id, name: r.name, planName: r.plan_name, persistTraitData: bool(r.persist_trait_data), stopServingFlags: bool(r.stop_serving_flags),
              maxSegmentOverridesPerEnvironment: r.max_segment_overrides_per_environment, featureHistoryVisibilityDays: r.feature_history_visibility_days, createdAt: r.created_at,
            });
          }
          break;
        }
        case 'projects': {
          const rows = await ex.selectFrom('projects').selectAll().where('uuid', 'in', ids).execute();
          for (const r of rows) docs.push({ id: r.uuid, pk: r.id, organisationId: r.organisation_id, name: r.name, hideDisabledFlags: bool(r.hide_disabled_flags), createdAt: r.created_at });
          break;
        }
        case 'environments': {
          const rows = await ex.selectFrom('environments as e').innerJoin('projects as p', 'p.id', 'e.project_id').selectAll('e').select('p.organisation_id').where('e.uuid', 'in', ids).execute();
          for (const r of rows) {
            docs.push({
              id: r.uuid, pk: r.id, organisationId: r.organisation_id, projectId: r.project_id, name: r.name, description: r.description, apiKey: r.api_key,
              useV2FeatureVersioning: bool(r.use_v2_feature_versioning), versioningStatus: r.versioning_status, versioningProgress: json(r.versioning_progress_json),
              minimumChangeRequestApprovals: r.minimum_change_request_approvals, allowClientTraits: bool(r.allow_client_traits),
              hideDisabledFlags: r.hide_disabled_flags === null ? null : bool(r.hide_disabled_flags), createdAt: r.created_at, updatedAt: r.updated_at,
            });
          }
          break;
        }
        case 'features': {
          const rows = await ex.selectFrom('features as f').innerJoin('projects as p', 'p.id', 'f.project_id').selectAll('f').select('p.organisation_id').where('f.uuid', 'in', ids).execute();
          const options = rows.length === 0 ? [] : await ex.selectFrom('multivariate_options').selectAll().where('feature_id', 'in', rows.map((r) => r.id)).orderBy('id').execute();
          for (const r of rows) {
            docs.push({
              id: r.uuid, pk: r.id, organisationId: r.organisation_id, projectId: r.project_id, name: r.name, type: r.type, initialValue: r.initial_value,
              defaultEnabled: bool(r.default_enabled), description: r.description, isArchived: bool(r.is_archived), isServerKeyOnly: bool(r.is_server_key_only), createdAt: r.created_at,
              multivariateOptions: options
                .filter((o) => o.feature_id === r.id)
                .map((o) => ({
                  pk: o.id, uuid: o.uuid, type: o.type, stringValue: o.string_value, integerValue: int(o.integer_value),
                  booleanValue: o.boolean_value === null ? null : bool(o.boolean_value), defaultPercentageAllocation: Number(o.default_percentage_allocation),
                })),
            });
          }
          break;
        }
        case 'segments': {
          const rows = await ex.selectFrom('segments as s').innerJoin('projects as p', 'p.id', 's.project_id').selectAll('s').select('p.organisation_id').where('s.uuid', 'in', ids).execute();
          for (const r of rows) {
            docs.push({
              id: r.uuid, pk: r.id, organisationId: r.organisation_id, projectId: r.project_id, featureId: r.feature_id, name: r.name, description: r.description,
              rules: json(r.rules_json) as unknown[], createdAt: r.created_at, updatedAt: r.updated_at,
            });
          }
          break;
        }
        case 'versions':
        case 'drafts': {
          const rows = await ex
            .selectFrom('environment_feature_versions as v')
            .innerJoin('environments as e', 'e.id', 'v.environment_id')
            .innerJoin('projects as p', 'p.id', 'e.project_id')
            .selectAll('v')
            .select(['e.project_id', 'p.organisation_id'])
            .where('v.uuid', 'in', ids)
            .execute();
          for (const r of rows) {
            const scope = { id: r.uuid, organisationId: r.organisation_id, projectId: r.project_id, environmentId: r.environment_id, featureId: r.feature_id };
            if (collection === 'drafts') {
              if (r.status !== 'draft' || r.draft_state === null) continue;
              docs.push({
                ...scope, description: r.description, baseVersionUuid: r.base_version_uuid, state: r.draft_state, content: json(r.content_json),
                createdByUserId: r.created_by_user_id, createdAt: r.created_at, updatedAt: r.updated_at, error: null,
              });
            } else {
              if (r.status === 'draft') continue;
              docs.push({
                ...scope, status: r.status, description: r.description, content: json(r.content_json), contentHash: r.content_hash, baseVersionUuid: r.base_version_uuid,
                previousVersionUuid: r.previous_version_uuid, conflicts: json(r.conflict_json), liveFrom: r.live_from, liveSeq: int(r.live_seq), publishedAt: r.published_at,
                publishedByUserId: r.published_by_user_id, createdByUserId: r.created_by_user_id, createdAt: r.created_at, updatedAt: r.updated_at,
              });
            }
          }
          break;
        }
        case 'change_requests': {
          // The scope only: the change-requests service builds the rest (with the caller's access).
          const rows = await ex
            .selectFrom('change_requests as c')
            .innerJoin('environments as e', 'e.id', 'c.environment_id')
            .innerJoin('projects as p', 'p.id', 'e.project_id')
            .select(['c.uuid', 'c.id', 'c.environment_id', 'e.project_id', 'p.organisation_id'])
            .where('c.uuid', 'in', ids)
            .execute();
          for (const r of rows) docs.push({ id: r.uuid, pk: r.id, organisationId: r.organisation_id, projectId: r.project_id, environmentId: r.environment_id });
          break;
        }
        case 'intents': {
          const rows = await ex.selectFrom('sync_intents').selectAll().where('id', 'in', ids).execute();
          for (const r of rows) {
            const payload = JSON.parse(r.payload_json) as Record<string, unknown>;
            docs.push({
              id: r.id, kind: r.kind, organisationId: r.organisation_id, projectId: r.project_id, environmentId: r.environment_id,
              featureId: payload.featureId ?? null, versionUuid: payload.versionUuid ?? null, changeRequestId: payload.changeRequestId ?? null, liveFrom: payload.liveFrom ?? null,
              createdAt: r.created_at, status: r.status, result: json(r.result_json),
            });
          }
          break;
        }
      }
      return new Map(docs.map((d) => [d.id, d]));
    },

    async projectsOf(ex, organisationIds) {
      if (organisationIds.length === 0) return [];
      const rows = await ex.selectFrom('projects').select(['id', 'organisation_id']).where('organisation_id', 'in', organisationIds).execute();
      return rows.map((r) => ({ id: r.id, organisationId: r.organisation_id }));
    },

    async environmentsOf(ex, projectIds) {
      if (projectIds.length === 0) return [];
      const rows = await ex.selectFrom('environments as e').innerJoin('projects as p', 'p.id', 'e.project_id').select(['e.id', 'e.project_id', 'p.organisation_id']).where('e.project_id', 'in', projectIds).execute();
      return rows.map((r) => ({ id: r.id, projectId: r.project_id, organisationId: r.organisation_id }));
    },

    async findIntent(ex, id) {
      const r = await ex.selectFrom('sync_intents').selectAll().where('id', '=', id).executeTakeFirst();
      return (
        r && {
          id: r.id, userId: r.user_id, apiKeyId: r.api_key_id, organisationId: r.organisation_id, projectId: r.project_id, environmentId: r.environment_id, kind: r.kind,
          payloadJson: r.payload_json, status: r.status, resultJson: r.result_json, createdAt: r.created_at, receivedAt: r.received_at, updatedAt: r.updated_at,
        }
      );
    },

    async insertIntent(ex, row: IntentRow) {
      await ex
        .insertInto('sync_intents')
        .values({
          id: row.id, user_id: row.userId, api_key_id: row.apiKeyId, organisation_id: row.organisationId, project_id: row.projectId, environment_id: row.environmentId, kind: row.kind,
          payload_json: row.payloadJson, status: row.status, result_json: row.resultJson, created_at: row.createdAt, received_at: row.receivedAt, updated_at: row.updatedAt,
        })
        .execute();
    },

    async updateIntent(ex, id, patch) {
      await ex.updateTable('sync_intents').set({ status: patch.status, result_json: patch.resultJson, updated_at: patch.updatedAt }).where('id', '=', id).execute();
    },
  };
}
