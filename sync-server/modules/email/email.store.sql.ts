import { sql, type Selectable } from 'kysely';
import type { Db } from '../../platform/database/database.js';
import type { EmailsTable } from '../../platform/database/database.schema.js';
import type { EmailRecord, EmailStore } from './email.store.js';

function toRecord(r: Selectable<EmailsTable>): EmailRecord {
  return {
    id: r.id,
    uuid: r.uuid,
    organisationId: r.organisation_id,
    to: JSON.parse(r.to_json) as string[],
    subject: r.subject,
    text: r.text_body,
    html: r.html_body,
    status: r.status,
    transport: r.transport,
    messageId: r.message_id,
    error: r.error,
    attempts: r.attempts,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

export function createSqlEmailStore(db: Db): EmailStore {
  const k = db.kysely;
  return {
    async insert(trx, row) {
      const r = await trx
        .insertInto('emails')
        .values({
          uuid: row.uuid,
          organisation_id: row.organisationId,
          to_json: JSON.stringify(row.to),
          subject: row.subject,
          text_body: row.text,
          html_body: row.html,
          status: 'queued',
          transport: null,
          message_id: null,
          error: null,
          attempts: 0,
          created_at: row.createdAt,
          updated_at: row.createdAt,
          sent_at: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    },
    async get(id) {
      const r = await k.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },
    async update(id, patch) {
      await k
        .updateTable('emails')
        .set({
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          ...(patch.transport !== undefined ? { transport: patch.transport } : {}),
          ...(patch.messageId !== undefined ? { message_id: patch.messageId } : {}),
          ...(patch.error !== undefined ? { error: patch.error } : {}),
          ...(patch.sentAt !== undefined ? { sent_at: patch.sentAt } : {}),
          ...(patch.countAttempt ? { attempts: sql<number>`attempts + 1` } : {}),
          updated_at: patch.updatedAt,
        })
        .where('id', '=', id)
        .execute();
    },
    async list(organisationId, { offset, limit, status }) {
      const total = await k
        .selectFrom('emails')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organisation_id', '=', organisationId)
        .$if(status !== undefined, (q) => q.where('status', '=', status!))
        .executeTakeFirstOrThrow();
      const rows = await k
        .selectFrom('emails')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .$if(status !== undefined, (q) => q.where('status', '=', status!))
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      return { total: Number(total.n), items: rows.map(toRecord) };
    },
  };
}
