import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  canonicalizeVersionContent,
  canonicalVersionContentJson,
  hashVersionContent,
  isSameVersionContent,
  orderedSegmentIds,
  sha256Hex,
  type VersionContent,
} from '../../../../../src-shared/domain/versioning/version-content.js';
import { applyEdit, content, editArb, int, override, str, versionContentArb } from './version-content.arbitraries.js';

describe('canonicalizeVersionContent', () => {
  test('renumbers priorities to ranks, breaking ties by segment id, and clears the columns the type does not name', () => {
    const messy: VersionContent = {
      environmentDefault: { enabled: true, value: { type: 'int', string_value: 'stale', integer_value: 3, boolean_value: true }, multivariateWeights: { '12': 50, '11': 25 } },
      segmentOverrides: { '9': override(40), '10': override(7), '2': override(7) },
    };
    expect(canonicalizeVersionContent(messy)).toEqual({
      environmentDefault: { enabled: true, value: int(3), multivariateWeights: { '11': 25, '12': 50 } },
      segmentOverrides: { '2': override(0), '10': override(1), '9': override(2) },
    });
    expect(orderedSegmentIds(messy)).toEqual(['2', '10', '9']);
  });

  test('does not mutate its input', () => {
    const input = content({}, { '1': override(5) });
    const copy = structuredClone(input);
    canonicalizeVersionContent(input);
    expect(input).toEqual(copy);
  });
});

describe('sha256Hex', () => {
  test('matches the standard test vectors', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('agrees with node:crypto on any string, including non-ASCII and block-boundary lengths', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
      }),
      { numRuns: 50 },
    );
  });
});

describe('hashVersionContent', () => {
  test('is stable for one content and has the sha256 prefix', () => {
    const c = content({ enabled: true, value: str('x') }, { '1': override(0) });
    expect(hashVersionContent(c)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hashVersionContent(c)).toBe(hashVersionContent(structuredClone(c)));
  });

  test('ignores what canonicalisation removes: priority numbering and stale value columns', () => {
    const a = content({ value: int(4) }, { '1': override(0), '2': override(1) });
    const b = content({ value: { ...int(4), string_value: '4' } }, { '1': override(10), '2': override(20) });
    expect(hashVersionContent(a)).toBe(hashVersionContent(b));
  });

  test('changes exactly when the canonical content changes', () => {
    // b is either an edit of a (often a no-op edit) or a with priorities spread out, which is the same content.
    const pairArb = versionContentArb.chain((a) =>
      fc.tuple(
        fc.constant(a),
        fc.oneof(
          editArb.map((e) => applyEdit(a, e)),
          fc.constant({ ...a, segmentOverrides: Object.fromEntries(Object.entries(a.segmentOverrides).map(([id, o]) => [id, { ...o, priority: o.priority * 3 + 1 }])) }),
        ),
      ),
    );
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const isSameCanonical = canonicalVersionContentJson(a) === canonicalVersionContentJson(b);
        expect(hashVersionContent(a) === hashVersionContent(b)).toBe(isSameCanonical);
        expect(isSameVersionContent(a, b)).toBe(isSameCanonical);
      }),
    );
  });
});
