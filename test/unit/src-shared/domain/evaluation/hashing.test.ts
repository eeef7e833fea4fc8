import fc from 'fast-check';
import SparkMD5 from 'spark-md5';
import { describe, expect, test } from 'vitest';
import { getHashedPercentageForObjectIds, percentageOfMd5Hex } from '../../../../../src-shared/domain/evaluation/hashing.js';

describe('getHashedPercentageForObjectIds', () => {
  // Values of flag_engine's get_hashed_percentage_for_object_ids for these ids (CPython's hashlib and
  // arbitrary-precision integers), including ids Python renders differently from JavaScript
  // (True, None) and non-ASCII text (hashed as UTF-8).
  test.each([
    [[12, 93], 27.655531106221243],
    [[14, 106], 1.160232046409282],
    [[53, 200], 84.65693138627725],
    [['1', 'api_key_user'], 23.374674934987],
    [['78986', 'n9fbf9h3v4fFgH3U3ngWhb_user'], 36.77735547109422],
    [['segment', 'ünïcødé'], 39.467893578715746],
    [[1, true], 23.59471894378876],
    [[2, null], 33.35667133426685],
    [[3, 1.5], 4.480896179235847],
    // engine-test-data: mv_feature (feature state 78986) and the 10_percent segment (4268) for identity 32102998.
    [['78986', '32102998'], 53.87077415483097],
    [['4268', '32102998'], 14.912982596519303],
  ] as const)('%j hashes to %d', (ids, expected) => {
    expect(getHashedPercentageForObjectIds(ids)).toBe(expected);
  });

  test('ids are joined as the engine renders them, so numbers and their text hash alike', () => {
    expect(getHashedPercentageForObjectIds([78986, 32102998])).toBe(getHashedPercentageForObjectIds(['78986', '32102998']));
  });

  test('a hash that lands on exactly 100 is redone with the ids repeated (iterations + 1)', () => {
    // md5("971,identity_a") mod 9999 is 9998, i.e. 100%; the engine then hashes "971,identity_a,971,identity_a".
    expect(percentageOfMd5Hex(SparkMD5.hash('971,identity_a'))).toBe(100);
    expect(percentageOfMd5Hex(SparkMD5.hash('971,identity_a,971,identity_a'))).toBe(25.125025005001);
    expect(getHashedPercentageForObjectIds([971, 'identity_a'])).toBe(25.125025005001);
  });

  test('the digest 0x270e (9998) is exactly 100 and 0x270f (9999) is 0, as in the engine test', () => {
    expect(percentageOfMd5Hex('270e')).toBe(100);
    expect(percentageOfMd5Hex('270f')).toBe(0);
  });

  test('is always in [0, 100) and the same for the same ids', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.uuid(), fc.string()), { minLength: 1, maxLength: 3 }), (ids) => {
        const value = getHashedPercentageForObjectIds(ids);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThan(100);
        expect(getHashedPercentageForObjectIds(ids)).toBe(value);
      }),
    );
  });

  test('differs for different ids', () => {
    expect(getHashedPercentageForObjectIds([14, 106])).not.toBe(getHashedPercentageForObjectIds([53, 200]));
  });

  test('spreads identities evenly over the range', () => {
    const buckets = new Array<number>(10).fill(0);
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      const value = getHashedPercentageForObjectIds([42, `identity_${i}`]);
      buckets[Math.floor(value / 10)]! += 1;
    }
    for (const count of buckets) {
      expect(count).toBeGreaterThan((samples / 10) * 0.9);
      expect(count).toBeLessThan((samples / 10) * 1.1);
    }
  });
});
