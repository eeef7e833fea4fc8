import type { Kysely } from 'kysely';
import type { DialectName } from '../database/database.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against a schema that is being built */

/** The durable job queue behind background work and the outbox (D3). */
export function jobsMigration(kind: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const t = db.schema.createTable('jobs');
      await (kind === 'postgres'
        ? t.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('payload_json', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.unique())
        .addColumn('run_at', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(10))
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['status', 'run_at']).execute();
    },
  };
}
