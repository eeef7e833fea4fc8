import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalizeVersionContent, hashVersionContent, type VersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';
import { changeRequestBindingHash, changeSetOf, conflictsWithLive, missingChoices } from '../../../../../src-shared/domain/change-requests/change-request.rules.js';

const str = (s: string | null) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });
const SEGMENTS = ['1', '2', '3'];
const OPTIONS = ['10', '11'];

/** Every field a change can touch, by merge path, with how to set it on a content. */
type Field = { path: string; set: (c: VersionContent, tag: string, n: number) => void };
const FIELDS: Field[] = [
  { path: 'environmentDefault.value', set: (c, tag) => (c.environmentDefault.value = str(`${tag}-default`)) },
  ...OPTIONS.map((o): Field => ({ path: `environmentDefault.multivariateWeights.${o}`, set: (c, _tag, n) => (c.environmentDefault.multivariateWeights[o] = n) })),
  ...SEGMENTS.map((s): Field => ({ path: `segmentOverrides.${s}.value`, set: (c, tag) => (c.segmentOverrides[s]!.value = str(`${tag}-${s}`)) })),
];

function baseContent(): VersionContent {
  return {
    environmentDefault: { enabled: false, value: str(null), multivariateWeights: { '10': 20, '11': 20 } },
    segmentOverrides: Object.fromEntries(SEGMENTS.map((s, i) => [s, { priority: i, enabled: true, value: str(null), multivariateWeights: {} }])),
  };
}

function edited(base: VersionContent, fields: Set<string>, tag: 'live' | 'mine', toggles: Set<string>): VersionContent {
  const c = structuredClone(base);
  for (const f of FIELDS) if (fields.has(f.path)) f.set(c, tag, tag === 'live' ? 30 : 40);
  // Toggling `enabled` has only one other value: both sides toggling make the same change.
  for (const s of toggles) {
    const place = s === 'default' ? c.environmentDefault : c.segmentOverrides[s]!;
    place.enabled = !place.enabled;
  }
  return c;
}

const fieldSet = fc.subarray(FIELDS.map((f) => f.path)).map((a) => new Set(a));
const toggleSet = fc.subarray(['default', ...SEGMENTS]).map((a) => new Set(a));

describe('the conflict rule of a scheduled change', () => {
  test('a scheduled change conflicts exactly when a newer live change touched the same field (to another value)', () => {
    fc.assert(
      fc.property(fieldSet, fieldSet, toggleSet, toggleSet, (liveFields, mineFields, liveToggles, mineToggles) => {
        const base = baseContent();
        const live = edited(base, liveFields, 'live', liveToggles);
        const mine = edited(base, mineFields, 'mine', mineToggles);
        const expected = [...liveFields].filter((p) => mineFields.has(p)).sort();
        expect(conflictsWithLive(base, live, mine).map((c) => c.path).sort()).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('a newer change that touched only other fields never conflicts, and a rebase needs a choice for each conflicting path', () => {
    const base = baseContent();
    const live = edited(base, new Set(['segmentOverrides.1.value']), 'live', new Set());
    const mine = edited(base, new Set(['environmentDefault.value', 'segmentOverrides.1.value']), 'mine', new Set());
    const conflicts = conflictsWithLive(base, live, mine);
    expect(conflicts.map((c) => c.path)).toEqual(['segmentOverrides.1.value']);
    expect(missingChoices(conflicts, {})).toEqual(['segmentOverrides.1.value']);
    expect(missingChoices(conflicts, { 'segmentOverrides.1.value': 'mine' })).toEqual([]);
    expect(conflictsWithLive(base, edited(base, new Set(['segmentOverrides.2.value']), 'live', new Set()), mine)).toEqual([]);
  });
});

describe('change sets and approval binding', () => {
  test('the change set of a content against its base turns the base into the content', () => {
    const base = baseContent();
    const target = structuredClone(base);
    target.environmentDefault.enabled = true;
    delete target.segmentOverrides['2'];
    target.segmentOverrides['4'] = { priority: 5, enabled: false, value: str('new'), multivariateWeights: {} };
    const lists = changeSetOf(base, target);
    expect(lists.segment_ids_to_delete_overrides).toEqual([2]);
    expect(lists.feature_states_to_create.map((s) => s.feature_segment)).toEqual([{ segment: 4, priority: 2 }]);
    // Override 3 only shifts up because 2 was removed: not a change of its own.
    expect(lists.feature_states_to_update.map((s) => s.feature_segment?.segment ?? null)).toEqual([null]);
    expect(changeSetOf(base, base)).toEqual({ feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: [] });
    // Applying the lists as Flagsmith would gives the target back.
    const applied = structuredClone(canonicalizeVersionContent(base));
    for (const id of lists.segment_ids_to_delete_overrides) delete applied.segmentOverrides[String(id)];
    for (const s of [...lists.feature_states_to_create, ...lists.feature_states_to_update]) {
      const state = { enabled: s.enabled, value: s.feature_state_value, multivariateWeights: Object.fromEntries(s.multivariate_feature_state_values.map((m) => [String(m.multivariate_feature_option), m.percentage_allocation])) };
      if (s.feature_segment === null) applied.environmentDefault = state;
      else applied.segmentOverrides[String(s.feature_segment.segment)] = { ...state, priority: s.feature_segment.priority };
    }
    expect(canonicalizeVersionContent(applied)).toEqual(canonicalizeVersionContent(target));
  });

  test('the binding hash changes with the content, the version it lands on and live_from, not with feature order', () => {
    const content = hashVersionContent(baseContent());
    const a = { featureId: 1, landsOnVersionUuid: 'v1', contentHash: content, liveFrom: null };
    const b = { featureId: 2, landsOnVersionUuid: 'v9', contentHash: content, liveFrom: null };
    const h = changeRequestBindingHash([a, b]);
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(changeRequestBindingHash([b, a])).toBe(h);
    expect(changeRequestBindingHash([{ ...a, landsOnVersionUuid: 'v2' }, b])).not.toBe(h);
    expect(changeRequestBindingHash([{ ...a, contentHash: hashVersionContent(edited(baseContent(), new Set(['environmentDefault.value']), 'mine', new Set())) }, b])).not.toBe(h);
    expect(changeRequestBindingHash([{ ...a, liveFrom: '2026-07-01T00:00:00.000Z' }, b])).not.toBe(h);
  });
});
