import type { DbExecutor } from '../../platform/database/database.js';

/**
 * The uuids of the live versions of an environment at `now` (ISO-8601 UTC, as `Date#toISOString` gives
 * it) as a subquery, for readers that build the SDK document in SQL (ADR 0005):
 *
 * ```ts
 * q.where('fs.environment_feature_version_uuid', 'in', selectLiveVersionUuids(trx, environmentId, now))
 * ```
 *
 * A version is live when it is `published`, its `live_from <= now`, and no other published version of
 * the same feature in the environment has a later `live_from <= now` (ties: the later go-live, `live_seq`,
 * wins): the first of its feature's versions in `(live_from, live_seq)` descending order, ranked with
 * `row_number()` in one pass over the environment's published versions, read in that order from the
 * `(environment_id, feature_id, status, live_from, live_seq)` index (SQLite and PostgreSQL alike). There is
 * no join, so no plan can go quadratic: an anti-join formulation, planned on the stale statistics that
 * follow a bulk insert (enabling v2 on a large environment, before PostgreSQL's autovacuum analyses the
 * new rows), became a features × versions nested loop that took seconds per SDK document.
 * Timestamps are compared as text, which is exact because every stored `live_from` is in the same
 * `toISOString` form. Scheduled versions are `scheduled` until the scheduler publishes them, so a version
 * never becomes live behind the scheduler's back.
 */
export function selectLiveVersionUuids(ex: DbExecutor, environmentId: number, now: string) {
  const ranked = ex
    .selectFrom('environment_feature_versions as v')
    .select((eb) => [
      'v.uuid',
      eb.fn
        .agg<number>('row_number', [])
        .over((ob) => ob.partitionBy('v.feature_id').orderBy('v.live_from', 'desc').orderBy('v.live_seq', 'desc'))
        .as('live_rank'),
    ])
    .where('v.environment_id', '=', environmentId)
    .where('v.status', '=', 'published')
    .where('v.live_from', '<=', now);
  return ex.selectFrom(ranked.as('ranked')).select('ranked.uuid').where('ranked.live_rank', '=', 1);
}
