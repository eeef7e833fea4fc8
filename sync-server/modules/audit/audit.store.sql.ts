import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db, DbExecutor } from '../../platform/database/database.js';
import type { Database } from '../../platform/database/database.schema.js';
import type { AuditLogWire } from '../../../src-shared/contracts/http/audit.contract.js';
import type { AuditFilter, AuditStore } from './audit.store.js';

type AuditEb = ExpressionBuilder<Database & { a: Database['audit_log'] }, 'a'>;

/** `%`, `_` and the escape character itself match literally in a LIKE pattern. */
function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function createSqlAuditStore(db: Db): AuditStore {
  const k = db.kysely;

  function wireQuery(ex: DbExecutor) {
    return ex
      .selectFrom('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.author_user_id')
      .leftJoin('environments as e', 'e.id', 'a.environment_id')
      .leftJoin('projects as p', 'p.id', 'a.project_id')
      .select([
        'a.id', 'a.uuid', 'a.created_at', 'a.log', 'a.organisation_id', 'a.project_id', 'a.environment_id',
        'a.related_object_id', 'a.related_object_uuid', 'a.related_object_type', 'a.is_system_event',
        'u.id as author_id', 'u.email as author_email', 'u.first_name as author_first_name', 'u.last_name as author_last_name',
        'e.id as env_id', 'e.name as env_name', 'e.api_key as env_api_key',
        'p.id as proj_id', 'p.name as proj_name', 'p.organisation_id as proj_organisation',
      ]);
  }
  type WireRow = Awaited<ReturnType<ReturnType<typeof wireQuery>['execute']>>[number];

  function toWire(r: WireRow): AuditLogWire {
    return {
      id: r.id,
      uuid: r.uuid,
      created_date: r.created_at,
      log: r.log,
      author: r.author_id == null ? null : { id: r.author_id, email: r.author_email ?? '', first_name: r.author_first_name ?? '', last_name: r.author_last_name ?? '' },
      environment: r.env_id == null ? null : { id: r.env_id, name: r.env_name ?? '', api_key: r.env_api_key ?? '' },
      project: r.proj_id == null ? null : { id: r.proj_id, name: r.proj_name ?? '', organisation: Number(r.proj_organisation) },
      related_object_id: r.related_object_id,
      related_object_uuid: r.related_object_uuid,
      related_object_type: r.related_object_type,
      is_system_event: Boolean(r.is_system_event),
    };
  }

  function filtered(eb: AuditEb, f: AuditFilter) {
    const readable = [];
    if (f.readable.organisationIds.length > 0) readable.push(eb('a.organisation_id', 'in', f.readable.organisationIds));
    if (f.readable.projectIds.length > 0) readable.push(eb('a.project_id', 'in', f.readable.projectIds));
    const conditions: Expression<SqlBool>[] = [readable.length > 0 ? eb.or(readable) : eb.val(false)];
    if (f.projectId !== undefined) conditions.push(eb('a.project_id', '=', f.projectId));
    if (f.environmentIds && f.environmentIds.length > 0) conditions.push(eb('a.environment_id', 'in', f.environmentIds));
    if (f.isSystemEvent !== undefined) conditions.push(eb('a.is_system_event', '=', f.isSystemEvent));
    if (f.search) conditions.push(sql<boolean>`lower(${sql.ref('a.log')}) like ${likePattern(f.search)} escape '\\'`);
    if (f.from) conditions.push(eb('a.created_at', '>=', f.from));
    if (f.to) conditions.push(eb('a.created_at', '<', f.to));
    return eb.and(conditions);
  }

  return {
    async projectOfEnvironment(trx, environmentId) {
      const r = await trx.selectFrom('environments').select('project_id').where('id', '=', environmentId).executeTakeFirst();
      return r?.project_id;
    },
    async entryWire(ex, id) {
      const r = await wireQuery(ex ?? k).where('a.id', '=', id).executeTakeFirst();
      return r ? { ...toWire(r), organisationId: r.organisation_id, projectId: r.project_id } : undefined;
    },
    async list(f, { offset, limit }) {
      const total = await k
        .selectFrom('audit_log as a')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where((eb) => filtered(eb as unknown as AuditEb, f))
        .executeTakeFirstOrThrow();
      const rows = await wireQuery(k)
        .where((eb) => filtered(eb as unknown as AuditEb, f))
        .orderBy('a.created_at', 'desc')
        .orderBy('a.id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      return { total: Number(total.n), items: rows.map(toWire) };
    },
    async projectIdsOfOrganisation(organisationId) {
      const rows = await k.selectFrom('projects').select('id').where('organisation_id', '=', organisationId).orderBy('id').execute();
      return rows.map((r) => r.id);
    },
    async chainHead(organisationId) {
      const r = await k.selectFrom('organisations').select(['audit_chain_length', 'audit_head_hash']).where('id', '=', organisationId).executeTakeFirst();
      return r ? { length: Number(r.audit_chain_length), headHash: r.audit_head_hash } : undefined;
    },
    async chainRows(organisationId, afterSeq, limit) {
      const rows = await k
        .selectFrom('audit_log')
        .select([
          'id', 'uuid', 'organisation_id', 'project_id', 'environment_id', 'log', 'author_user_id', 'author_api_key_id',
          'related_object_type', 'related_object_id', 'related_object_uuid', 'is_system_event', 'created_at', 'chain_seq', 'prev_hash', 'hash',
        ])
        .where('organisation_id', '=', organisationId)
        .where('chain_seq', '>', afterSeq)
        .orderBy('chain_seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, chain_seq: Number(r.chain_seq) }));
    },
    async firstUnchained(organisationId) {
      return k
        .selectFrom('audit_log')
        .select('id')
        .where('organisation_id', '=', organisationId)
        .where((eb) => eb.or([eb('chain_seq', 'is', null), eb('hash', 'is', null)]))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
    },
  };
}
