import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  checkConditionValue,
  countConditions,
  normaliseSegmentRules,
  SegmentOperator,
  type SegmentRule,
} from '../../../../../src-shared/domain/segments/segment-rules.rules.js';

const cond = (operator: string, value: unknown, property: string | null = 'age') => ({ operator, property, value });
const tree = (...conditions: unknown[]) => [{ type: 'ALL', rules: [{ type: 'ANY', conditions }] }];

function issuesOf(input: unknown, options: Parameters<typeof normaliseSegmentRules>[1] = {}) {
  const r = normaliseSegmentRules(input, { path: 'body/rules', ...options });
  return r.ok ? [] : r.issues;
}

describe('normaliseSegmentRules', () => {
  test('returns the Flagsmith dashboard shape with ids, string values and null descriptions', () => {
    const r = normaliseSegmentRules(tree(cond('EQUAL', 42), { operator: 'PERCENTAGE_SPLIT', value: '10', description: 'ten percent' }, cond('IS_SET', 'ignored', 'plan')));
    expect(r).toEqual({
      ok: true,
      rules: [
        {
          id: 1,
          type: 'ALL',
          conditions: [],
          rules: [
            {
              id: 2,
              type: 'ANY',
              rules: [],
              conditions: [
                { id: 3, operator: 'EQUAL', property: 'age', value: '42', description: null },
                { id: 4, operator: 'PERCENTAGE_SPLIT', property: null, value: '10', description: 'ten percent' },
                { id: 5, operator: 'IS_SET', property: 'plan', value: null, description: null },
              ],
            },
          ],
        },
      ],
    });
  });

  test('keeps ids sent back from the previous tree and gives new items ids above every previous one', () => {
    const first = normaliseSegmentRules(tree(cond('EQUAL', 'a'), cond('EQUAL', 'b')));
    if (!first.ok) throw new Error('expected ok');
    const previous = first.rules;
    const inner = previous[0]!.rules[0]!;
    const input = [{ id: 1, type: 'ALL', rules: [{ id: inner.id, type: 'ANY', conditions: [{ ...inner.conditions[1]!, value: 'c' }, cond('EQUAL', 'd'), { id: 999, ...cond('EQUAL', 'e') }] }] }];
    const r = normaliseSegmentRules(input, { previous });
    expect(r.ok && r.rules[0]!.rules[0]!.conditions.map((c) => [c.id, c.value])).toEqual([
      [4, 'c'],
      [5, 'd'],
      [6, 'e'],
    ]);
  });

  test('an id used twice in one tree is kept once; the second item gets a fresh id', () => {
    const previous: SegmentRule[] = [{ id: 7, type: 'ALL', rules: [], conditions: [] }];
    const r = normaliseSegmentRules([{ id: 7, type: 'ALL' }, { id: 7, type: 'ANY' }], { previous });
    expect(r.ok && r.rules.map((x) => x.id)).toEqual([7, 8]);
  });

  test('drops rules and conditions marked delete, which do not count towards the limit', () => {
    const r = normaliseSegmentRules(
      [{ type: 'ALL', conditions: [cond('EQUAL', 1), { ...cond('EQUAL', 2), delete: true }] }, { type: 'ANY', delete: true, conditions: [cond('EQUAL', 3)] }],
      { maxConditions: 1 },
    );
    expect(r.ok && r.rules).toEqual([{ id: 1, type: 'ALL', rules: [], conditions: [{ id: 2, operator: 'EQUAL', property: 'age', value: '1', description: null }] }]);
  });

  test('a segment needs at least one rule', () => {
    expect(issuesOf([])).toEqual([{ path: 'body/rules', message: 'Segment cannot be created without any rules.' }]);
    expect(issuesOf([{ type: 'ALL', delete: true }])).toEqual([{ path: 'body/rules', message: 'Segment cannot be created without any rules.' }]);
    expect(issuesOf('nope')).toEqual([{ path: 'body/rules', message: 'must be an array' }]);
  });

  test('names the path of each invalid operand', () => {
    const issues = issuesOf(tree(cond('EQUAL', 'ok'), cond('REGEX', '(unclosed'), cond('PERCENTAGE_SPLIT', 101, null), cond('MODULO', null), cond('LESS_THAN', null)));
    expect(issues.map((i) => i.path)).toEqual(['body/rules/0/rules/0/conditions/1/value', 'body/rules/0/rules/0/conditions/2/value', 'body/rules/0/rules/0/conditions/3/value', 'body/rules/0/rules/0/conditions/4/value']);
    expect(issues[0]!.message).toMatch(/not a pattern the linear-time regex engine can run/);
  });

  test('rejects unknown operators and rule types, blank properties and non-scalar values', () => {
    const issues = issuesOf([{ type: 'SOME', conditions: [cond('LIKE', 'x'), cond('EQUAL', 'x', ''), cond('EQUAL', { a: 1 })] }]);
    expect(issues.map((i) => i.path)).toEqual(['body/rules/0/type', 'body/rules/0/conditions/0/operator', 'body/rules/0/conditions/1/property', 'body/rules/0/conditions/2/value']);
  });

  test('PERCENTAGE_SPLIT needs no property; every other operator does', () => {
    expect(issuesOf(tree(cond('PERCENTAGE_SPLIT', 50, null)))).toEqual([]);
    expect(issuesOf(tree(cond('IS_NOT_SET', undefined, null))).map((i) => i.path)).toEqual(['body/rules/0/rules/0/conditions/0/property']);
  });

  test('limits the number of conditions across the tree (SEGMENT_RULES_CONDITIONS_LIMIT)', () => {
    const many = Array.from({ length: 101 }, (_, i) => cond('EQUAL', i));
    expect(issuesOf(tree(...many))).toEqual([{ path: 'body/rules', message: 'The segment has 101 conditions, which exceeds the maximum condition count of 100.' }]);
    expect(issuesOf(tree(...many.slice(0, 100)))).toEqual([]);
  });

  test('limits nesting depth and does not look below the limit', () => {
    const nest = (depth: number): unknown => {
      let rule: unknown = { type: 'ALL', conditions: [cond('EQUAL', 1)] };
      for (let d = 1; d < depth; d++) rule = { type: 'ALL', rules: [rule] };
      return rule;
    };
    expect(issuesOf([nest(3)], { maxDepth: 3 })).toEqual([]);
    expect(issuesOf([nest(4)], { maxDepth: 3 })).toEqual([{ path: 'body/rules/0/rules/0/rules/0/rules', message: 'rules may be nested at most 3 deep' }]);
    expect(issuesOf([nest(10_000)], { maxDepth: 3 })).toHaveLength(1);
  });

  test('never throws and either fails with issues or returns a tree within the limits (arbitrary JSON)', () => {
    const operator = fc.constantFrom(...Object.values(SegmentOperator), 'BOGUS');
    const condition = fc.record({ operator, property: fc.option(fc.string(), { nil: null }), value: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)), delete: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['operator'] });
    const { rule } = fc.letrec((tie) => ({
      rule: fc.record({ type: fc.constantFrom('ALL', 'ANY', 'NONE', 'X'), conditions: fc.array(condition, { maxLength: 4 }), rules: fc.array(tie('rule'), { maxLength: 2 }), id: fc.option(fc.integer(), { nil: undefined }) }, { requiredKeys: ['type'] }),
    }));
    fc.assert(
      fc.property(fc.oneof(fc.array(rule, { maxLength: 3 }), fc.jsonValue()), (input) => {
        const r = normaliseSegmentRules(input, { maxDepth: 3, maxConditions: 10 });
        if (!r.ok) return r.issues.length > 0;
        const ids: number[] = [];
        // `depth` is the level of the rules in `rules`: an empty child list below level 3 is no fourth level.
        const walk = (rules: SegmentRule[], depth: number): void => {
          for (const x of rules) {
            expect(depth).toBeLessThanOrEqual(3);
            ids.push(x.id, ...x.conditions.map((c) => c.id));
            walk(x.rules, depth + 1);
          }
        };
        walk(r.rules, 1);
        expect(new Set(ids).size).toBe(ids.length);
        expect(countConditions(r.rules)).toBeLessThanOrEqual(10);
        return r.rules.length > 0;
      }),
    );
  });
});

describe('checkConditionValue', () => {
  test('accepts PERCENTAGE_SPLIT from 0 to 100 and nothing else', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), (n) => checkConditionValue('PERCENTAGE_SPLIT', String(n)) === undefined));
    for (const bad of ['-0.5', '100.01', 'abc', '', '0x10', 'Infinity', '1e3']) expect(checkConditionValue('PERCENTAGE_SPLIT', bad)).toBeDefined();
  });

  test('MODULO takes any text, as Flagsmith accepts it at creation (a value that is not "divisor|remainder" never matches)', () => {
    for (const value of ['2|0', '2.5|1.5', '2', '2|', '|1', 'a|1', '2|1|0', '0|1']) expect(checkConditionValue('MODULO', value)).toBeUndefined();
    expect(checkConditionValue('MODULO', null)).toBe('is required for MODULO');
  });

  test('IS_SET and IS_NOT_SET need no value; the others need one', () => {
    expect(checkConditionValue('IS_SET', null)).toBeUndefined();
    expect(checkConditionValue('IS_NOT_SET', null)).toBeUndefined();
    for (const op of ['EQUAL', 'NOT_EQUAL', 'GREATER_THAN', 'GREATER_THAN_INCLUSIVE', 'LESS_THAN', 'LESS_THAN_INCLUSIVE', 'CONTAINS', 'NOT_CONTAINS', 'REGEX', 'IN'] as const) {
      expect(checkConditionValue(op, null)).toBe(`is required for ${op}`);
      expect(checkConditionValue(op, 'x'.repeat(1001))).toBeDefined();
    }
    expect(checkConditionValue('IN', 'a,b,c')).toBeUndefined();
    expect(checkConditionValue('REGEX', '^[a-z]+@example\\.com$')).toBeUndefined();
  });
});
