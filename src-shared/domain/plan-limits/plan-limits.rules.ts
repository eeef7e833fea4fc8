/**
 * Plan limits of an organisation and how each counts (spec "Plan-limit accounting", issue 3 item 10).
 * Pure: the server gathers the numbers (row counts, live versions) and the time, these rules decide.
 */

/** The limits' names, as `details.limit` of a LIMIT_EXCEEDED error carries them. */
export const PlanLimit = {
  MAX_SEGMENT_OVERRIDES_PER_ENVIRONMENT: 'max_segment_overrides_per_environment',
  FEATURE_HISTORY_VISIBILITY_DAYS: 'feature_history_visibility_days',
} as const;
export type PlanLimit = (typeof PlanLimit)[keyof typeof PlanLimit];

/**
 * The segment overrides of an environment as `max_segment_overrides_per_environment` counts them.
 * - `v1`: every feature-segment row of the environment.
 * - `v2`: only the overrides of each feature's latest published (live) version; drafts, scheduled
 *   versions and history do not count, so an environment near the cap on v1 can drop under it on v2.
 */
export type SegmentOverrideCount =
  | { mode: 'v1'; featureSegmentRows: number }
  | {
      mode: 'v2';
      /** Feature id → number of segment overrides in its live version (features without one are absent). */
      liveOverridesByFeature: ReadonlyMap<number, number>;
    };

/** How many segment overrides count against the limit. */
export function countSegmentOverrides(count: SegmentOverrideCount): number {
  if (count.mode === 'v1') return count.featureSegmentRows;
  let total = 0;
  for (const n of count.liveOverridesByFeature.values()) total += n;
  return total;
}

/**
 * The v2 count once a version of `featureId` holding `overrides` segment overrides goes live: it replaces
 * that feature's live version in the count, whatever the feature had before.
 */
export function liveOverridesAfterGoingLive(liveOverridesByFeature: ReadonlyMap<number, number>, featureId: number, overrides: number): Map<number, number> {
  const after = new Map(liveOverridesByFeature);
  after.set(featureId, overrides);
  return after;
}

/** The verdict of a limit check; `count` is the count the change would reach. */
export type LimitCheck = { isWithinLimit: true } | { isWithinLimit: false; limit: PlanLimit; max: number; count: number };

/**
 * Whether a change that moves the environment's segment-override count from `before` to `after` is
 * allowed under `max`. A change may never take the count above the limit; one that does not add to the
 * count (an edit, a removal, an override moved) is always allowed, so an environment left above a lowered
 * limit can still be changed and brought back under it.
 */
export function checkSegmentOverrideLimit(before: number, after: number, max: number): LimitCheck {
  if (after <= max || after <= before) return { isWithinLimit: true };
  return { isWithinLimit: false, limit: PlanLimit.MAX_SEGMENT_OVERRIDES_PER_ENVIRONMENT, max, count: after };
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The start of the visible version history at `now` (ISO-8601 UTC, in `Date#toISOString` form), or null
 * when the history is unlimited (`days` null). Versions that went (or go) live at or after it are visible.
 */
export function historyWindowStart(now: string, days: number | null): string | null {
  if (days === null) return null;
  return new Date(Date.parse(now) - days * DAY_MS).toISOString();
}

/**
 * Whether the versions list shows a version under `feature_history_visibility_days` (Flagsmith's
 * `_apply_visibility_limits`): one without a `live_from` (a draft) or with `live_from` inside the window,
 * and always the live version, however old, so the current state of a flag is never hidden.
 */
export function isVersionVisible(version: { liveFrom: string | null; isLive: boolean }, windowStart: string | null): boolean {
  if (windowStart === null || version.isLive || version.liveFrom === null) return true;
  return version.liveFrom >= windowStart;
}
