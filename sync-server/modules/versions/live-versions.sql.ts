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
 * the same feature in the environment has a later `live_from <= now` (ties: the later go-live, `live_seq`, wins). The
 * anti-join runs on the `(environment_id, feature_id, status, live_from)` index on SQLite and PostgreSQL
 * alike. Timestamps are compared as text, which is exact because every stored `live_from` is in the
 * same `toISOString` form. Scheduled versions are `scheduled` until the scheduler publishes them, so a
 * version never becomes live behind the scheduler's back.
 */
export function selectLiveVersionUuids(ex: DbExecutor, environmentId: number, now: string) {
  return ex
    .selectFrom('environment_feature_versions as v')
    .select('v.uuid')
    .where('v.environment_id', '=', environmentId)
    .where('v.status', '=', 'published')
    .where('v.live_from', '<=', now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('environment_feature_versions as w')
            .select('w.id')
            .whereRef('w.environment_id', '=', 'v.environment_id')
            .whereRef('w.feature_id', '=', 'v.feature_id')
            .where('w.status', '=', 'published')
            .where('w.live_from', '<=', now)
            .where((eb) => eb.or([eb('w.live_from', '>', eb.ref('v.live_from')), eb.and([eb('w.live_from', '=', eb.ref('v.live_from')), eb('w.live_seq', '>', eb.ref('v.live_seq'))])])),
        ),
      ),
    );
}
