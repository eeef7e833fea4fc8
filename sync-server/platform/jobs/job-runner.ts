import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../database/database.js';
import type { Clock } from '../clock/clock.js';
import { generateUuid } from '../security/secrets.js';
import { backoffMs, claimDueJobs, completeJob, failJob, type ClaimedJob } from './job-queue.js';

export type JobHandler = (payload: unknown, job: ClaimedJob) => Promise<void>;
/** Work found by querying state, not by timers (D4): e.g. scheduled versions whose live_from has passed. */
export type PeriodicTask = () => Promise<void>;

export interface JobRunnerOptions {
  db: Db;
  clock: Clock;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>;
  pollMs?: number;
  leaseMs?: number;
  batchSize?: number;
  random?: () => number;
}

/**
 * Drains the job queue after commit and runs periodic tasks. Handlers never let an exception escape:
 * a failure is recorded on the job and retried with backoff until it is dead-lettered.
 */
export class JobRunner {
  readonly workerId = `worker-${generateUuid()}`;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #periodic: { name: string; task: PeriodicTask }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  #wake = false;
  #stopRequested = false;

  constructor(private readonly options: JobRunnerOptions) {}

  register(kind: string, handler: JobHandler): void {
    this.#handlers.set(kind, handler);
  }

  addPeriodic(name: string, task: PeriodicTask): void {
    this.#periodic.push({ name, task });
  }

  /** Starts polling. Each tick runs periodic tasks, then drains due jobs. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Asks for a tick soon (after a commit that enqueued work), instead of waiting for the poll. */
  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#wake = true;
      return;
    }
    this.#schedule(0);
  }

  /** Stops polling and waits for the tick in progress, so in-flight jobs finish (graceful shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopRequested = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** One full pass: periodic tasks, then every due job. Tests call it directly with a manual clock. */
  async runOnce(): Promise<number> {
    for (const { name, task } of this.#periodic) {
      try {
        await task();
      } catch (error) {
        this.options.logger?.error({ err: error, task: name }, 'periodic task failed');
      }
    }
    let done = 0;
    for (;;) {
      const jobs = await claimDueJobs(this.options.db, this.options.clock, this.workerId, this.options.batchSize ?? 20, this.options.leaseMs ?? 60_000, [...this.#handlers.keys()]);
      if (jobs.length === 0) return done;
      for (const job of jobs) {
        await this.#runJob(job);
        done++;
      }
      // On shutdown, finish the batch in hand and leave the rest to the next start (or another instance).
      if (this.#stopRequested) return done;
    }
  }

  async #runJob(job: ClaimedJob): Promise<void> {
    const { db, clock } = this.options;
    const handler = this.#handlers.get(job.kind);
    try {
      if (!handler) throw new Error(`no handler for job kind ${job.kind}`);
      await handler(job.payload, job);
      await completeJob(db, clock, job.id, this.workerId);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await failJob(db, clock, job, this.workerId, message, backoffMs(job.attempts, this.options.random ?? Math.random));
      this.options.logger?.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, outcome, error: message }, 'job failed');
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.options.logger?.error({ err: error }, 'job runner tick failed'))
        .finally(() => {
          this.#running = undefined;
          const again = this.#wake;
          this.#wake = false;
          this.#schedule(again ? 0 : (this.options.pollMs ?? 1000));
        });
    }, delayMs);
    this.#timer.unref?.();
  }
}
