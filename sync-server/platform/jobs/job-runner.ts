import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../database/database.js';
import type { Clock } from '../clock/clock.js';
import { generateUuid } from '../security/secrets.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { backoffMs, claimDueJobs, completeJob, failJob, renewJobLeases, type ClaimedJob } from './job-queue.js';

export type JobHandler = (payload: unknown, job: ClaimedJob) => Promise<void>;
/** Work found by querying state, not by timers (D4): e.g. scheduled versions whose live_from has passed. */
export type PeriodicTask = () => Promise<void>;

/**
 * Work that runs beside the queue with its own concurrency, e.g. webhook deliveries (one lane per
 * destination, so a hanging receiver never holds up the others or the queue).
 */
export interface BackgroundWorker {
  /**
   * Starts due work. With `wait: false` (the polling loop) it returns at once and the work runs on; with
   * `wait: true` (a manual `runOnce()`, as tests call it) it resolves once everything due has been tried.
   * Never rejects.
   */
  tick(options: { wait: boolean }): Promise<void>;
  /** Lets in-flight work finish (graceful shutdown). */
  drain(): Promise<void>;
}

export interface JobRunnerOptions {
  db: Db;
  clock: Clock;
  logger?: Pick<FastifyBaseLogger, 'error' | 'warn' | 'info'>;
  pollMs?: number;
  /**
   * How long a claimed job stays with this worker without a renewal (default 60 s). The runner renews
   * the leases of the jobs it holds every third of this while they run, so only a dead worker's jobs expire.
   */
  leaseMs?: number;
  batchSize?: number;
  random?: () => number;
  /** Counts failed jobs for `/metrics`. */
  metrics?: Pick<ServerMetrics, 'countJobFailure'>;
}

/**
 * Drains the job queue after commit and runs periodic tasks. Handlers never let an exception escape:
 * a failure is recorded on the job and retried with backoff until it is dead-lettered.
 */
export class JobRunner {
  readonly workerId = `worker-${generateUuid()}`;
  readonly #handlers = new Map<string, JobHandler>();
  readonly #periodic: { name: string; task: PeriodicTask }[] = [];
  readonly #workers: { name: string; worker: BackgroundWorker }[] = [];
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

  addWorker(name: string, worker: BackgroundWorker): void {
    this.#workers.push({ name, worker });
  }

  /** Starts polling. Each tick runs periodic tasks, then drains due jobs. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Asks for a tick soon (after a commit that enqueued work), instead of waiting for the poll. */
  nudge(): void {
    if (this.#stopped) return;
    // Workers start their due work right away, even while a long job batch holds the loop.
    for (const { worker } of this.#workers) void worker.tick({ wait: false });
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
    await Promise.all(this.#workers.map(({ worker }) => worker.drain()));
  }

  /**
   * One full pass: periodic tasks, background workers, then every due job, then the workers again (a job
   * may have emitted events). Tests call it directly with a manual clock; it resolves when the workers'
   * due work has been tried too.
   */
  async runOnce(): Promise<number> {
    return this.#pass(true);
  }

  async #tickWorkers(wait: boolean): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.tick({ wait })));
  }

  async #pass(wait: boolean): Promise<number> {
    const done = await this.#passJobs(wait);
    if (wait && this.#workers.length > 0) await this.#tickWorkers(true);
    return done;
  }

  async #passJobs(wait: boolean): Promise<number> {
    for (const { name, task } of this.#periodic) {
      try {
        await task();
      } catch (error) {
        this.options.logger?.error({ err: error, task: name }, 'periodic task failed');
      }
    }
    await this.#tickWorkers(wait);
    let done = 0;
    const leaseMs = this.options.leaseMs ?? 60_000;
    for (;;) {
      const jobs = await claimDueJobs(this.options.db, this.options.clock, this.workerId, this.options.batchSize ?? 20, leaseMs, [...this.#handlers.keys()]);
      if (jobs.length === 0) return done;
      const heartbeat = this.#renewLeasesEvery(leaseMs / 3);
      try {
        for (const job of jobs) {
          await this.#runJob(job);
          done++;
        }
      } finally {
        clearInterval(heartbeat);
      }
      // On shutdown, finish the batch in hand and leave the rest to the next start (or another instance).
      if (this.#stopRequested) return done;
    }
  }

  #renewLeasesEvery(intervalMs: number): NodeJS.Timeout {
    const timer = setInterval(() => {
      renewJobLeases(this.options.db, this.options.clock, this.workerId, this.options.leaseMs ?? 60_000).catch((error: unknown) =>
        this.options.logger?.warn({ err: error }, 'renewing job leases failed; the next renewal retries'),
      );
    }, Math.max(10, intervalMs));
    timer.unref?.();
    return timer;
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
      this.options.metrics?.countJobFailure(job.kind);
      const outcome = await failJob(db, clock, job, this.workerId, message, backoffMs(job.attempts, this.options.random ?? Math.random));
      this.options.logger?.warn({ jobId: job.id, kind: job.kind, attempts: job.attempts, outcome, error: message }, 'job failed');
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#pass(false)
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
