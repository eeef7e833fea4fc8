import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { editToContent, formatWaitFor, mergePromotion, parseWaitFor, triggerDueAt } from '../../../../../src-shared/domain/release-pipelines/release-pipeline.rules.js';
import { canonicalizeVersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';
import { content, override, str, versionContentArb } from '../versioning/version-content.arbitraries.js';

describe('wait durations', () => {
  test('reads Django durations as Flagsmith sends wait_for', () => {
    expect(parseWaitFor('00:10:00')).toBe(600);
    expect(parseWaitFor('01:30:05')).toBe(5405);
    expect(parseWaitFor('2 03:00:00')).toBe(2 * 86400 + 3 * 3600);
  });

  test('rejects text that is not a duration, and a zero wait', () => {
    for (const text of ['soon', '10', '00:60:00', '1:2:3', '-1 00:00:01', '00:00:00', '']) expect(parseWaitFor(text), text).toBeUndefined();
  });

  test('formatting and reading back give the same number of seconds', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 365 * 86400 }), (seconds) => parseWaitFor(formatWaitFor(seconds)) === seconds));
  });

  test('a trigger is due the wait after the feature entered', () => {
    expect(triggerDueAt('2026-06-01T12:00:00.000Z', 600)).toBe('2026-06-01T12:10:00.000Z');
  });
});

describe('the promotion merge', () => {
  const base = content({ enabled: false, value: str('base') });

  test('keeps the target’s change and takes the pipeline’s when they touch different fields', () => {
    const live = content({ enabled: false, value: str('prod') });
    const source = content({ enabled: true, value: str('base') });
    const merged = mergePromotion(base, live, source);
    expect(merged).toEqual({ kind: 'clean', content: canonicalizeVersionContent(content({ enabled: true, value: str('prod') })) });
  });

  test('is a conflict when both changed the same field to different values', () => {
    const merged = mergePromotion(base, content({ value: str('prod') }), content({ value: str('dev') }));
    expect(merged.kind).toBe('conflict');
    if (merged.kind === 'conflict') expect(merged.conflicts.map((c) => c.path)).toEqual(['environmentDefault.value']);
  });

  test('is a conflict when disjoint weight changes total over 100 at one place', () => {
    const b = content({ multivariateWeights: { '11': 50, '12': 0 } });
    const merged = mergePromotion(b, content({ multivariateWeights: { '11': 90, '12': 0 } }), content({ multivariateWeights: { '11': 50, '12': 40 } }));
    expect(merged.kind).toBe('conflict');
    if (merged.kind === 'conflict') expect(merged.conflicts.map((c) => c.path)).toEqual(['environmentDefault.multivariateWeights']);
  });

  test('promoting onto an unchanged target gives the promoted content', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (live, source) => {
        const merged = mergePromotion(live, live, source);
        const sourceTotalsOk = [source.environmentDefault, ...Object.values(source.segmentOverrides)].every((s) => Object.values(s.multivariateWeights).reduce((a, b) => a + b, 0) <= 100);
        if (!sourceTotalsOk) return merged.kind === 'conflict';
        return merged.kind === 'clean' && JSON.stringify(merged.content) === JSON.stringify(canonicalizeVersionContent(source));
      }),
    );
  });
});

describe('the edit to a content', () => {
  test('writes the default and every target override once, in evaluation order, and deletes the overrides only live has', () => {
    const live = content({}, { '1': override(0), '2': override(1) });
    const target = content({ enabled: true }, { '3': override(0, { enabled: true }), '1': override(1) });
    expect(editToContent(live, target)).toEqual({
      feature_states_to_update: [
        { feature_segment: null, enabled: true, feature_state_value: str(null), multivariate_feature_state_values: [] },
        { feature_segment: { segment: 1, priority: 1 }, enabled: false, feature_state_value: str(null), multivariate_feature_state_values: [] },
      ],
      feature_states_to_create: [{ feature_segment: { segment: 3, priority: 0 }, enabled: true, feature_state_value: str(null), multivariate_feature_state_values: [] }],
      segment_ids_to_delete_overrides: [2],
    });
  });

  test('covers exactly the places of both contents', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (live, target) => {
        const edit = editToContent(live, target);
        const written = [...edit.feature_states_to_update, ...edit.feature_states_to_create].map((s) => (s.feature_segment === null ? 'default' : String(s.feature_segment.segment)));
        const expected = ['default', ...Object.keys(canonicalizeVersionContent(target).segmentOverrides)];
        const deleted = edit.segment_ids_to_delete_overrides.map(String);
        return (
          written.length === expected.length &&
          expected.every((p) => written.includes(p)) &&
          deleted.every((id) => live.segmentOverrides[id] !== undefined && target.segmentOverrides[id] === undefined) &&
          Object.keys(live.segmentOverrides).filter((id) => !target.segmentOverrides[id]).length === deleted.length
        );
      }),
    );
  });
});
