import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { MultivariateFeatureStateValueDocument } from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';
import { getHashedPercentageForObjectIds } from '../../../../../src-shared/domain/evaluation/hashing.js';
import { featureStateHashKey, getMultivariateVariant, sortMultivariateValues } from '../../../../../src-shared/domain/evaluation/multivariate.js';
import { ENGINE_TEST_CASES, TEST_ENVIRONMENT } from './engine-test-data.fixture.js';

const mvFeatureState = TEST_ENVIRONMENT.feature_states.find((fs) => fs.feature.name === 'mv_feature')!;

function allocation(id: number | null, percentage_allocation: number, value: string, uuid = '00000000-0000-4000-8000-000000000000'): MultivariateFeatureStateValueDocument {
  return { id, multivariate_feature_option: { id, value }, percentage_allocation, mv_fs_value_uuid: uuid };
}

describe('getMultivariateVariant', () => {
  test.each(ENGINE_TEST_CASES.map((c) => [c.identifier, c.key, c.flags['mv_feature']!.value] as const))(
    'engine-test-data: identity %s (key %s) gets %j',
    (_identifier, key, expected) => {
      const variant = getMultivariateVariant(mvFeatureState, key);
      expect(variant ? variant.multivariate_feature_option.value : mvFeatureState.feature_state_value).toBe(expected);
    },
  );

  test('walks allocations in id order, whatever the order in the document', () => {
    // Identity 32103688 hashes to 3.05%: inside the first 30%, which is "bar" (allocation 3402), not "baz" (3404, listed first).
    expect(getMultivariateVariant(mvFeatureState, '32103688')?.multivariate_feature_option.value).toBe('bar');
    expect(sortMultivariateValues(mvFeatureState.multivariate_feature_state_values).map((v) => v.id)).toEqual([3402, 3404, 3405, 3406]);
  });

  test('orders allocations without an id by their uuid read as a number', () => {
    const sorted = sortMultivariateValues([
      allocation(null, 10, 'c', 'ffffffff-0000-4000-8000-000000000000'),
      allocation(null, 10, 'a', '0000000a-0000-4000-8000-000000000000'),
      allocation(null, 10, 'b', '000000b0-0000-4000-8000-000000000000'),
    ]);
    expect(sorted.map((v) => v.multivariate_feature_option.value)).toEqual(['a', 'b', 'c']);
  });

  test('hashes on the feature state id, or its uuid when it has none', () => {
    expect(featureStateHashKey({ django_id: 78986, featurestate_uuid: 'u' })).toBe('78986');
    expect(featureStateHashKey({ django_id: null, featurestate_uuid: '1545809c-e97f-4a1f-9e67-8b4f2b396aa6' })).toBe('1545809c-e97f-4a1f-9e67-8b4f2b396aa6');
  });

  test('a feature state without allocations gives the control value', () => {
    expect(getMultivariateVariant({ ...mvFeatureState, multivariate_feature_state_values: [] }, 'any')).toBeNull();
  });

  const allocationsArb = fc
    .array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 })
    .filter((weights) => weights.reduce((a, b) => a + b, 0) <= 100)
    .map((weights) => weights.map((w, i) => allocation(i + 1, w, `v${i + 1}`)));

  test('property: an identity gets the allocation whose range holds its hash, and the control value past the total', () => {
    fc.assert(
      fc.property(allocationsArb, fc.integer({ min: 1, max: 1_000_000 }), fc.string(), (values, fsId, identityKey) => {
        const fs = { django_id: fsId, featurestate_uuid: 'x', multivariate_feature_state_values: values };
        const percentage = getHashedPercentageForObjectIds([String(fsId), identityKey]);
        let start = 0;
        let expected: string | null = null;
        for (const v of values) {
          if (percentage >= start && percentage < start + v.percentage_allocation) {
            expected = v.multivariate_feature_option.value as string;
            break;
          }
          start += v.percentage_allocation;
        }
        expect(getMultivariateVariant(fs, identityKey)?.multivariate_feature_option.value ?? null).toBe(expected);
      }),
    );
  });

  test('property: the same identity always gets the same variant, whatever the order of the allocations', () => {
    fc.assert(
      fc.property(allocationsArb, fc.string(), (values, identityKey) => {
        const fs = { django_id: 7, featurestate_uuid: 'x', multivariate_feature_state_values: values };
        const first = getMultivariateVariant(fs, identityKey);
        expect(getMultivariateVariant(fs, identityKey)).toBe(first);
        const shuffled = { ...fs, multivariate_feature_state_values: [...values].reverse() };
        expect(getMultivariateVariant(shuffled, identityKey)?.id ?? null).toBe(first?.id ?? null);
      }),
    );
  });

  test('property: allocations that sum to 100 never leave an identity on the control value', () => {
    const fullArb = fc
      .array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 5 })
      .map((parts) => {
        const total = parts.reduce((a, b) => a + b, 0);
        const weights = parts.map((p) => Math.floor((p / total) * 100));
        weights[weights.length - 1]! += 100 - weights.reduce((a, b) => a + b, 0);
        return weights.map((w, i) => allocation(i + 1, w, `v${i + 1}`));
      });
    fc.assert(
      fc.property(fullArb, fc.string(), (values, identityKey) => {
        expect(values.reduce((a, v) => a + v.percentage_allocation, 0)).toBe(100);
        const fs = { django_id: 11, featurestate_uuid: 'x', multivariate_feature_state_values: values };
        expect(getMultivariateVariant(fs, identityKey)).not.toBeNull();
      }),
    );
  });

  test('splits a population in proportion to the allocations; a 0% allocation gets nobody', () => {
    const values = [allocation(1, 20, 'a'), allocation(2, 30, 'b'), allocation(3, 0, 'never'), allocation(4, 40, 'd')];
    const fs = { django_id: 99, featurestate_uuid: 'x', multivariate_feature_state_values: values };
    const counts: Record<string, number> = {};
    const population = 10_000;
    for (let i = 0; i < population; i++) {
      const v = getMultivariateVariant(fs, `env_key_user_${i}`);
      const key = v ? String(v.multivariate_feature_option.value) : 'control';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts['never']).toBeUndefined();
    for (const [key, share] of [['a', 0.2], ['b', 0.3], ['d', 0.4], ['control', 0.1]] as const) {
      expect(counts[key]! / population).toBeGreaterThan(share - 0.02);
      expect(counts[key]! / population).toBeLessThan(share + 0.02);
    }
  });
});
