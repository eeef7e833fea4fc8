import { sql } from 'kysely';
import type { Db, DbExecutor } from '../database/database.js';
import type { Clock } from '../clock/clock.js';

export interface EnqueueInput {
  kind: string;
  payload: unknown;
  /** Defaults to now. */
  runAt?: string;
  /** A second enqueue with the same key is ignored (the first job stands). */
  idempotencyKey?: string;
  maxAttempts?: number;
}

/**
 * Adds a job inside the caller's transaction, so the job exists exactly when the change that caused it
 * commits (D3). Workers pick it up after commit.
 */
export async function enqueueJob(trx: DbExecutor, clock: Clock, input: EnqueueInput): Promise<void> {
  const now = clock.now().toISOString();
  await trx
    .insertInto('jobs')
    .values({
      kind: input.kind,
      payload_json: JSON.stringify(input.payload),
      idempotency_key: input.idempotencyKey ?? null,
      run_at: input.runAt ?? now,
      status: 'pending',
      attempts: 0,
      max_attempts: input.maxAttempts ?? 10,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
}

/**
 * Claims up to `limit` due jobs for `workerId` with a lease. On PostgreSQL the claim uses
 * `FOR UPDATE SKIP LOCKED`, so several server instances share the queue and each job runs once at a time;
 * on SQLite the single UPDATE … RETURNING is atomic. A job whose lease expired (its worker died) is due again.
 */
export async function claimDueJobs(db: Db, clock: Clock, workerId: string, limit: number, leaseMs: number, kinds?: string[]): Promise<ClaimedJob[]> {
  if (kinds !== undefined && kinds.length === 0) return [];
  const now = clock.now().toISOString();
  const until = new Date(clock.now().getTime() + leaseMs).toISOString();
  const k = db.kysely;
  const due = k
    .selectFrom('jobs')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', now)]),
        eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)]),
      ]),
    )
    .$if(kinds !== undefined, (q) => q.where('kind', 'in', kinds!))
    .orderBy('run_at')
    .orderBy('id')
    .limit(limit);
  const rows = await k
    .updateTable('jobs')
    .set({ status: 'running', locked_by: workerId, locked_until: until, attempts: sql`attempts + 1`, updated_at: now })
    .where('id', 'in', db.kind === 'postgres' ? due.forUpdate().skipLocked() : due)
    .returning(['id', 'kind', 'payload_json', 'attempts', 'max_attempts'])
    .execute();
  return rows
    .sort((a, b) => a.id - b.id)
    .map((r) => ({ id: r.id, kind: r.kind, payload: JSON.parse(r.payload_json) as unknown, attempts: r.attempts, maxAttempts: r.max_attempts }));
}

/**
 * Extends the lease of every job `workerId` is running, so a job that takes longer than one lease (a big
 * migration, a slow SMTP server) or waits its turn in a claimed batch is never taken over by another
 * instance while its worker is alive. A worker that died stops renewing; its jobs are due again once the
 * last lease it took expires.
 */
export async function renewJobLeases(db: Db, clock: Clock, workerId: string, leaseMs: number): Promise<void> {
  const until = new Date(clock.now().getTime() + leaseMs).toISOString();
  await db.kysely.updateTable('jobs').set({ locked_until: until }).where('locked_by', '=', workerId).where('status', '=', 'running').execute();
}

export async function completeJob(db: Db, clock: Clock, id: number, workerId: string): Promise<void> {
  await db.kysely.updateTable('jobs').set({ status: 'done', locked_by: null, locked_until: null, updated_at: clock.now().toISOString() }).where('id', '=', id).where('locked_by', '=', workerId).execute();
}

/** Exponential backoff with full jitter: base·2^(attempt-1), times a random factor in [0.5, 1.5), capped. */
export function backoffMs(attempt: number, random: () => number, baseMs = 1000, capMs = 60 * 60 * 1000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1) * (0.5 + random()));
}

export async function failJob(db: Db, clock: Clock, job: ClaimedJob, workerId: string, error: string, retryInMs: number): Promise<'retry' | 'dead'> {
  const now = clock.now();
  const dead = job.attempts >= job.maxAttempts;
  await db.kysely
    .updateTable('jobs')
    .set({
      status: dead ? 'dead' : 'pending',
      run_at: dead ? now.toISOString() : new Date(now.getTime() + retryInMs).toISOString(),
      locked_by: null,
      locked_until: null,
      last_error: error.slice(0, 2000),
      updated_at: now.toISOString(),
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .execute();
  return dead ? 'dead' : 'retry';
}

/** Jobs waiting or running (not done, not dead): the depth of the job outbox, for `/metrics`. */
export async function countOpenJobs(db: Db): Promise<number> {
  const r = await db.kysely.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['pending', 'running']).executeTakeFirst();
  return Number(r?.n ?? 0);
}
