import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { applyMoves, moveToPosition, priorityChanges } from '../../../../../src-shared/domain/segments/override-priority.rules.js';

describe('override priorities', () => {
  test('moving an override up or down shifts the ones in between', () => {
    expect(moveToPosition([10, 20, 30, 40], 40, 0)).toEqual([40, 10, 20, 30]);
    expect(moveToPosition([10, 20, 30, 40], 10, 2)).toEqual([20, 30, 10, 40]);
    expect(moveToPosition([10, 20, 30], 20, 99)).toEqual([10, 30, 20]);
    expect(moveToPosition([10, 20], 99, 0)).toEqual([10, 20]);
  });

  test('moves apply one after another, as Flagsmith applies update-priorities', () => {
    expect(applyMoves([1, 2, 3], [{ id: 3, priority: 0 }, { id: 1, priority: 2 }])).toEqual([3, 2, 1]);
  });

  test('priorityChanges lists only the overrides whose position changed', () => {
    expect(priorityChanges(new Map([[1, 0], [2, 1], [3, 5]]), [1, 3, 2])).toEqual([{ id: 3, priority: 1 }, { id: 2, priority: 2 }]);
  });

  test('any sequence of moves keeps every override exactly once', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1000 }), { maxLength: 20 }), fc.array(fc.record({ id: fc.integer({ min: 1, max: 1000 }), priority: fc.nat(30) }), { maxLength: 10 }), (ids, moves) => {
        const order = applyMoves(ids, moves);
        expect([...order].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
      }),
    );
  });
});
