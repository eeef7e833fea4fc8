import type { JobRunner } from '../../platform/jobs/job-runner.js';
import type { VersionsService } from './versions.service.js';

/**
 * Registers the scheduler of versions published for a future `live_from` (D4) on the job runner: every
 * pass queries the due versions (`live_from <= now`) and publishes or marks them in conflict, so nothing
 * depends on a timer firing and a server that was down at `live_from` publishes on its next pass.
 * It runs before the runner's workers in a pass, so the webhooks it emits are delivered in that pass.
 */
export function registerVersionScheduler(jobs: JobRunner, versions: Pick<VersionsService, 'publishDueVersions'>): void {
  jobs.addPeriodic('versions.publish-due', async () => {
    await versions.publishDueVersions();
  });
}
