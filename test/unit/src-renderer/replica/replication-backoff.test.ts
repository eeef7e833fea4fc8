import { describe, expect, test } from 'vitest';
import { backoffDelayMs } from '../../../../src-renderer/replica/replication.js';

describe('sync retries while the server is away', () => {
  test('back off: the wait doubles per failure in a row, up to 15 s, instead of a try every 3 s', () => {
    // The replication waits retryMs itself; the backoff adds the rest of the doubled wait.
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((failures) => 3000 + backoffDelayMs(failures, 3000));
    expect(waits).toEqual([3000, 6000, 12000, 15000, 15000, 15000, 15000, 15000]);
  });

  test('no extra wait before the first retry, and a short retry (tests) still grows', () => {
    expect(backoffDelayMs(0, 3000)).toBe(0);
    expect([1, 2, 3].map((f) => backoffDelayMs(f, 50))).toEqual([0, 50, 150]);
  });
});
