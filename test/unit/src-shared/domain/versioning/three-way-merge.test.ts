import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalizeVersionContent, canonicalTypedValue, type VersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';
import { mergeVersionContent, OVERRIDE_ORDER_PATH, resolveMergeConflicts, type MergeResult, type MergeSide } from '../../../../../src-shared/domain/versioning/three-way-merge.js';
import { applyEdits, content, editArb, fieldEditArb, int, override, str, versionContentArb, type Edit } from './version-content.arbitraries.js';

function mergedOf(result: MergeResult): VersionContent {
  if (result.kind !== 'clean') throw new Error(`expected a clean merge, got conflicts at ${result.conflicts.map((c) => c.path).join(', ')}`);
  return result.merged;
}

function allChoices(result: MergeResult, side: MergeSide): Record<string, MergeSide> {
  return result.kind === 'clean' ? {} : Object.fromEntries(result.conflicts.map((c) => [c.path, side]));
}

const orderOf = (c: VersionContent) => Object.entries(c.segmentOverrides).sort(([, a], [, b]) => a.priority - b.priority).map(([id]) => id);
const ranked = (...ids: string[]) => Object.fromEntries(ids.map((id, rank) => [id, override(rank)]));

describe('mergeVersionContent: environment default', () => {
  test('merges changes to different fields', () => {
    const base = content({ enabled: false, value: int(1) });
    const live = content({ enabled: true, value: int(1) });
    const draft = content({ enabled: false, value: int(2) });
    expect(mergeVersionContent(base, live, draft)).toEqual({ kind: 'clean', merged: content({ enabled: true, value: int(2) }) });
  });

  test('does not conflict when both sides made the same change', () => {
    const base = content({ value: int(1) });
    expect(mergeVersionContent(base, content({ value: int(2) }), content({ value: { ...int(2), string_value: 'x' } }))).toEqual({ kind: 'clean', merged: content({ value: int(2) }) });
  });

  test('reports a conflict when both sides changed a field to different values, keeping live there until resolved', () => {
    const base = content({ enabled: false, value: int(1) });
    const live = content({ enabled: false, value: int(2) });
    const draft = content({ enabled: true, value: int(3) });
    const result = mergeVersionContent(base, live, draft);
    expect(result).toEqual({
      kind: 'conflict',
      conflicts: [{ path: 'environmentDefault.value', field: 'value', segmentId: null, base: int(1), live: int(2), mine: int(3) }],
      mergedWithoutConflicts: content({ enabled: true, value: int(2) }),
      inputs: { base, live, draft },
    });
    expect(resolveMergeConflicts(result, { 'environmentDefault.value': 'mine' })).toEqual(content({ enabled: true, value: int(3) }));
    expect(resolveMergeConflicts(result, { 'environmentDefault.value': 'live' })).toEqual(content({ enabled: true, value: int(2) }));
  });

  test('merges multivariate weights option by option', () => {
    const base = content({ multivariateWeights: { '11': 10, '12': 20 } });
    const live = content({ multivariateWeights: { '11': 30, '12': 20 } });
    const draft = content({ multivariateWeights: { '11': 10, '13': 5 } });
    expect(mergedOf(mergeVersionContent(base, live, draft))).toEqual(content({ multivariateWeights: { '11': 30, '13': 5 } }));
    const clash = mergeVersionContent(base, live, content({ multivariateWeights: { '11': 40, '12': 20 } }));
    expect(clash.kind === 'conflict' && clash.conflicts).toEqual([
      { path: 'environmentDefault.multivariateWeights.11', field: 'weight', segmentId: null, optionId: '11', base: 10, live: 30, mine: 40 },
    ]);
  });

  test('treats a weight removed on one side and changed on the other as a conflict', () => {
    const base = content({ multivariateWeights: { '11': 10 } });
    const result = mergeVersionContent(base, content({ multivariateWeights: {} }), content({ multivariateWeights: { '11': 15 } }));
    expect(result.kind === 'conflict' && result.conflicts.map((c) => [c.path, c.live, c.mine])).toEqual([['environmentDefault.multivariateWeights.11', null, 15]]);
    expect(resolveMergeConflicts(result, { 'environmentDefault.multivariateWeights.11': 'live' })).toEqual(content({ multivariateWeights: {} }));
  });
});

describe('mergeVersionContent: segment overrides', () => {
  test('merges overrides added on each side, and fields edited on each side of one override', () => {
    const base = content({}, { '1': override(0, { value: int(1) }) });
    const live = content({}, { '1': override(0, { value: int(1), enabled: true }), '2': override(1) });
    const draft = content({}, { '3': override(0, { value: str('new') }), '1': override(1, { value: int(5) }) });
    expect(mergedOf(mergeVersionContent(base, live, draft))).toEqual(
      content({}, { '3': override(0, { value: str('new') }), '1': override(1, { value: int(5), enabled: true }), '2': override(2) }),
    );
  });

  test('removes an override removed on one side and untouched or only reordered on the other', () => {
    const base = content({}, ranked('1', '2', '3'));
    expect(mergedOf(mergeVersionContent(base, base, content({}, ranked('1', '3'))))).toEqual(content({}, ranked('1', '3')));
    expect(mergedOf(mergeVersionContent(base, content({}, ranked('2', '1', '3')), content({}, ranked('1', '3'))))).toEqual(content({}, ranked('1', '3')));
  });

  test('treats an override removed on one side and edited on the other as a conflict', () => {
    const base = content({}, { '1': override(0, { value: int(1) }), '2': override(1) });
    const live = content({}, { '2': override(0) });
    const draft = content({}, { '1': override(0, { value: int(2) }), '2': override(1) });
    const result = mergeVersionContent(base, live, draft);
    expect(result.kind === 'conflict' && result.conflicts).toEqual([
      { path: 'segmentOverrides.1', field: 'override', segmentId: '1', base: override(0, { value: int(1) }), live: null, mine: override(0, { value: int(2) }) },
    ]);
    expect(resolveMergeConflicts(result, { 'segmentOverrides.1': 'live' })).toEqual(content({}, { '2': override(0) }));
    expect(resolveMergeConflicts(result, { 'segmentOverrides.1': 'mine' })).toEqual(draft);

    const swapped = mergeVersionContent(base, draft, live);
    expect(swapped.kind === 'conflict' && swapped.conflicts.map((c) => [c.path, c.live, c.mine])).toEqual([['segmentOverrides.1', override(0, { value: int(2) }), null]]);
    expect(resolveMergeConflicts(swapped, { 'segmentOverrides.1': 'mine' })).toEqual(live);
  });

  test('merges an override added on both sides field by field against nothing', () => {
    const base = content();
    const same = mergeVersionContent(base, content({}, { '4': override(0, { enabled: true }) }), content({}, { '4': override(0, { enabled: true }) }));
    expect(mergedOf(same)).toEqual(content({}, { '4': override(0, { enabled: true }) }));
    const different = mergeVersionContent(base, content({}, { '4': override(0, { enabled: true }) }), content({}, { '4': override(0, { enabled: false }) }));
    expect(different.kind === 'conflict' && different.conflicts).toEqual([{ path: 'segmentOverrides.4.enabled', field: 'enabled', segmentId: '4', base: null, live: true, mine: false }]);
  });
});

describe('mergeVersionContent: override order', () => {
  test('keeps a reorder on one side together with field edits on the other', () => {
    const base = content({}, ranked('1', '2', '3'));
    const live = content({}, ranked('3', '1', '2'));
    const draft = content({}, { ...ranked('1', '2', '3'), '1': override(0, { value: int(9) }) });
    expect(mergedOf(mergeVersionContent(base, live, draft))).toEqual(content({}, { ...ranked('3', '1', '2'), '1': override(1, { value: int(9) }) }));
  });

  test('merges reorders of different pairs', () => {
    const base = content({}, ranked('1', '2', '3', '4'));
    expect(orderOf(mergedOf(mergeVersionContent(base, content({}, ranked('2', '1', '3', '4')), content({}, ranked('1', '2', '4', '3')))))).toEqual(['2', '1', '4', '3']);
  });

  test('does not turn an insertion on one side and a reorder on the other into a conflict', () => {
    const base = content({}, ranked('1', '2', '3'));
    const live = content({}, ranked('9', '1', '2', '3'));
    const draft = content({}, ranked('1', '3', '2'));
    expect(orderOf(mergedOf(mergeVersionContent(base, live, draft)))).toEqual(['9', '1', '3', '2']);
    expect(orderOf(mergedOf(mergeVersionContent(base, content({}, ranked('1', '2', '3', '8')), live)))).toEqual(['9', '1', '2', '3', '8']);
  });

  test('reports contradicting reorders as one order conflict, resolved by taking one side order', () => {
    const base = content({}, ranked('1', '2', '3'));
    const live = content({}, ranked('2', '1', '3'));
    const draft = content({}, ranked('1', '3', '2'));
    const result = mergeVersionContent(base, live, draft);
    expect(result.kind === 'conflict' && result.conflicts).toEqual([{ path: OVERRIDE_ORDER_PATH, field: 'order', segmentId: null, base: ['1', '2', '3'], live: ['2', '1', '3'], mine: ['1', '3', '2'] }]);
    expect(orderOf(resolveMergeConflicts(result, { [OVERRIDE_ORDER_PATH]: 'mine' }))).toEqual(['1', '3', '2']);
    expect(orderOf(resolveMergeConflicts(result, { [OVERRIDE_ORDER_PATH]: 'live' }))).toEqual(['2', '1', '3']);
  });

  test('reports an override added on both sides at different places as an order conflict', () => {
    const base = content({}, ranked('1', '2'));
    const result = mergeVersionContent(base, content({}, ranked('5', '1', '2')), content({}, ranked('1', '2', '5')));
    expect(result.kind === 'conflict' && result.conflicts.map((c) => c.path)).toEqual([OVERRIDE_ORDER_PATH]);
    expect(orderOf(resolveMergeConflicts(result, { [OVERRIDE_ORDER_PATH]: 'mine' }))).toEqual(['1', '2', '5']);
  });
});

describe('resolveMergeConflicts', () => {
  test('throws when a conflict has no choice', () => {
    const result = mergeVersionContent(content({ value: int(1) }), content({ value: int(2) }), content({ value: int(3) }));
    expect(() => resolveMergeConflicts(result, {})).toThrow(/environmentDefault.value/);
  });

  test('returns the merged content of a clean result', () => {
    const result = mergeVersionContent(content(), content({ enabled: true }), content());
    expect(resolveMergeConflicts(result, {})).toEqual(content({ enabled: true }));
  });
});

/** Every field of a content by merge path, as comparable text (absent fields have no entry). */
function fieldsByPath(c: VersionContent): Map<string, string> {
  const out = new Map<string, string>();
  const canonical = canonicalizeVersionContent(c);
  const places: Array<[string, typeof canonical.environmentDefault]> = [
    ['environmentDefault', canonical.environmentDefault],
    ...Object.entries(canonical.segmentOverrides).map(([id, o]): [string, typeof o] => [`segmentOverrides.${id}`, o]),
  ];
  for (const [prefix, s] of places) {
    out.set(`${prefix}.enabled`, String(s.enabled));
    out.set(`${prefix}.value`, JSON.stringify(canonicalTypedValue(s.value)));
    for (const [optionId, weight] of Object.entries(s.multivariateWeights)) out.set(`${prefix}.multivariateWeights.${optionId}`, String(weight));
  }
  return out;
}

function pathOfFieldEdit(edit: Edit): string {
  const prefix = 'segmentId' in edit && edit.segmentId !== null ? `segmentOverrides.${edit.segmentId}` : 'environmentDefault';
  if (edit.op === 'enabled') return `${prefix}.enabled`;
  if (edit.op === 'value') return `${prefix}.value`;
  if (edit.op === 'weight') return `${prefix}.multivariateWeights.${edit.optionId}`;
  throw new Error(`not a field edit: ${edit.op}`);
}

const editsArb = fc.array(editArb, { maxLength: 6 });
const fieldEditsArb = fc.array(fieldEditArb, { maxLength: 8 });

describe('mergeVersionContent: properties', () => {
  test('merge(base, base, draft) is the draft', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (base, draft) => {
        expect(mergedOf(mergeVersionContent(base, base, draft))).toEqual(canonicalizeVersionContent(draft));
      }),
    );
  });

  test('merge(base, live, base) is live', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (base, live) => {
        expect(mergedOf(mergeVersionContent(base, live, base))).toEqual(canonicalizeVersionContent(live));
      }),
    );
  });

  test('merge(base, x, x) is x: the same change on both sides never conflicts', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (base, x) => {
        expect(mergedOf(mergeVersionContent(base, x, x))).toEqual(canonicalizeVersionContent(x));
      }),
    );
  });

  test('swapping live and draft gives the same outcome kind and, when clean, the same content', () => {
    fc.assert(
      fc.property(versionContentArb, editsArb, editsArb, (base, liveEdits, draftEdits) => {
        const live = applyEdits(base, liveEdits);
        const draft = applyEdits(base, draftEdits);
        const one = mergeVersionContent(base, live, draft);
        const other = mergeVersionContent(base, draft, live);
        expect(other.kind).toBe(one.kind);
        if (one.kind === 'clean' && other.kind === 'clean') expect(other.merged).toEqual(one.merged);
      }),
      { numRuns: 300 },
    );
  });

  test('edits of disjoint fields merge cleanly, in either order, to both sets of edits applied', () => {
    const splitArb = fieldEditsArb.chain((edits) => fc.tuple(fc.constant(edits), fc.array(fc.boolean(), { minLength: edits.length, maxLength: edits.length })));
    fc.assert(
      fc.property(versionContentArb, splitArb, (base, [edits, isLiveFlags]) => {
        // Each path goes to one side only: the side of its first edit.
        const sideOfPath = new Map<string, boolean>();
        edits.forEach((e, i) => {
          if (!sideOfPath.has(pathOfFieldEdit(e))) sideOfPath.set(pathOfFieldEdit(e), isLiveFlags[i] as boolean);
        });
        const liveEdits = edits.filter((e) => sideOfPath.get(pathOfFieldEdit(e)));
        const draftEdits = edits.filter((e) => !sideOfPath.get(pathOfFieldEdit(e)));
        const live = applyEdits(base, liveEdits);
        const draft = applyEdits(base, draftEdits);
        const expected = applyEdits(base, [...liveEdits, ...draftEdits]);
        expect(mergedOf(mergeVersionContent(base, live, draft))).toEqual(expected);
        expect(mergedOf(mergeVersionContent(base, draft, live))).toEqual(expected);
      }),
    );
  });

  test('conflicts exactly at the fields both sides changed to different values', () => {
    fc.assert(
      fc.property(versionContentArb, fieldEditsArb, fieldEditsArb, (base, liveEdits, draftEdits) => {
        const live = applyEdits(base, liveEdits);
        const draft = applyEdits(base, draftEdits);
        const [b, l, d] = [fieldsByPath(base), fieldsByPath(live), fieldsByPath(draft)];
        const paths = new Set([...b.keys(), ...l.keys(), ...d.keys()]);
        const expected = [...paths].filter((p) => l.get(p) !== b.get(p) && d.get(p) !== b.get(p) && l.get(p) !== d.get(p));
        const result = mergeVersionContent(base, live, draft);
        const conflicted = result.kind === 'conflict' ? result.conflicts.map((c) => c.path) : [];
        expect(conflicted.sort()).toEqual(expected.sort());

        // Where there is no conflict, the merge takes whichever side changed the field.
        const choose = (side: MergeSide) => fieldsByPath(resolveMergeConflicts(result, allChoices(result, side)));
        const [asLive, asMine] = [choose('live'), choose('mine')];
        for (const p of paths) {
          const changed = l.get(p) !== b.get(p) ? l.get(p) : d.get(p);
          expect(asLive.get(p)).toBe(expected.includes(p) ? l.get(p) : changed);
          expect(asMine.get(p)).toBe(expected.includes(p) ? d.get(p) : changed);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('resolving every conflict to live gives mergedWithoutConflicts', () => {
    fc.assert(
      fc.property(versionContentArb, editsArb, editsArb, (base, liveEdits, draftEdits) => {
        const result = mergeVersionContent(base, applyEdits(base, liveEdits), applyEdits(base, draftEdits));
        const expected = result.kind === 'clean' ? result.merged : result.mergedWithoutConflicts;
        expect(resolveMergeConflicts(result, allChoices(result, 'live'))).toEqual(expected);
      }),
    );
  });

  test('resolving any merge with any choices gives a canonical content', () => {
    fc.assert(
      fc.property(versionContentArb, editsArb, editsArb, fc.constantFrom<MergeSide>('mine', 'live'), (base, liveEdits, draftEdits, side) => {
        const result = mergeVersionContent(base, applyEdits(base, liveEdits), applyEdits(base, draftEdits));
        const resolved = resolveMergeConflicts(result, allChoices(result, side));
        expect(canonicalizeVersionContent(resolved)).toEqual(resolved);
      }),
    );
  });
});
