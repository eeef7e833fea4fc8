import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  checkSegmentOverrideLimit,
  countSegmentOverrides,
  historyWindowStart,
  isVersionVisible,
  liveOverridesAfterGoingLive,
  PlanLimit,
} from '../../../../../src-shared/domain/plan-limits/plan-limits.rules.js';

describe('segment-override limit counting', () => {
  test('v1 counts every feature-segment row of the environment', () => {
    expect(countSegmentOverrides({ mode: 'v1', featureSegmentRows: 7 })).toBe(7);
  });

  test('v2 counts only the overrides of each feature’s live version', () => {
    expect(countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: new Map([[1, 2], [2, 0], [3, 5]]) })).toBe(7);
    expect(countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: new Map() })).toBe(0);
  });

  test('a version going live replaces its feature’s count, whatever the feature held before', () => {
    const live = new Map([[1, 3], [2, 1]]);
    expect(liveOverridesAfterGoingLive(live, 1, 1)).toEqual(new Map([[1, 1], [2, 1]]));
    expect(liveOverridesAfterGoingLive(live, 9, 2)).toEqual(new Map([[1, 3], [2, 1], [9, 2]]));
    expect(live).toEqual(new Map([[1, 3], [2, 1]]));
  });

  test('a change may not take the count above the limit, and names the limit when it would', () => {
    expect(checkSegmentOverrideLimit(2, 3, 3)).toEqual({ isWithinLimit: true });
    expect(checkSegmentOverrideLimit(3, 4, 3)).toEqual({ isWithinLimit: false, limit: PlanLimit.MAX_SEGMENT_OVERRIDES_PER_ENVIRONMENT, max: 3, count: 4 });
    expect(checkSegmentOverrideLimit(0, 1, 0)).toMatchObject({ isWithinLimit: false, limit: 'max_segment_overrides_per_environment' });
  });

  test('a change that adds no override is allowed even above a lowered limit', () => {
    expect(checkSegmentOverrideLimit(5, 5, 2)).toEqual({ isWithinLimit: true });
    expect(checkSegmentOverrideLimit(5, 4, 2)).toEqual({ isWithinLimit: true });
    expect(checkSegmentOverrideLimit(5, 6, 2)).toMatchObject({ isWithinLimit: false, count: 6 });
  });

  test('replacing a feature’s live version is within the limit exactly when the total stays at most the limit or does not grow', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.integer({ min: 1, max: 50 }).map(String), fc.nat(10)), fc.integer({ min: 1, max: 50 }), fc.nat(10), fc.nat(60), (counts, featureId, next, max) => {
        const live = new Map(Object.entries(counts).map(([id, n]) => [Number(id), n]));
        const before = countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: live });
        const after = countSegmentOverrides({ mode: 'v2', liveOverridesByFeature: liveOverridesAfterGoingLive(live, featureId, next) });
        expect(after - before).toBe(next - (live.get(featureId) ?? 0));
        expect(checkSegmentOverrideLimit(before, after, max).isWithinLimit).toBe(after <= max || after <= before);
      }),
    );
  });
});

describe('feature history visibility', () => {
  const now = '2026-06-10T12:00:00.000Z';

  test('the window starts the given number of days before now; null days is unlimited', () => {
    expect(historyWindowStart(now, 7)).toBe('2026-06-03T12:00:00.000Z');
    expect(historyWindowStart(now, null)).toBeNull();
  });

  test('versions that went live before the window are hidden, except the live one; drafts and scheduled versions show', () => {
    const start = historyWindowStart(now, 7);
    expect(isVersionVisible({ liveFrom: '2026-06-03T12:00:00.000Z', isLive: false }, start)).toBe(true);
    expect(isVersionVisible({ liveFrom: '2026-06-03T11:59:59.999Z', isLive: false }, start)).toBe(false);
    expect(isVersionVisible({ liveFrom: '2026-01-01T00:00:00.000Z', isLive: true }, start)).toBe(true);
    expect(isVersionVisible({ liveFrom: null, isLive: false }, start)).toBe(true);
    expect(isVersionVisible({ liveFrom: '2026-07-01T00:00:00.000Z', isLive: false }, start)).toBe(true);
    expect(isVersionVisible({ liveFrom: '2020-01-01T00:00:00.000Z', isLive: false }, null)).toBe(true);
  });
});
