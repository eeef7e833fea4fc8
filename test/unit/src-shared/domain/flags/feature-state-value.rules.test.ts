import { describe, expect, test } from 'vitest';
import { featureStateValueOf, inferFeatureStateValue } from '../../../../../src-shared/domain/flags/feature-state-value.rules.js';

describe('inferFeatureStateValue', () => {
  test.each([
    ['42', { type: 'int', string_value: null, integer_value: 42, boolean_value: null }],
    ['-7', { type: 'int', string_value: null, integer_value: -7, boolean_value: null }],
    ['true', { type: 'bool', string_value: null, integer_value: null, boolean_value: true }],
    ['False', { type: 'bool', string_value: null, integer_value: null, boolean_value: false }],
    ['hello', { type: 'unicode', string_value: 'hello', integer_value: null, boolean_value: null }],
    ['', { type: 'unicode', string_value: '', integer_value: null, boolean_value: null }],
    ['1.5', { type: 'unicode', string_value: '1.5', integer_value: null, boolean_value: null }],
    ['99999999999', { type: 'unicode', string_value: '99999999999', integer_value: null, boolean_value: null }],
    [null, { type: 'unicode', string_value: null, integer_value: null, boolean_value: null }],
    [12, { type: 'int', string_value: null, integer_value: 12, boolean_value: null }],
    [2.5, { type: 'unicode', string_value: '2.5', integer_value: null, boolean_value: null }],
    [false, { type: 'bool', string_value: null, integer_value: null, boolean_value: false }],
  ] as const)('infers %j', (raw, expected) => {
    expect(inferFeatureStateValue(raw)).toEqual(expected);
  });
});

describe('featureStateValueOf', () => {
  test('reads the column its type names, on feature states and multivariate options', () => {
    expect(featureStateValueOf({ value_type: 'int', string_value: null, integer_value: '5', boolean_value: null })).toBe(5);
    expect(featureStateValueOf({ value_type: 'bool', string_value: null, integer_value: null, boolean_value: 1 })).toBe(true);
    expect(featureStateValueOf({ type: 'unicode', string_value: 'x', integer_value: 3, boolean_value: null })).toBe('x');
    expect(featureStateValueOf({ value_type: 'int', string_value: null, integer_value: null, boolean_value: null })).toBeNull();
  });

  test('round-trips every inferred value', () => {
    for (const raw of ['42', 'true', 'text', 7, false]) {
      const cols = inferFeatureStateValue(raw);
      const typed = featureStateValueOf(cols);
      expect(typed).toEqual(typeof raw === 'string' && raw !== 'text' ? JSON.parse(raw) : raw);
    }
  });
});
