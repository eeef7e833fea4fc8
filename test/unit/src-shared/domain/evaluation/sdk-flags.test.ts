import { describe, expect, test } from 'vitest';
import type { SdkFeatureWire } from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';
import { getIdentityFeatureStates } from '../../../../../src-shared/domain/evaluation/feature-states.js';
import { toSdkFlag, toSdkTraits } from '../../../../../src-shared/domain/evaluation/sdk-flags.js';
import { condition, environmentDocument, featureState, rule, segment } from './engine-test-data.fixture.js';

const F = { id: 1, name: 'banner' };
const feature: SdkFeatureWire = {
  id: 1,
  name: 'banner',
  created_date: '2024-01-01T00:00:00Z',
  description: null,
  initial_value: 'blue',
  default_enabled: false,
  type: 'STANDARD',
};
const doc = environmentDocument({
  id: 9,
  feature_states: [featureState(F, { django_id: 100, feature_state_value: 'blue' })],
  segments: [segment(3, 'vip', [rule('ALL', [condition('EQUAL', 'plan', 'vip')])], [featureState(F, { django_id: 101, feature_state_value: 'gold', feature_segment: { priority: 0 } })])],
});
const meta = { environmentId: 9, feature, featureSegmentId: 55, identityId: 77 };

describe('toSdkFlag', () => {
  test('the environment default names neither a segment nor an identity', () => {
    const [flag] = getIdentityFeatureStates(doc, { identifier: 'u', key: 'k' }, []);
    expect(toSdkFlag(flag!, meta)).toEqual({ id: 100, feature, feature_state_value: 'blue', enabled: true, environment: 9, identity: null, feature_segment: null });
  });

  test('a segment override names its feature segment', () => {
    const [flag] = getIdentityFeatureStates(doc, { identifier: 'u', key: 'k' }, [{ trait_key: 'plan', trait_value: 'vip' }]);
    expect(toSdkFlag(flag!, meta)).toMatchObject({ id: 101, feature_state_value: 'gold', identity: null, feature_segment: 55 });
  });

  test('an identity override names the identity', () => {
    const overrides = [featureState(F, { django_id: 102, enabled: false, feature_state_value: 'red' })];
    const [flag] = getIdentityFeatureStates(doc, { identifier: 'u', key: 'k', overrides }, []);
    expect(toSdkFlag(flag!, meta)).toMatchObject({ id: 102, enabled: false, feature_state_value: 'red', identity: 77, feature_segment: null });
  });
});

describe('toSdkTraits', () => {
  test('keeps trait values as stored (a numeric string stays a string)', () => {
    expect(toSdkTraits([{ trait_key: 'age', trait_value: '42' }, { trait_key: 'vip', trait_value: true }, { trait_key: 'gone', trait_value: undefined }])).toEqual([
      { trait_key: 'age', trait_value: '42' },
      { trait_key: 'vip', trait_value: true },
      { trait_key: 'gone', trait_value: null },
    ]);
  });
});
