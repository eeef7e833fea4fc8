import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as Y from 'yjs';
import { AppError } from '../../../../../src-shared/errors/app-error.js';
import {
  createDraftDoc,
  loadDraftDoc,
  readDraftDoc,
  removeSegmentOverride,
  reorderSegmentOverrides,
  setEnabled,
  setMultivariateWeight,
  setValue,
  upsertSegmentOverride,
} from '../../../../../src-shared/domain/versioning/draft-doc.js';
import { canonicalizeVersionContent, type VersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';
import { applyEdits, content, editArb, fieldEditArb, int, override, state, str, versionContentArb, type Edit } from './version-content.arbitraries.js';

function perform(doc: Y.Doc, edit: Edit): void {
  switch (edit.op) {
    case 'enabled':
      setEnabled(doc, edit.segmentId, edit.enabled);
      return;
    case 'value':
      setValue(doc, edit.segmentId, edit.value);
      return;
    case 'weight':
      setMultivariateWeight(doc, edit.segmentId, edit.optionId, edit.weight);
      return;
    case 'upsert':
      upsertSegmentOverride(doc, edit.segmentId, { ...edit.state, ...(edit.priority === undefined ? {} : { priority: edit.priority }) });
      return;
    case 'remove':
      removeSegmentOverride(doc, edit.segmentId);
      return;
    case 'reorder':
      reorderSegmentOverrides(doc, edit.segmentIds);
  }
}

/** A replica of a draft: a document loaded from the state another replica has. */
function replicaOf(doc: Y.Doc): Y.Doc {
  return loadDraftDoc(Y.encodeStateAsUpdate(doc));
}

/** Sends each replica what it is missing from the other, as the sync server relays updates. */
function exchange(a: Y.Doc, b: Y.Doc): void {
  const toB = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const toA = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, toB);
  Y.applyUpdate(a, toA);
}

const base = content({ enabled: false, value: int(1), multivariateWeights: { '11': 50 } }, { '1': override(0, { value: str('beta') }), '2': override(1), '3': override(2) });

describe('draft document', () => {
  test('reads back the content it was created with, in canonical form', () => {
    fc.assert(
      fc.property(versionContentArb, (c) => {
        expect(readDraftDoc(createDraftDoc(c))).toEqual(canonicalizeVersionContent(c));
        expect(readDraftDoc(replicaOf(createDraftDoc(c)))).toEqual(canonicalizeVersionContent(c));
      }),
    );
  });

  test('applies each edit as the reference semantics of the edit say', () => {
    fc.assert(
      fc.property(versionContentArb, fc.array(editArb, { maxLength: 12 }), (c, edits) => {
        const doc = createDraftDoc(c);
        for (const edit of edits) perform(doc, edit);
        expect(readDraftDoc(doc)).toEqual(applyEdits(c, edits));
      }),
      { numRuns: 300 },
    );
  });

  test('reports edits of an override that does not exist instead of creating it', () => {
    const doc = createDraftDoc(base);
    expect(setEnabled(doc, '9', true)).toBe(false);
    expect(setValue(doc, '9', int(2))).toBe(false);
    expect(setMultivariateWeight(doc, '9', '11', 10)).toBe(false);
    expect(removeSegmentOverride(doc, '9')).toBe(false);
    expect(readDraftDoc(doc)).toEqual(canonicalizeVersionContent(base));
  });

  test('keeps the order right through many insertions between the same two overrides', () => {
    const doc = createDraftDoc(base);
    // Between ranks 1 and 2 the fractional keys run out of float precision after about 50 halvings.
    const edits: Edit[] = Array.from({ length: 80 }, (_, i) => ({ op: 'upsert', segmentId: String(100 + i), state: state(), priority: 2 }));
    for (const edit of edits) perform(doc, edit);
    expect(readDraftDoc(doc)).toEqual(applyEdits(base, edits));
  });

  test('rejects a malformed field written by a replica', () => {
    const doc = createDraftDoc(base);
    (doc.getMap('segmentOverrides').get('2') as Y.Map<unknown>).set('value', 'not a typed value');
    expect(() => readDraftDoc(doc)).toThrow(AppError);
    expect(() => readDraftDoc(doc)).toThrow('draft/segmentOverrides/2/value');
  });
});

describe('concurrent edits of one draft', () => {
  test('keep edits of different fields from both replicas', () => {
    const a = createDraftDoc(base);
    const b = replicaOf(a);
    setEnabled(a, null, true);
    setValue(b, null, int(2));
    setEnabled(a, '1', true);
    setValue(b, '1', str('gamma'));
    setMultivariateWeight(a, '2', '11', 30);
    setMultivariateWeight(b, '2', '12', 70);
    exchange(a, b);
    const expected = content(
      { enabled: true, value: int(2), multivariateWeights: { '11': 50 } },
      { '1': override(0, { enabled: true, value: str('gamma') }), '2': override(1, { multivariateWeights: { '11': 30, '12': 70 } }), '3': override(2) },
    );
    expect(readDraftDoc(a)).toEqual(expected);
    expect(readDraftDoc(b)).toEqual(expected);
  });

  test('keep an override added on one replica and a reorder on the other', () => {
    const a = createDraftDoc(base);
    const b = replicaOf(a);
    upsertSegmentOverride(a, '7', { ...state({ enabled: true }), priority: 0 });
    reorderSegmentOverrides(b, ['3']);
    exchange(a, b);
    expect(readDraftDoc(a)).toEqual(readDraftDoc(b));
    expect(Object.keys(readDraftDoc(a).segmentOverrides).sort()).toEqual(['1', '2', '3', '7']);
    expect(readDraftDoc(a).segmentOverrides['3']?.priority).toBeLessThan(readDraftDoc(a).segmentOverrides['1']?.priority as number);
  });

  test('let a removal win over a concurrent edit inside the removed override', () => {
    const a = createDraftDoc(base);
    const b = replicaOf(a);
    removeSegmentOverride(a, '1');
    setValue(b, '1', str('edited'));
    exchange(a, b);
    expect(readDraftDoc(a).segmentOverrides['1']).toBeUndefined();
    expect(readDraftDoc(b)).toEqual(readDraftDoc(a));
  });

  test('converge after any edits on two replicas and an exchange of updates', () => {
    fc.assert(
      fc.property(versionContentArb, fc.array(editArb, { maxLength: 10 }), fc.array(editArb, { maxLength: 10 }), (c, editsA, editsB) => {
        const a = createDraftDoc(c);
        const b = replicaOf(a);
        for (const edit of editsA) perform(a, edit);
        for (const edit of editsB) perform(b, edit);
        exchange(a, b);
        const read: VersionContent = readDraftDoc(a);
        expect(readDraftDoc(b)).toEqual(read);
        expect(canonicalizeVersionContent(read)).toEqual(read);
      }),
      { numRuns: 300 },
    );
  });

  test('converge with interleaved partial exchanges', () => {
    fc.assert(
      fc.property(versionContentArb, fc.array(fc.tuple(fc.boolean(), editArb, fc.boolean()), { maxLength: 16 }), (c, steps) => {
        const a = createDraftDoc(c);
        const b = replicaOf(a);
        for (const [isOnA, edit, shouldExchange] of steps) {
          perform(isOnA ? a : b, edit);
          if (shouldExchange) exchange(a, b);
        }
        exchange(a, b);
        expect(readDraftDoc(b)).toEqual(readDraftDoc(a));
      }),
    );
  });

  test('keep every field edit when the replicas edit different fields', () => {
    const pathOf = (e: Edit) => (e.op === 'weight' ? `${e.segmentId}/${e.op}/${e.optionId}` : `${'segmentId' in e ? e.segmentId : ''}/${e.op}`);
    fc.assert(
      fc.property(versionContentArb, fc.array(fc.tuple(fieldEditArb, fc.boolean()), { maxLength: 10 }), (c, steps) => {
        const sideOfPath = new Map<string, boolean>();
        for (const [edit, isOnA] of steps) if (!sideOfPath.has(pathOf(edit))) sideOfPath.set(pathOf(edit), isOnA);
        const editsA = steps.map(([e]) => e).filter((e) => sideOfPath.get(pathOf(e)));
        const editsB = steps.map(([e]) => e).filter((e) => !sideOfPath.get(pathOf(e)));
        const a = createDraftDoc(c);
        const b = replicaOf(a);
        for (const edit of editsA) perform(a, edit);
        for (const edit of editsB) perform(b, edit);
        exchange(a, b);
        expect(readDraftDoc(a)).toEqual(applyEdits(c, [...editsA, ...editsB]));
      }),
    );
  });
});
