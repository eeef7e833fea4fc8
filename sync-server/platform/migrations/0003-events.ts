import { sql, type Kysely, type CreateTableBuilder } from 'kysely';
import type { DialectName } from '../database/database.js';
import { computeAuditHash, GENESIS_HASH, type AuditChainFields } from '../../modules/audit/audit-chain.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/**
 * Events (issue 4): webhooks and their outbox of deliveries, per-scope event sequences, the audit hash
 * chain and the email outbox. Existing audit rows are chained in id order, so an upgraded database
 * verifies from its first entry.
 */
export function eventsMigration(kind: DialectName) {
  const bool = kind === 'postgres' ? 'boolean' : 'integer';
  const f = (v: boolean) => (kind === 'postgres' ? sql.lit(v) : sql.lit(v ? 1 : 0));
  const id = <T extends string>(t: CreateTableBuilder<T, any>) =>
    kind === 'postgres'
      ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<any>): Promise<void> {
      // SQLite adds one column per ALTER TABLE statement.
      await db.schema.alterTable('environments').addColumn('event_sequence', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('organisations').addColumn('event_sequence', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('organisations').addColumn('audit_chain_length', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('organisations').addColumn('audit_head_hash', 'text').execute();
      await db.schema.alterTable('audit_log').addColumn('is_system_event', bool, (c) => c.notNull().defaultTo(f(false))).execute();
      await db.schema.alterTable('audit_log').addColumn('chain_seq', 'integer').execute();
      await db.schema.alterTable('audit_log').addColumn('prev_hash', 'text').execute();
      await db.schema.alterTable('audit_log').addColumn('hash', 'text').execute();
      await db.schema.createIndex('audit_log_chain_uq').on('audit_log').columns(['organisation_id', 'chain_seq']).unique().execute();
      await db.schema.createIndex('audit_log_project_created_idx').on('audit_log').columns(['project_id', 'created_at']).execute();
      await db.schema.createIndex('audit_log_environment_created_idx').on('audit_log').columns(['environment_id', 'created_at']).execute();

      await id(db.schema.createTable('webhooks'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('environment_id', 'integer', (c) => c.references('environments.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('enabled', bool, (c) => c.notNull().defaultTo(f(true)))
        .addColumn('secret', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_environment_idx').on('webhooks').column('environment_id').execute();
      await db.schema.createIndex('webhooks_organisation_idx').on('webhooks').column('organisation_id').execute();

      await id(db.schema.createTable('events'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('organisation_id', 'integer', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
        .addColumn('environment_id', 'integer')
        .addColumn('data_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await id(db.schema.createTable('webhook_deliveries'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('webhook_id', 'integer', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event_id', 'integer', (c) => c.notNull().references('events.id').onDelete('cascade'))
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('completed_at', 'text')
        .execute();
      // One sequence number per webhook and event; listing newest first walks it backwards.
      await db.schema.createIndex('webhook_deliveries_sequence_uq').on('webhook_deliveries').columns(['webhook_id', 'sequence']).unique().execute();
      // The head of each webhook's queue (its lowest undelivered sequence) in one index probe, however many
      // deliveries already succeeded. The predicate is literal so SQLite can match it to the worker's query.
      await sql`create index webhook_deliveries_head_idx on webhook_deliveries (webhook_id, sequence) where status in ('pending', 'failed', 'delivering')`.execute(db);

      await id(db.schema.createTable('webhook_delivery_attempts'))
        .addColumn('delivery_id', 'integer', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
        .addColumn('attempt_number', 'integer', (c) => c.notNull())
        .addColumn('worker_id', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('latency_ms', 'integer', (c) => c.notNull())
        .addColumn('response_excerpt', 'text')
        .addColumn('error', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('next_retry_at', 'text')
        .execute();
      await db.schema.createIndex('webhook_delivery_attempts_delivery_idx').on('webhook_delivery_attempts').column('delivery_id').execute();

      await id(db.schema.createTable('emails'))
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organisation_id', 'integer', (c) => c.references('organisations.id').onDelete('cascade'))
        .addColumn('to_json', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text_body', 'text', (c) => c.notNull())
        .addColumn('html_body', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('transport', 'text')
        .addColumn('message_id', 'text')
        .addColumn('error', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .execute();
      await db.schema.createIndex('emails_org_created_idx').on('emails').columns(['organisation_id', 'created_at']).execute();

      // Chain the entries written before this migration, per organisation in id order.
      const rows = await db.selectFrom('audit_log').selectAll().orderBy('organisation_id').orderBy('id').execute();
      const heads = new Map<number, { seq: number; hash: string }>();
      for (const row of rows) {
        const orgId = Number(row.organisation_id);
        const head = heads.get(orgId) ?? { seq: 0, hash: GENESIS_HASH };
        const seq = head.seq + 1;
        const hash = computeAuditHash(head.hash, { ...(row as AuditChainFields), is_system_event: Boolean(row.is_system_event), chain_seq: seq });
        await db.updateTable('audit_log').set({ chain_seq: seq, prev_hash: head.hash, hash }).where('id', '=', row.id).execute();
        heads.set(orgId, { seq, hash });
      }
      for (const [orgId, head] of heads) {
        await db.updateTable('organisations').set({ audit_chain_length: head.seq, audit_head_hash: head.hash }).where('id', '=', orgId).execute();
      }
    },
  };
}
