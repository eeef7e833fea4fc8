import type { Clock } from '../platform/clock/clock.js';
import type { Db } from '../platform/database/database.js';
import { countOpenJobs } from '../platform/jobs/job-queue.js';
import type { MetricsSources } from '../platform/metrics/server-metrics.js';
import type { WebhooksStore } from '../modules/webhooks/webhooks.store.js';
import type { VersionsStore } from '../modules/versions/versions.store.js';

/** The scrape-time reads of `/metrics`, from the owners of the tables they count (composition root, D10). */
export function createMetricsSources(deps: { db: Db; clock: Clock; webhooks: Pick<WebhooksStore, 'countUndeliveredDeliveries'>; versions: Pick<VersionsStore, 'oldestDueLiveFrom'> }): MetricsSources {
  const { db, clock } = deps;
  return {
    async outboxDepth() {
      const [webhooks, jobs] = await Promise.all([deps.webhooks.countUndeliveredDeliveries(), countOpenJobs(db)]);
      return { webhooks, jobs };
    },
    async schedulerLagSeconds() {
      const now = clock.now();
      const oldest = await deps.versions.oldestDueLiveFrom(db.kysely, now.toISOString());
      return oldest === undefined ? 0 : Math.max(0, (now.getTime() - Date.parse(oldest)) / 1000);
    },
    poolStats: () => db.poolStats?.(),
  };
}
