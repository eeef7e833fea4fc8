import { describe, expect, test } from 'vitest';
import type { EditableOverride, FeatureEditorContent } from '../../../../src-renderer/data/feature-editing.js';
import { rebaseEditorContent } from '../../../../src-renderer/features/feature-page/editor-rebase.js';

const place = (valueText: string, enabled = true, weights: Record<string, number> = {}) => ({ enabled, valueText, weights });
const override = (segmentId: number, valueText: string, enabled = true): EditableOverride => ({
  segmentId, segmentName: `segment ${segmentId}`, stateId: null, featureSegmentId: null, ...place(valueText, enabled),
});
const content = (def: ReturnType<typeof place>, overrides: EditableOverride[] = []): FeatureEditorContent => ({ environmentDefault: { stateId: null, ...def }, overrides });
const ids = (c: FeatureEditorContent) => c.overrides.map((o) => o.segmentId);

describe('rebasing unsaved editor edits onto new content', () => {
  test("the user's fields and weights win; untouched ones follow the new content", () => {
    const base = content(place('a', true, { '1': 10, '2': 20 }));
    const mine = content(place('mine', true, { '1': 15, '2': 20 }));
    const theirs = content(place('a', false, { '1': 10, '2': 30 }));
    expect(rebaseEditorContent(base, mine, theirs).environmentDefault).toEqual({ stateId: null, enabled: false, valueText: 'mine', weights: { '1': 15, '2': 30 } });
  });

  test('a typed value that means what the new content holds takes its text', () => {
    const rebased = rebaseEditorContent(content(place('1')), content(place('042')), content(place('42')));
    expect(rebased.environmentDefault.valueText).toBe('42');
  });

  test("overrides: removals and additions of both sides, and a user's edit of an override removed elsewhere is kept", () => {
    const base = content(place('a'), [override(1, 'one'), override(2, 'two'), override(3, 'three')]);
    // The user removes 1, edits 2, adds 4; elsewhere 2 and 3 were removed and 5 added.
    const mine = content(place('a'), [override(2, 'two edited'), override(3, 'three'), override(4, 'four')]);
    const theirs = content(place('a'), [override(1, 'one'), override(5, 'five')]);
    const rebased = rebaseEditorContent(base, mine, theirs);
    expect(ids(rebased)).toEqual([5, 2, 4]);
    expect(rebased.overrides.find((o) => o.segmentId === 2)?.valueText).toBe('two edited');
  });

  test("the user's reorder wins over the order of the new content", () => {
    const base = content(place('a'), [override(1, 'one'), override(2, 'two')]);
    const mine = content(place('a'), [override(2, 'two'), override(1, 'one')]);
    const theirs = content(place('a'), [override(1, 'one', false), override(2, 'two'), override(3, 'three')]);
    const rebased = rebaseEditorContent(base, mine, theirs);
    expect(ids(rebased)).toEqual([2, 1, 3]);
    expect(rebased.overrides[1]?.enabled).toBe(false);
  });

  test('with no edits the result is the new content', () => {
    const base = content(place('a'), [override(1, 'one')]);
    const theirs = content(place('b'), [override(2, 'two'), override(1, 'uno')]);
    expect(rebaseEditorContent(base, base, theirs)).toEqual(theirs);
  });
});
