import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createManualClock } from '../../../sync-server/platform/clock/clock.js';
import { enqueueJob } from '../../../sync-server/platform/jobs/job-queue.js';
import { JobRunner } from '../../../sync-server/platform/jobs/job-runner.js';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';

describe.each(DIALECTS)('job queue on %s', (dialect) => {
  let t: TestDb;
  const clock = createManualClock('2026-03-01T00:00:00.000Z');
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(() => t.drop());

  test('a job enqueued in a rolled-back transaction never runs; a committed one runs once', async () => {
    const seen: unknown[] = [];
    const runner = new JobRunner({ db: t.db, clock, random: () => 0.5 });
    runner.register('test.echo', async (p) => {
      seen.push(p);
    });
    await expect(
      t.db.transaction(async (trx) => {
        await enqueueJob(trx, clock, { kind: 'test.echo', payload: { n: 1 } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await t.db.transaction((trx) => enqueueJob(trx, clock, { kind: 'test.echo', payload: { n: 2 } }));
    expect(await runner.runOnce()).toBe(1);
    expect(await runner.runOnce()).toBe(0);
    expect(seen).toEqual([{ n: 2 }]);
  });

  test('a failing job is retried with backoff, then dead-lettered with its last error', async () => {
    let calls = 0;
    const runner = new JobRunner({ db: t.db, clock, random: () => 0.5 });
    runner.register('test.fail', async () => {
      calls++;
      throw new Error(`boom ${calls}`);
    });
    await t.db.transaction((trx) => enqueueJob(trx, clock, { kind: 'test.fail', payload: {}, maxAttempts: 3 }));
    await runner.runOnce();
    expect(calls).toBe(1);
    await runner.runOnce();
    expect(calls).toBe(1); // not due yet: backoff of 1 s
    clock.advanceMs(1000);
    await runner.runOnce();
    expect(calls).toBe(2);
    clock.advanceMs(2000);
    await runner.runOnce();
    expect(calls).toBe(3);
    const job = await t.db.kysely.selectFrom('jobs').selectAll().executeTakeFirstOrThrow();
    expect({ status: job.status, attempts: job.attempts, last_error: job.last_error }).toEqual({ status: 'dead', attempts: 3, last_error: 'boom 3' });
  });

  test('an idempotency key makes a second enqueue a no-op', async () => {
    await t.db.transaction(async (trx) => {
      await enqueueJob(trx, clock, { kind: 'test.echo', payload: 1, idempotencyKey: 'k1' });
      await enqueueJob(trx, clock, { kind: 'test.echo', payload: 2, idempotencyKey: 'k1' });
    });
    const rows = await t.db.kysely.selectFrom('jobs').select('payload_json').execute();
    expect(rows).toEqual([{ payload_json: '1' }]);
  });

  test('a job whose worker died (lease expired) is picked up by another worker', async () => {
    const ran: string[] = [];
    await t.db.transaction((trx) => enqueueJob(trx, clock, { kind: 'test.echo', payload: {} }));
    const dead = new JobRunner({ db: t.db, clock, leaseMs: 5000 });
    dead.register('test.echo', () => new Promise(() => {})); // hangs forever: its process "crashed"
    void dead.runOnce();
    await new Promise((r) => setTimeout(r, 50));
    const other = new JobRunner({ db: t.db, clock, leaseMs: 5000 });
    other.register('test.echo', async () => {
      ran.push('other');
    });
    expect(await other.runOnce()).toBe(0);
    clock.advanceMs(5001);
    expect(await other.runOnce()).toBe(1);
    expect(ran).toEqual(['other']);
  });

  test('a live worker renews the lease of a job that runs longer than one lease, so nobody takes it over', async () => {
    await t.db.transaction((trx) => enqueueJob(trx, clock, { kind: 'test.slow', payload: {} }));
    let release!: () => void;
    const slow = new JobRunner({ db: t.db, clock, leaseMs: 300 });
    let runs = 0;
    slow.register('test.slow', () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    });
    const first = slow.runOnce();
    const lockedUntil = async () => (await t.db.kysely.selectFrom('jobs').select('locked_until').executeTakeFirstOrThrow()).locked_until!;
    while (runs === 0) await new Promise((r) => setTimeout(r, 10));
    const claimedUntil = await lockedUntil();
    // Past the first lease: without a renewal another worker would take the job now.
    clock.advanceMs(400);
    for (let i = 0; i < 250 && (await lockedUntil()) === claimedUntil; i++) await new Promise((r) => setTimeout(r, 20));
    const other = new JobRunner({ db: t.db, clock, leaseMs: 300 });
    other.register('test.slow', async () => {
      runs++;
    });
    expect(await other.runOnce()).toBe(0);
    release();
    expect(await first).toBe(1);
    expect(await other.runOnce()).toBe(0);
    expect(runs).toBe(1);
    expect((await t.db.kysely.selectFrom('jobs').select('status').executeTakeFirstOrThrow()).status).toBe('done');
  });

  test('two workers draining one queue run each job exactly once', async () => {
    const runs = new Map<number, number>();
    await t.db.transaction(async (trx) => {
      for (let i = 0; i < 60; i++) await enqueueJob(trx, clock, { kind: 'test.count', payload: i });
    });
    const make = () => {
      const r = new JobRunner({ db: t.db, clock, batchSize: 5 });
      r.register('test.count', async (p) => {
        runs.set(p as number, (runs.get(p as number) ?? 0) + 1);
        await new Promise((res) => setTimeout(res, 1));
      });
      return r;
    };
    await Promise.all([make().runOnce(), make().runOnce()]);
    expect(runs.size).toBe(60);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});
