import { describe, expect, test } from 'vitest';
import type { SegmentConditionOperator, SegmentRuleDocument } from '../../../../../src-shared/contracts/sdk/environment-document.schema.js';
import type { EvaluationContext, TraitValue } from '../../../../../src-shared/domain/evaluation/context.js';
import { getContextValue, toTraitValue } from '../../../../../src-shared/domain/evaluation/context.js';
import { getHashedPercentageForObjectIds } from '../../../../../src-shared/domain/evaluation/hashing.js';
import { contextMatchesCondition, isContextInSegment } from '../../../../../src-shared/domain/evaluation/segment-evaluator.js';
import { condition, rule } from './engine-test-data.fixture.js';

function contextWith(traits: Record<string, TraitValue>, identity: { identifier?: string; key?: string } = {}): EvaluationContext {
  return {
    environment: { key: 'api-key', name: 'Environment' },
    identity: { identifier: identity.identifier ?? 'foo', key: identity.key ?? 'api-key_foo', traits },
  };
}

const matches = (operator: SegmentConditionOperator, trait: TraitValue, value: string | null) =>
  contextMatchesCondition(contextWith({ foo: trait }), condition(operator, 'foo', value), 'segment_key');

// flag_engine tests/unit/segments/test_segments_evaluator.py: test_segment_condition_matches_context_value.
describe('comparison operators cast the condition value to the trait type', () => {
  test.each([
    ['EQUAL', 'bar', 'bar', true],
    ['EQUAL', 'bar', 'baz', false],
    ['EQUAL', 1, '1', true],
    ['EQUAL', 1, 'not_an_int', false],
    ['EQUAL', 1, '2', false],
    ['EQUAL', true, 'True', true],
    ['EQUAL', false, 'False', true],
    ['EQUAL', false, 'True', false],
    ['EQUAL', true, 'False', false],
    ['EQUAL', 1.23, '1.23', true],
    ['EQUAL', 1.23, 'not_a_float', false],
    ['EQUAL', 1.23, '4.56', false],
    ['EQUAL', 2, 'not_an_number', false],
    ['GREATER_THAN', 2, '1', true],
    ['GREATER_THAN', 1, '1', false],
    ['GREATER_THAN', 0, '1', false],
    ['GREATER_THAN', 2.1, '2.0', true],
    ['GREATER_THAN', 2.1, '2.1', false],
    ['GREATER_THAN', 2.0, '2.1', false],
    ['GREATER_THAN', 2, 'not_an_number', false],
    ['GREATER_THAN_INCLUSIVE', 2, '1', true],
    ['GREATER_THAN_INCLUSIVE', 1, '1', true],
    ['GREATER_THAN_INCLUSIVE', 0, '1', false],
    ['GREATER_THAN_INCLUSIVE', 2.1, '2.0', true],
    ['GREATER_THAN_INCLUSIVE', 2.1, '2.1', true],
    ['GREATER_THAN_INCLUSIVE', 2.0, '2.1', false],
    ['GREATER_THAN_INCLUSIVE', 2, 'not_an_number', false],
    ['LESS_THAN', 1, '2', true],
    ['LESS_THAN', 1, '1', false],
    ['LESS_THAN', 1, '0', false],
    ['LESS_THAN', 2.0, '2.1', true],
    ['LESS_THAN', 2.1, '2.1', false],
    ['LESS_THAN', 2.1, '2.0', false],
    ['LESS_THAN', 2, 'not_an_number', false],
    ['LESS_THAN_INCLUSIVE', 1, '2', true],
    ['LESS_THAN_INCLUSIVE', 1, '1', true],
    ['LESS_THAN_INCLUSIVE', 1, '0', false],
    ['LESS_THAN_INCLUSIVE', 2.0, '2.1', true],
    ['LESS_THAN_INCLUSIVE', 2.1, '2.1', true],
    ['LESS_THAN_INCLUSIVE', 2.1, '2.0', false],
    ['LESS_THAN_INCLUSIVE', 2, 'not_a_number', false],
    ['NOT_EQUAL', 'bar', 'baz', true],
    ['NOT_EQUAL', 'bar', 'bar', false],
    ['NOT_EQUAL', 1, '2', true],
    ['NOT_EQUAL', 1, '1', false],
    ['NOT_EQUAL', true, 'False', true],
    ['NOT_EQUAL', false, 'True', true],
    ['NOT_EQUAL', false, 'False', false],
    ['NOT_EQUAL', true, 'True', false],
    ['CONTAINS', 'bar', 'b', true],
    ['CONTAINS', 'bar', 'bar', true],
    ['CONTAINS', 'bar', 'baz', false],
    ['CONTAINS', 'bar', '1', false],
    ['CONTAINS', 1, '1', false],
    ['NOT_CONTAINS', 'bar', 'b', false],
    ['NOT_CONTAINS', 'bar', 'bar', false],
    ['NOT_CONTAINS', 'bar', 'baz', true],
    ['REGEX', 'foo', '[a-z]+', true],
    ['REGEX', 'FOO', '[a-z]+', false],
    ['REGEX', '1.2.3', '\\d', true],
    ['REGEX', 1, '\\d', true],
    ['REGEX', null, '[a-z]', false],
    ['REGEX', 'foo', '12', false],
    ['REGEX', 1, '1', true],
  ] as const)('%s: trait %j, value %j → %s', (operator, trait, value, expected) => {
    expect(matches(operator, trait, value)).toBe(expected);
  });
});

describe('Python details the engine inherits', () => {
  test.each([
    // A boolean trait equals any value but "False"/"false".
    ['EQUAL', true, 'yes', true],
    ['EQUAL', false, 'false', true],
    // int() accepts surrounding blanks, a sign and digit underscores; rejects decimals (then compared as float).
    ['EQUAL', 1000, ' 1_000 ', true],
    ['EQUAL', 5, '+5', true],
    ['LESS_THAN', 30, '30.5', true],
    // float() accepts exponents and "inf".
    ['LESS_THAN', 2.5, '1e1', true],
    ['LESS_THAN', 2.5, 'inf', true],
    // Strings order by code point.
    ['GREATER_THAN', 'b', 'a', true],
    ['LESS_THAN', 'Z', 'a', true],
    ['LESS_THAN', '\uffff', '\u{1F600}', true],
    // REGEX matches at the start only (re.match), and takes Python's named groups and inline flags.
    ['REGEX', 'xfoo', 'foo', false],
    ['REGEX', 'foo-bar', '(?P<word>[a-z]+)-bar', true],
    ['REGEX', 'foo', 'foo\\Z', true],
    ['REGEX', 'foox', 'foo\\Z', false],
    // Backreferences need a backtracking engine: refused when a segment is written, and never matching.
    ['REGEX', 'foo-foo', '(?P<word>[a-z]+)-(?P=word)', false],
    // Evaluated in linear time (RE2): the classic catastrophic pattern answers at once.
    ['REGEX', `${'a'.repeat(50)}!`, '(a+)+$', false],
    ['REGEX', 'FOO', '(?i)foo', true],
    ['REGEX', true, 'True', true],
    ['REGEX', 'foo', '(unclosed', false],
    // A number's text as Python writes it.
    ['REGEX', 0.00001, '1e-05', true],
  ] as const)('%s: trait %j, value %j → %s', (operator, trait, value, expected) => {
    expect(matches(operator, trait, value)).toBe(expected);
  });
});

// test_segment_condition_matches_context_value_for_semver.
describe('semver values (":semver" suffix)', () => {
  test.each([
    ['EQUAL', '1.0.0', '1.0.0:semver', true],
    ['EQUAL', 'not_a_semver', '1.0.0:semver', false],
    ['EQUAL', '1.0.0', '1.0.1:semver', false],
    ['NOT_EQUAL', '1.0.0', '1.0.0:semver', false],
    ['NOT_EQUAL', '1.0.0', '1.0.1:semver', true],
    ['GREATER_THAN', '1.0.1', '1.0.0:semver', true],
    ['GREATER_THAN', '1.0.0', '1.0.0-beta:semver', true],
    ['GREATER_THAN', '1.0.1', '1.2.0:semver', false],
    ['GREATER_THAN', '1.0.1', '1.0.1:semver', false],
    ['GREATER_THAN', '1.2.4', '1.2.3-pre.2+build.4:semver', true],
    ['LESS_THAN', '1.0.0', '1.0.1:semver', true],
    ['LESS_THAN', '1.0.0', '1.0.0:semver', false],
    ['LESS_THAN', '1.0.1', '1.0.0:semver', false],
    ['LESS_THAN', '1.0.0-rc.2', '1.0.0-rc.3:semver', true],
    ['GREATER_THAN_INCLUSIVE', '1.0.1', '1.0.0:semver', true],
    ['GREATER_THAN_INCLUSIVE', '1.0.1', '1.2.0:semver', false],
    ['GREATER_THAN_INCLUSIVE', '1.0.1', '1.0.1:semver', true],
    ['LESS_THAN_INCLUSIVE', '1.0.0', '1.0.1:semver', true],
    ['LESS_THAN_INCLUSIVE', '1.0.0', '1.0.0:semver', true],
    ['LESS_THAN_INCLUSIVE', '1.0.1', '1.0.0:semver', false],
    // Versions compare numerically, not as text; "v" prefixes and partial versions are not semver.
    ['GREATER_THAN', '1.10.0', '1.9.0:semver', true],
    ['EQUAL', 'v1.0.0', '1.0.0:semver', false],
    ['EQUAL', '1.0', '1.0.0:semver', false],
    ['NOT_EQUAL', '1.0.0', 'banana:semver', false],
    ['CONTAINS', '1.0.0', '1.0.0:semver', false],
    // Build metadata does not take part in precedence.
    ['EQUAL', '1.0.0+build.1', '1.0.0:semver', true],
  ] as const)('%s: %s vs %s → %s', (operator, trait, value, expected) => {
    expect(matches(operator, trait, value)).toBe(expected);
  });
});

// test_segment_condition_matches_context_value_for_modulo.
describe('MODULO ("divisor|remainder")', () => {
  test.each([
    [1, '2|0', false],
    [2, '2|0', true],
    [3, '2|0', false],
    [34.2, '4|3', false],
    [35.0, '4|3', true],
    ['dummy', '3|0', false],
    ['1.0.0', '3|0', false],
    [false, '1|3', false],
    [1, 'invalid|value', false],
    [1, '', false],
    // Python's modulo takes the sign of the divisor; a zero divisor never matches.
    [-1, '4|3', true],
    [true, '2|1', true],
    [4, '0|0', false],
    [4, '2|0|1', false],
  ] as const)('trait %j, value %j → %s', (trait, value, expected) => {
    expect(matches('MODULO', trait, value)).toBe(expected);
  });
});

// test_context_matches_condition (IN, IS_SET and typed traits).
describe('IN, IS_SET and IS_NOT_SET', () => {
  test.each([
    [false, 'EQUAL', 'false', true],
    [true, 'EQUAL', 'true', true],
    [12, 'EQUAL', '12', true],
    [null, 'IS_SET', 'false', false],
    ['foo', 'IN', 'foo,bar', true],
    ['bar', 'IN', 'foo,bar', true],
    ['baz', 'IN', 'foo,bar', false],
    [1, 'IN', '1,2,3,4', true],
    [5, 'IN', '1,2,3,4', false],
    ['foo', 'IN', '["foo","bar"]', true],
    ['baz', 'IN', '["foo","bar"]', false],
    [1, 'IN', '[1,2,3,4]', true],
    [5, 'IN', '[1,2,3,4]', false],
    [1, 'IN', '["1","2","3","4"]', true],
    [5, 'IN', '["1","2","3","4"]', false],
    [null, 'IN', 'foo,bar', false],
    ['"I am a valid JSON literal but not a list"', 'IN', '"I am a valid JSON literal but not a list"', true],
    // Booleans and non-integral numbers are never IN a list of strings.
    [true, 'IN', 'True,true', false],
    [1.5, 'IN', '1.5', false],
    ['a b', 'IN', 'a b,c', true],
  ] as const)('trait %j %s %j → %s', (trait, operator, value, expected) => {
    expect(matches(operator, trait, value)).toBe(expected);
  });

  // test_context_in_segment_is_set_and_is_not_set.
  test.each([
    ['IS_SET', 'foo', true],
    ['IS_NOT_SET', 'foo', false],
    ['IS_SET', 'random_property', false],
    ['IS_NOT_SET', 'random_property', true],
  ] as const)('%s on %s → %s', (operator, property, expected) => {
    expect(contextMatchesCondition(contextWith({ foo: 'bar' }), condition(operator, property, ''), '1')).toBe(expected);
  });

  test('a trait set to null is not set', () => {
    expect(contextMatchesCondition(contextWith({ foo: null }), condition('IS_NOT_SET', 'foo', null), '1')).toBe(true);
  });

  test('an unknown operator never matches', () => {
    const unknown = { operator: 'SOUNDS_LIKE' as SegmentConditionOperator, property_: 'foo', value: 'bar' };
    expect(contextMatchesCondition(contextWith({ foo: 'bar' }), unknown, '1')).toBe(false);
  });
});

describe('PERCENTAGE_SPLIT', () => {
  const context = contextWith({}, { key: '32102998' });
  // hash(["4268", "32102998"]) = 14.912982596519303 (see the hashing vectors).
  test.each([
    ['14.9', false],
    ['14.912982596519303', true],
    ['14.92', true],
    ['100', true],
    ['0', false],
    ['not a number', false],
  ])('identity at 14.91%% with split %s → %s', (value, expected) => {
    expect(contextMatchesCondition(context, condition('PERCENTAGE_SPLIT', null, value), '4268')).toBe(expected);
  });

  test('hashes the segment key with the identity key', () => {
    const expected = getHashedPercentageForObjectIds(['7', 'api-key_foo']);
    const ctx = contextWith({});
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', '', String(expected)), '7')).toBe(true);
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', '', String(expected - 0.001)), '7')).toBe(false);
  });

  test('with a property naming a set trait, hashes the trait value instead of the identity (split by account, not user)', () => {
    const byTrait = getHashedPercentageForObjectIds(['1', 'custom_value']);
    const ctx = contextWith({ custom_trait: 'custom_value' });
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', 'custom_trait', String(byTrait)), '1')).toBe(true);
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', 'custom_trait', String(byTrait - 0.001)), '1')).toBe(false);
  });

  test('a split by a trait the identity does not have never matches, even at 100% (flagsmith-engine#283, engine-test-data test_percentage_split__missing_trait)', () => {
    const ctx = contextWith({ email: 'user@example.com', age: 25 });
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', 'company_id', '100'), '1')).toBe(false);
    // Without a property the split is by identity key.
    const byIdentity = getHashedPercentageForObjectIds(['1', 'api-key_foo']);
    expect(contextMatchesCondition(ctx, condition('PERCENTAGE_SPLIT', '', String(byIdentity)), '1')).toBe(true);
  });

  test('a trait named like a JSONPath is matched by its literal name first (engine-test-data test_jsonpath_like_trait__existing_jsonpath)', () => {
    expect(contextMatchesCondition(contextWith({ '$.identity': 'match' }), condition('EQUAL', '$.identity', 'match'), '1')).toBe(true);
    expect(contextMatchesCondition(contextWith({ '$.identity.identifier': 'literal' }), condition('EQUAL', '$.identity.identifier', 'literal'), '1')).toBe(true);
    // Without such a trait the property is a JSONPath into the context.
    expect(contextMatchesCondition(contextWith({}), condition('EQUAL', '$.identity.identifier', 'foo'), '1')).toBe(true);
  });

  test('MODULO values that are not "divisor|remainder" of numbers never match (engine-test-data test_modulo_condition_*)', () => {
    const ctx = contextWith({ n: 4, s: 'text', b: true });
    for (const value of ['', '2', '2|', '|1', 'a|1', '2|1|0', '0|0', '1.2.3|1']) expect(contextMatchesCondition(ctx, condition('MODULO', 'n', value), '1')).toBe(false);
    expect(contextMatchesCondition(ctx, condition('MODULO', 'n', '2|0'), '1')).toBe(true);
    expect(contextMatchesCondition(ctx, condition('MODULO', 's', '2|0'), '1')).toBe(false);
  });
});

// flag_engine tests/unit/segments/fixtures.py + test_context_in_segment.
describe('isContextInSegment: rules and nesting', () => {
  const email = condition('EQUAL', 'email', 'user@example.com');
  const purchases = condition('EQUAL', 'num_purchase', '12');
  const joined = condition('EQUAL', 'date_joined', '2021-01-01');
  const segments: Record<string, SegmentRuleDocument[]> = {
    empty: [],
    single: [rule('ALL', [email])],
    allOfTwo: [rule('ALL', [email, purchases])],
    anyOfTwo: [rule('ANY', [email, purchases])],
    nested: [rule('ALL', [], [rule('ALL', [email, purchases]), rule('ALL', [joined])])],
    conditionsAndNested: [rule('ALL', [email], [rule('ALL', [purchases]), rule('ALL', [joined])])],
  };
  const t1 = { email: 'user@example.com' };
  const t12 = { ...t1, num_purchase: '12' };
  const t123 = { ...t12, date_joined: '2021-01-01' };

  test.each([
    ['empty', {}, false],
    ['single', {}, false],
    ['single', t1, true],
    ['allOfTwo', {}, false],
    ['allOfTwo', t1, false],
    ['allOfTwo', t12, true],
    ['anyOfTwo', {}, false],
    ['anyOfTwo', t1, true],
    ['anyOfTwo', { num_purchase: '12' }, true],
    ['anyOfTwo', t12, true],
    ['nested', {}, false],
    ['nested', t1, false],
    ['nested', t123, true],
    ['conditionsAndNested', {}, false],
    ['conditionsAndNested', t1, false],
    ['conditionsAndNested', t123, true],
  ] as const)('%s with traits %j → %s', (name, traits, expected) => {
    const typed = Object.fromEntries(Object.entries(traits).map(([k, v]) => [k, toTraitValue(v)]));
    expect(isContextInSegment(contextWith(typed), { key: '1', rules: segments[name]! })).toBe(expected);
  });

  test('NONE matches when no condition does', () => {
    const none = [rule('NONE', [condition('EQUAL', 'plan', 'free'), condition('EQUAL', 'plan', 'trial')])];
    expect(isContextInSegment(contextWith({ plan: 'pro' }), { key: '1', rules: none })).toBe(true);
    expect(isContextInSegment(contextWith({ plan: 'trial' }), { key: '1', rules: none })).toBe(false);
  });

  // engine-test-data v3.7.0 test_any_rule_with_nested_all_groups__*: nested rules combine by the parent's type.
  const groups = [
    rule('ALL', [condition('EQUAL', '$.environment.name', 'Production'), condition('EQUAL', 'user_id', '123')]),
    rule('ALL', [condition('EQUAL', '$.environment.name', 'QA'), condition('EQUAL', 'user_id', '456')]),
  ];
  const production = (userId: string): EvaluationContext => ({
    environment: { key: 'key', name: 'Production' },
    identity: { identifier: 'user', key: 'key_user', traits: { user_id: toTraitValue(userId) } },
  });

  test('an ANY rule over ALL groups matches when one group does', () => {
    expect(isContextInSegment(production('123'), { key: '100', rules: [rule('ANY', [], groups)] })).toBe(true);
  });

  test('an ANY rule over ALL groups does not match when no group does', () => {
    expect(isContextInSegment(production('999'), { key: '100', rules: [rule('ALL', [], [rule('ANY', [], groups)])] })).toBe(false);
  });

  test('an ALL rule needs every nested rule, a NONE rule needs none of them', () => {
    expect(isContextInSegment(production('123'), { key: '100', rules: [rule('ALL', [], groups)] })).toBe(false);
    expect(isContextInSegment(production('999'), { key: '100', rules: [rule('NONE', [], groups)] })).toBe(true);
    expect(isContextInSegment(production('123'), { key: '100', rules: [rule('NONE', [], groups)] })).toBe(false);
  });

  test('a rule needs both its conditions and its nested rules', () => {
    const rules = [rule('ANY', [condition('EQUAL', 'user_id', '999')], groups)];
    expect(isContextInSegment(production('123'), { key: '100', rules })).toBe(false);
    expect(isContextInSegment(production('999'), { key: '100', rules })).toBe(false);
  });
});

describe('getContextValue', () => {
  const ctx = contextWith({ foo: 'bar', 'trait key "with quotes"': 'some value', '$.  i am not" a valid jsonpath': 'some_value' }, { identifier: 'user_1' });

  test.each([
    ['foo', 'bar'],
    ['$.identity.identifier', 'user_1'],
    ['$.identity.key', 'api-key_foo'],
    ['$.environment.name', 'Environment'],
    ['$.identity.traits.foo', 'bar'],
    ["$.identity.traits['foo']", 'bar'],
    ['$.identity["traits"]["foo"]', 'bar'],
    // engine: test_get_context_value__invalid_jsonpath__returns_expected
    ['$.identity', null],
    ['trait key "with quotes"', 'some value'],
    ['$.leads.to.nowhere', null],
    ['$.identity.traits.*', null],
    // engine: test_get_context_value__jsonpath_like_trait__returns_expected
    ['$.  i am not" a valid jsonpath', 'some_value'],
  ])('%s → %j', (property, expected) => {
    expect(getContextValue(ctx, property)).toBe(expected);
  });

  test('engine-test-data test_atypical_context_values: object paths and missing paths are not set, quoted trait keys are read as is', () => {
    const ctx2: EvaluationContext = {
      environment: { key: 'key', name: 'Environment' },
      identity: { identifier: 'atypical', key: 'key_atypical_context_values_user', traits: { 'trait key "with quotes"': 'some value' } },
    };
    const rules = [
      rule('ALL', [
        condition('IS_NOT_SET', '$.identity', ''),
        condition('EQUAL', 'trait key "with quotes"', 'some value'),
        condition('IS_NOT_SET', '$.leads.to.nowhere', ''),
      ]),
    ];
    expect(isContextInSegment(ctx2, { key: '99', rules })).toBe(true);
  });
});

describe('toTraitValue', () => {
  test.each([
    ['42', 42],
    ['-7', -7],
    ['1.5', 1.5],
    ['1.', '1.'],
    ['1e3', '1e3'],
    [' 42', ' 42'],
    ['abc', 'abc'],
    [true, true],
    [3.25, 3.25],
    [null, null],
    [undefined, null],
  ] as const)('%j → %j', (raw, expected) => {
    expect(toTraitValue(raw)).toBe(expected);
  });

  test('a numeric string trait compares as a number, as in the engine', () => {
    const ctx = contextWith({ age: toTraitValue('42') });
    expect(contextMatchesCondition(ctx, condition('GREATER_THAN', 'age', '5'), '1')).toBe(true);
  });
});
