/**
 * Python semantics the Flagsmith engine relies on, reproduced in TypeScript: `str()` of a value (used
 * when hashing ids and in IN/REGEX conditions), `int()` / `float()` parsing of condition values, string
 * ordering by code point and the floor modulo. Evaluation must give the same answer as flag_engine for
 * the same inputs, and these are the places where JavaScript's own conversions differ.
 *
 * One difference cannot be removed: JSON does not keep `2.0` apart from `2`, so an integral JavaScript
 * number is treated as a Python `int` (see `castConditionValue` for how comparisons stay faithful).
 */

/** Python's `repr()`/`str()` of a float that is not integral (exponent form below 1e-4, as CPython). */
function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  // toExponential() without digits gives the shortest round-trip mantissa, as CPython's repr does.
  const [mantissa = '', exponentText = '0'] = n.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Python's `str(value)` for the value types that reach the engine. */
export function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
    return pythonFloatRepr(value);
  }
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}

const DIGITS = String.raw`\d(?:_?\d)*`;
const PY_INT = new RegExp(String.raw`^\s*[+-]?${DIGITS}\s*$`);
const PY_FLOAT = new RegExp(String.raw`^\s*[+-]?(?:(?:${DIGITS})?\.${DIGITS}|${DIGITS}\.?)(?:[eE][+-]?${DIGITS})?\s*$`);
const PY_FLOAT_SPECIAL = /^\s*([+-]?)(inf|infinity|nan)\s*$/i;

/** Python's `int(text)`, or undefined where Python raises ValueError/TypeError. */
export function parsePythonInt(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string' || !PY_INT.test(text)) return undefined;
  return Number(text.replace(/_/g, '').trim());
}

/** Python's `float(text)`, or undefined where Python raises ValueError/TypeError. */
export function parsePythonFloat(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const special = PY_FLOAT_SPECIAL.exec(text);
  if (special) {
    if ((special[2] ?? '').toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!PY_FLOAT.test(text)) return undefined;
  return Number(text.replace(/_/g, '').trim());
}

/** Python's ordering of two strings: by code point (JavaScript's `<` compares UTF-16 code units). */
export function comparePythonStrings(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const x = left[i]!.codePointAt(0)!;
    const y = right[i]!.codePointAt(0)!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return left.length - right.length;
}

/** Python's `a % b` for numbers: the result takes the sign of the divisor. Undefined for b == 0 (ZeroDivisionError). */
export function pythonModulo(a: number, b: number): number | undefined {
  if (b === 0) return undefined;
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}
