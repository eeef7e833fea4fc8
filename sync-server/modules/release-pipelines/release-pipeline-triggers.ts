import type { JobRunner } from '../../platform/jobs/job-runner.js';
import type { ReleasePipelinesService } from './release-pipelines.service.js';

/**
 * Registers the runner of release-pipeline wait triggers on the job runner (D4): every pass queries the
 * features whose trigger is due (`trigger_due_at <= now`) and runs each stage's actions once, so nothing
 * depends on a timer and a server that was down at the due time runs them on its next pass. Like the
 * version scheduler, it runs before the runner's workers, so the webhooks it emits go out in that pass.
 */
export function registerReleasePipelineTriggers(jobs: JobRunner, pipelines: Pick<ReleasePipelinesService, 'runDueTriggers'>): void {
  jobs.addPeriodic('release-pipelines.run-due-triggers', async () => {
    await pipelines.runDueTriggers();
  });
}
