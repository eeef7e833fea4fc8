import { describe, expect, test } from 'vitest';
import { comparePythonStrings, parsePythonFloat, parsePythonInt, pythonModulo, pythonStr } from '../../../../../src-shared/domain/evaluation/python-values.js';

describe('pythonStr (CPython str())', () => {
  test.each([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    [12, '12'],
    [-3, '-3'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [1e21, '1000000000000000000000'],
    ['text', 'text'],
  ] as const)('%j → %s', (value, expected) => {
    expect(pythonStr(value)).toBe(expected);
  });
});

describe('parsePythonInt (int())', () => {
  test.each([
    ['12', 12],
    [' -12 ', -12],
    ['+7', 7],
    ['1_000', 1000],
    ['007', 7],
    ['1.0', undefined],
    ['1__0', undefined],
    ['_1', undefined],
    ['', undefined],
    ['0x10', undefined],
    [null, undefined],
  ] as const)('%j → %j', (text, expected) => {
    expect(parsePythonInt(text)).toBe(expected);
  });
});

describe('parsePythonFloat (float())', () => {
  test.each([
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1.', 1],
    [' 2 ', 2],
    ['1e3', 1000],
    ['-1.5E-2', -0.015],
    ['1_0.5', 10.5],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['abc', undefined],
    ['1.2.3', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as const)('%j → %j', (text, expected) => {
    expect(parsePythonFloat(text)).toBe(expected);
  });

  test('"nan" is NaN', () => {
    expect(parsePythonFloat('NaN')).toBeNaN();
  });
});

describe('comparePythonStrings', () => {
  test('orders by code point, also beyond the BMP', () => {
    expect(comparePythonStrings('a', 'b')).toBeLessThan(0);
    expect(comparePythonStrings('abc', 'ab')).toBeGreaterThan(0);
    expect(comparePythonStrings('same', 'same')).toBe(0);
    // UTF-16 puts U+1F600 (surrogates D83D…) before U+FFFF; code points do not.
    expect('\u{1F600}' < '\uffff').toBe(true);
    expect(comparePythonStrings('\u{1F600}', '\uffff')).toBeGreaterThan(0);
  });
});

describe('pythonModulo', () => {
  test.each([
    [7, 3, 1],
    [-7, 3, 2],
    [7, -3, -2],
    [35, 4, 3],
    [5.5, 2, 1.5],
    [1, 0, undefined],
  ] as const)('%d %% %d → %j', (a, b, expected) => {
    expect(pythonModulo(a, b)).toBe(expected);
  });
});
