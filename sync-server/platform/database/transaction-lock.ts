import { sql } from 'kysely';
import type { DbExecutor, DialectName } from './database.js';

/**
 * Takes a lock named by two integers, held until the transaction of `trx` ends: transactions that take
 * the same pair run one after the other, others do not wait. PostgreSQL: a transaction-level advisory
 * lock in its two-key form (which only this helper uses, so it cannot collide with single-key advisory
 * locks). SQLite runs one write transaction at a time anyway, so there it is a no-op.
 */
export async function lockUntilCommit(kind: DialectName, trx: DbExecutor, first: number, second: number): Promise<void> {
  if (kind !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${first}::int4, ${second}::int4)`.execute(trx);
}
