import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { sql } from 'kysely';
import { createManualClock } from '../../../sync-server/platform/clock/clock.js';
import { afterCommit } from '../../../sync-server/platform/database/database.js';
import { JobRunner, type BackgroundWorker } from '../../../sync-server/platform/jobs/job-runner.js';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';

describe.each(DIALECTS)('transactions on %s', (dialect) => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb(dialect);
  });
  afterEach(() => t.drop());

  test('afterCommit callbacks run after a commit and never after a rollback', async () => {
    const ran: string[] = [];
    await t.db.transaction(async (trx) => {
      afterCommit(trx, () => ran.push('committed'));
      expect(ran).toEqual([]);
    });
    await expect(
      t.db.transaction(async (trx) => {
        afterCommit(trx, () => ran.push('rolled back'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(ran).toEqual(['committed']);
  });

});

// PostgreSQL only: SQLite serialises writers on one database lock, so two transactions can never deadlock there.
describe.runIf(DIALECTS.includes('postgres'))('deadlock retry on postgres', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb('postgres');
  });
  afterEach(() => t.drop());

  test('a transaction aborted by a deadlock is run again and both writers succeed', async () => {
    const now = new Date().toISOString();
    const [a, b] = await Promise.all(
      ['a', 'b'].map((name) =>
        t.db.kysely
          .insertInto('organisations')
          .values({ uuid: name, name, persist_trait_data: true, stop_serving_flags: false, plan_name: 'free', max_segment_overrides_per_environment: 1, feature_history_visibility_days: null, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow(),
      ),
    );
    let attempts = 0;
    // Two writers lock the same two rows in opposite orders and wait for each other: PostgreSQL aborts one.
    let release!: () => void;
    const bothLockedFirst = new Promise<void>((r) => (release = r));
    let locked = 0;
    const writer = (first: number, second: number) =>
      t.db.transaction(async (trx) => {
        attempts++;
        await trx.updateTable('organisations').set({ plan_name: sql`plan_name || '+'` }).where('id', '=', first).execute();
        if (++locked === 2) release();
        await bothLockedFirst;
        await trx.updateTable('organisations').set({ plan_name: sql`plan_name || '+'` }).where('id', '=', second).execute();
      });
    await Promise.all([writer(a!.id, b!.id), writer(b!.id, a!.id)]);
    expect(attempts).toBe(3);
    const plans = await t.db.kysely.selectFrom('organisations').select('plan_name').where('id', 'in', [a!.id, b!.id]).execute();
    expect(plans.map((p) => p.plan_name)).toEqual(['free++', 'free++']);
  });
});

describe('job runner background workers', () => {
  let t: TestDb;
  beforeEach(async () => {
    t = await createTestDb('sqlite');
  });
  afterEach(() => t.drop());

  function recordingWorker(log: string[], workMs: number): BackgroundWorker {
    let inFlight: Promise<void> | undefined;
    return {
      async tick({ wait }) {
        log.push(`tick wait=${wait}`);
        inFlight ??= new Promise<void>((r) => setTimeout(r, workMs)).then(() => {
          log.push('work done');
          inFlight = undefined;
        });
        if (wait) await inFlight;
      },
      async drain() {
        await inFlight;
        log.push('drained');
      },
    };
  }

  test('runOnce waits for a worker\'s work; the polling loop does not; stop drains it', async () => {
    const log: string[] = [];
    const runner = new JobRunner({ db: t.db, clock: createManualClock(), pollMs: 10_000 });
    runner.addWorker('test', recordingWorker(log, 30));
    await runner.runOnce();
    // Ticked before the jobs and again after them (a job may have made work), each waited for.
    expect(log).toEqual(['tick wait=true', 'work done', 'tick wait=true', 'work done']);

    log.length = 0;
    runner.start();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual(['tick wait=false']);
    runner.nudge();
    await runner.stop();
    expect(log.at(-1)).toBe('drained');
    expect(log).toContain('work done');
  });
});
