import { describe, expect, test } from 'vitest';
import { checkPythonRegex, pythonReMatch } from '../../../../../src-shared/domain/evaluation/python-regex.js';
import { checkConditionValue } from '../../../../../src-shared/domain/segments/segment-rules.rules.js';

describe('segment REGEX conditions run in linear time with Python re.match semantics', () => {
  test.each([
    // Patterns that take a backtracking engine (JavaScript's RegExp, Python's re) years on these inputs.
    ['(a+)+$', `${'a'.repeat(50)}!`],
    ['(a|aa)+$', `${'a'.repeat(50)}!`],
    ['(a*)*b', 'a'.repeat(50)],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', `${'aaaaaaaaaaaaaaaaaaaaaaaa'.repeat(2)}!`],
    ['(x+x+)+y', 'x'.repeat(5000)],
  ])('%s against a hostile input of %#: no match, and it returns', (pattern, input) => {
    expect(checkPythonRegex(pattern)).toBeUndefined();
    expect(pythonReMatch(pattern, input)).toBe(false);
  });

  test('the same patterns still match what they should', () => {
    expect(pythonReMatch('(a+)+$', 'a'.repeat(50))).toBe(true);
    expect(pythonReMatch('(a|aa)+$', 'a'.repeat(50))).toBe(true);
    expect(pythonReMatch('(a*)*b', `${'a'.repeat(50)}b`)).toBe(true);
  });

  test('matches at the start of the text only, as re.match does', () => {
    expect(pythonReMatch('foo', 'foobar')).toBe(true);
    expect(pythonReMatch('bar', 'foobar')).toBe(false);
    expect(pythonReMatch('.*bar', 'foobar')).toBe(true);
    expect(pythonReMatch('foo$', 'foobar')).toBe(false);
  });

  test('reads Python syntax: leading inline flags, named groups, \\A and \\Z', () => {
    expect(pythonReMatch('(?i)FOO', 'foo')).toBe(true);
    expect(pythonReMatch('(?s)a.b', 'a\nb')).toBe(true);
    expect(pythonReMatch('a.b', 'a\nb')).toBe(false);
    expect(pythonReMatch('(?P<user>[a-z]+)@example\\.com', 'ann@example.com')).toBe(true);
    expect(pythonReMatch('\\Aab\\Z', 'ab')).toBe(true);
    expect(pythonReMatch('\\Aab\\Z', 'abc')).toBe(false);
    // `\Z` inside a class is left alone (and is then not a valid escape for RE2 either).
    expect(pythonReMatch('[\\]Z]+', ']Z')).toBe(true);
  });

  test('refuses what the linear-time engine cannot run, and a refused pattern never matches', () => {
    for (const pattern of ['(?=a)a', '(?<!x)a', '(a)\\1', '(?P<w>a)(?P=w)', '(?x) a b', '(unclosed']) {
      expect(checkPythonRegex(pattern), pattern).toMatch(/cannot run|not a pattern the linear-time regex engine can run/);
      expect(pythonReMatch(pattern, 'aa')).toBe(false);
    }
    expect(checkConditionValue('REGEX', '(?=a)a')).toMatch(/backreferences and lookaround are not supported/);
    expect(checkConditionValue('REGEX', '(a+)+$')).toBeUndefined();
  });
});
