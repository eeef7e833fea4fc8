import { setImmediate as nextTurn } from 'node:timers/promises';
import { generateUuid } from '../../platform/security/secrets.js';
import type { Clock } from '../../platform/clock/clock.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { ImpactStatus, type ImpactPreviewWire } from '../../../src-shared/contracts/http/impact.contract.js';
import { createImpactTally, featureImpactsOf, tallyIdentity } from '../../../src-shared/domain/impact/impact-tally.rules.js';
import type { ImpactModel } from '../../../src-shared/domain/impact/impact.rules.js';
import type { IdentityPopulation } from '../identities/identity-population.sql.js';

/** Identities read and evaluated per step; between steps the job yields to the event loop. */
export const IMPACT_BATCH_SIZE = 5000;
/** How long a finished preview stays readable. */
const KEEP_FINISHED_MS = 10 * 60_000;
/** Previews running at once in this process; one more is refused (UNAVAILABLE) instead of queueing unbounded work. */
const MAX_RUNNING = 4;

interface Job {
  wire: ImpactPreviewWire;
  environmentId: number;
  controller: AbortController;
  done: Promise<void>;
  finishedAtMs: number | null;
}

export type ImpactSubject = ImpactPreviewWire['subject'];

/**
 * The impact previews of this server process: each runs as a background task that reads the
 * environment's identities batch by batch (bounded memory: a batch, the tally and 20 examples per kind)
 * and yields to the event loop between batches, so SDK and Admin requests keep being served while a
 * large population is evaluated. Progress is readable while it runs; `cancel` stops it after the batch
 * in hand. Previews live in memory (they are cheap to recompute): a restart forgets them.
 */
export interface ImpactJobs {
  start(input: { subject: ImpactSubject; model: ImpactModel; mergedWithLive: boolean }): { id: string; done: Promise<void> };
  /** The preview as it stands (a copy), or undefined when unknown or expired. */
  get(id: string): { wire: ImpactPreviewWire; environmentId: number } | undefined;
  /** Waits for the preview to finish, at most `waitMs`. */
  wait(id: string, waitMs: number): Promise<void>;
  cancel(id: string): void;
  /** Cancels every running preview and waits for them to stop (server shutdown). */
  close(): Promise<void>;
}

export function createImpactJobs(deps: { clock: Clock; population: IdentityPopulation }): ImpactJobs {
  const { clock, population } = deps;
  const jobs = new Map<string, Job>();

  function sweep(): void {
    const now = clock.now().getTime();
    for (const [id, job] of jobs) if (job.finishedAtMs !== null && now - job.finishedAtMs > KEEP_FINISHED_MS) jobs.delete(id);
  }

  async function run(job: Job, model: ImpactModel): Promise<void> {
    const tally = createImpactTally(model);
    const { wire } = job;
    try {
      wire.progress.total = await population.count(job.environmentId);
      let afterId = 0;
      for (;;) {
        if (job.controller.signal.aborted) {
          wire.status = ImpactStatus.CANCELLED;
          break;
        }
        const batch = await population.batch(job.environmentId, afterId, IMPACT_BATCH_SIZE, model.traitKeys);
        if (batch.length === 0) {
          wire.status = ImpactStatus.DONE;
          break;
        }
        for (const identity of batch) tallyIdentity(tally, identity);
        afterId = batch[batch.length - 1]!.id;
        wire.identities_evaluated = tally.evaluated;
        wire.progress.evaluated = tally.evaluated;
        // Identities created while the preview runs are evaluated too: the total grows with them.
        wire.progress.total = Math.max(wire.progress.total, tally.evaluated);
        wire.changed_any = tally.changedAny;
        wire.features = featureImpactsOf(tally);
        await nextTurn();
      }
    } catch (error) {
      wire.status = ImpactStatus.FAILED;
      wire.error = error instanceof Error ? error.message : String(error);
    }
    wire.identities_evaluated = tally.evaluated;
    wire.progress.evaluated = tally.evaluated;
    wire.changed_any = tally.changedAny;
    wire.features = featureImpactsOf(tally);
    wire.finished_at = clock.now().toISOString();
    job.finishedAtMs = clock.now().getTime();
  }

  return {
    start({ subject, model, mergedWithLive }) {
      sweep();
      const running = [...jobs.values()].filter((j) => j.finishedAtMs === null).length;
      if (running >= MAX_RUNNING) throw new AppError(ErrorCode.UNAVAILABLE, `${running} impact previews are running on this server; try again when one has finished`);
      const id = generateUuid();
      const wire: ImpactPreviewWire = {
        id,
        status: ImpactStatus.RUNNING,
        subject,
        progress: { evaluated: 0, total: 0 },
        identities_evaluated: 0,
        changed_any: 0,
        features: featureImpactsOf(createImpactTally(model)),
        merged_with_live: mergedWithLive,
        error: null,
        started_at: clock.now().toISOString(),
        finished_at: null,
      };
      const job: Job = { wire, environmentId: subject.environment_id, controller: new AbortController(), done: Promise.resolve(), finishedAtMs: null };
      jobs.set(id, job);
      job.done = run(job, model);
      return { id, done: job.done };
    },
    get(id) {
      sweep();
      const job = jobs.get(id);
      return job ? { wire: structuredClone(job.wire), environmentId: job.environmentId } : undefined;
    },
    async wait(id, waitMs) {
      const job = jobs.get(id);
      if (!job || waitMs <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([job.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    },
    cancel(id) {
      jobs.get(id)?.controller.abort();
    },
    async close() {
      for (const job of jobs.values()) job.controller.abort();
      await Promise.all([...jobs.values()].map((j) => j.done));
    },
  };
}
