import { describe, expect, test } from 'vitest';
import * as Y from 'yjs';
import { applyEditorChangesToDraft, editorContentOfVersion } from '../../../../src-renderer/data/feature-editing.js';
import { createDraftDoc, loadDraftDoc, readDraftDoc, setValue } from '../../../../src-shared/domain/versioning/draft-doc.js';
import type { VersionContent } from '../../../../src-shared/domain/versioning/version-content.js';
import type { Segment } from '../../../../src-renderer/data/api-client.js';

/* The replica's editor writes only what the user changed into the draft's Yjs document (D7). */

const text = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });
const segments = [7, 8, 9].map((id) => ({ id, name: `seg-${id}` }) as Segment);
const start: VersionContent = {
  environmentDefault: { enabled: true, value: text('a'), multivariateWeights: { '1': 20, '2': 30 } },
  segmentOverrides: {
    '7': { enabled: true, value: text('seven'), multivariateWeights: {}, priority: 0 },
    '8': { enabled: false, value: text('eight'), multivariateWeights: {}, priority: 1 },
  },
};

describe('editor changes applied to a draft document', () => {
  test('values, weights, added, removed and reordered overrides land in the draft', () => {
    const doc = createDraftDoc(start);
    const original = editorContentOfVersion(start, segments);
    expect(original.overrides.map((o) => [o.segmentId, o.segmentName, o.valueText])).toEqual([
      [7, 'seg-7', 'seven'],
      [8, 'seg-8', 'eight'],
    ]);
    const edited = structuredClone(original);
    edited.environmentDefault.weights = { '1': 25 };
    edited.environmentDefault.valueText = '42';
    edited.overrides = [
      { ...edited.overrides[1]!, enabled: true },
      { segmentId: 9, segmentName: 'seg-9', stateId: null, featureSegmentId: null, enabled: false, valueText: 'nine', weights: {} },
    ];
    applyEditorChangesToDraft(doc, original, edited);
    const result = readDraftDoc(doc);
    expect(result.environmentDefault).toEqual({ enabled: true, value: { type: 'int', string_value: null, integer_value: 42, boolean_value: null }, multivariateWeights: { '1': 25 } });
    expect(Object.entries(result.segmentOverrides).map(([id, o]) => [id, o.priority, o.enabled, o.value.string_value])).toEqual([
      ['8', 0, true, 'eight'],
      ['9', 1, false, 'nine'],
    ]);
  });

  test('an unchanged field is not written, so another admin’s concurrent edit of it survives the merge', () => {
    const mine = createDraftDoc(start);
    const theirs = loadDraftDoc(Y.encodeStateAsUpdate(mine));
    setValue(theirs, '7', text('theirs'));
    const original = editorContentOfVersion(start, segments);
    applyEditorChangesToDraft(mine, original, { ...original, environmentDefault: { ...original.environmentDefault, enabled: false } });
    Y.applyUpdate(mine, Y.encodeStateAsUpdate(theirs));
    const merged = readDraftDoc(mine);
    expect(merged.environmentDefault.enabled).toBe(false);
    expect(merged.segmentOverrides['7']!.value).toEqual(text('theirs'));
  });
});
