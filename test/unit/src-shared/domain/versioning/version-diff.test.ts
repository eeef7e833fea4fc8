import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { canonicalizeVersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';
import { applyDiff, describeChange, diffVersionContent, type VersionChange } from '../../../../../src-shared/domain/versioning/version-diff.js';
import { applyEdits, bool, content, editArb, int, override, str, versionContentArb } from './version-content.arbitraries.js';

const names = { segments: { '1': 'beta', '2': 'staff' }, multivariateOptions: { '11': 'blue' } };

describe('diffVersionContent', () => {
  test('lists changes of the environment default field by field', () => {
    const a = content({ enabled: false, value: int(3), multivariateWeights: { '11': 20, '12': 30 } });
    const b = content({ enabled: true, value: int(4), multivariateWeights: { '11': 30, '13': 10 } });
    expect(diffVersionContent(a, b)).toEqual([
      { kind: 'enabled', segmentId: null, from: false, to: true },
      { kind: 'value', segmentId: null, from: int(3), to: int(4) },
      { kind: 'weight', segmentId: null, optionId: '11', from: 20, to: 30 },
      { kind: 'weight', segmentId: null, optionId: '12', from: 30, to: null },
      { kind: 'weight', segmentId: null, optionId: '13', from: null, to: 10 },
    ] satisfies VersionChange[]);
  });

  test('lists removed, added and changed overrides', () => {
    const a = content({}, { '1': override(0, { value: int(3) }), '2': override(1) });
    const b = content({}, { '3': override(0, { enabled: true }), '1': override(1, { value: int(4), enabled: true }) });
    expect(diffVersionContent(a, b)).toEqual([
      { kind: 'override-removed', segmentId: '2', override: override(1) },
      { kind: 'override-added', segmentId: '3', override: override(0, { enabled: true }) },
      { kind: 'enabled', segmentId: '1', from: false, to: true },
      { kind: 'value', segmentId: '1', from: int(3), to: int(4) },
    ] satisfies VersionChange[]);
  });

  test('reports only the overrides that moved relative to the others, not those shifted by an insertion', () => {
    const a = content({}, { '1': override(0), '2': override(1), '3': override(2) });
    const inserted = content({}, { '4': override(0), '1': override(1), '2': override(2), '3': override(3) });
    expect(diffVersionContent(a, inserted).map((c) => c.kind)).toEqual(['override-added']);
    const lastToFirst = content({}, { '3': override(0), '1': override(1), '2': override(2) });
    expect(diffVersionContent(a, lastToFirst)).toEqual([{ kind: 'override-priority', segmentId: '3', from: 2, to: 0 }]);
  });

  test('compares values by meaning, ignoring columns the type does not use', () => {
    const a = content({ value: int(3) });
    const b = content({ value: { ...int(3), string_value: '3' } });
    expect(diffVersionContent(a, b)).toEqual([]);
    expect(diffVersionContent(a, content({ value: str('3') }))).toEqual([{ kind: 'value', segmentId: null, from: int(3), to: str('3') }]);
  });

  test('is empty for a content and itself', () => {
    fc.assert(
      fc.property(versionContentArb, (a) => {
        expect(diffVersionContent(a, a)).toEqual([]);
      }),
    );
  });

  test('applyDiff(a, diff(a, b)) is b for any two contents', () => {
    fc.assert(
      fc.property(versionContentArb, versionContentArb, (a, b) => {
        expect(applyDiff(a, diffVersionContent(a, b))).toEqual(canonicalizeVersionContent(b));
      }),
    );
  });

  test('applyDiff(a, diff(a, b)) is b when b is a series of edits of a', () => {
    fc.assert(
      fc.property(versionContentArb, fc.array(editArb, { maxLength: 8 }), (a, edits) => {
        const b = applyEdits(a, edits);
        expect(applyDiff(a, diffVersionContent(a, b))).toEqual(b);
      }),
    );
  });
});

describe('describeChange', () => {
  test.each<[VersionChange, string]>([
    [{ kind: 'enabled', segmentId: null, from: false, to: true }, 'Enabled the environment default'],
    [{ kind: 'enabled', segmentId: '1', from: true, to: false }, "Disabled the override for segment 'beta'"],
    [{ kind: 'value', segmentId: '1', from: int(3), to: int(4) }, "Changed the value for segment 'beta' from 3 to 4"],
    [{ kind: 'value', segmentId: null, from: str(null), to: str('on') }, 'Changed the value of the environment default from no value to "on"'],
    [{ kind: 'value', segmentId: '7', from: bool(true), to: bool(false) }, 'Changed the value for segment 7 from true to false'],
    [{ kind: 'weight', segmentId: null, optionId: '11', from: 20, to: 30 }, "Changed the weight of option 'blue' in the environment default from 20% to 30%"],
    [{ kind: 'weight', segmentId: '2', optionId: '12', from: null, to: 50 }, "Set the weight of option 12 for segment 'staff' to 50%"],
    [{ kind: 'weight', segmentId: '2', optionId: '11', from: 50, to: null }, "Removed the weight of option 'blue' for segment 'staff' (was 50%)"],
    [{ kind: 'override-added', segmentId: '1', override: override(0, { enabled: true, value: int(4) }) }, "Added an override for segment 'beta' at priority 0 (enabled, value 4)"],
    [{ kind: 'override-removed', segmentId: '9', override: override(0) }, 'Removed the override for segment 9'],
    [{ kind: 'override-priority', segmentId: '2', from: 2, to: 0 }, "Moved the override for segment 'staff' from priority 2 to 0"],
  ])('describes %j', (change, sentence) => {
    expect(describeChange(change, names)).toBe(sentence);
  });

  test('falls back to ids without a names lookup', () => {
    expect(describeChange({ kind: 'value', segmentId: '1', from: int(3), to: int(4) })).toBe('Changed the value for segment 1 from 3 to 4');
  });
});
