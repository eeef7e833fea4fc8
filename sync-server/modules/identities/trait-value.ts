import { TraitValueType } from '../../../src-shared/contracts/http/identities.contract.js';

/** A trait's value: Flagsmith keeps strings, integers, floats and booleans apart. */
export type TraitValue = string | number | boolean;

/** A trait value with its type; `float` keeps integral floats (`2.0`) apart from integers. */
export interface TypedTraitValue {
  type: TraitValueType;
  value: TraitValue;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** Flagsmith's `string_value` column is 2000 characters long. */
export const MAX_TRAIT_STRING_LENGTH = 2000;

/** The type Flagsmith gives a JSON value (`type(value).__name__`); integers beyond 32 bits are floats. */
export function traitTypeOf(value: TraitValue): TraitValueType {
  if (typeof value === 'boolean') return TraitValueType.BOOLEAN;
  if (typeof value === 'string') return TraitValueType.STRING;
  return Number.isInteger(value) && value >= INT_MIN && value <= INT_MAX ? TraitValueType.INTEGER : TraitValueType.FLOAT;
}

/**
 * `traits.value_json`: the value as JSON, so its JSON type is its trait type. An integral float is written
 * with a fraction (`2.0`), still valid JSON, so reading it back gives a float again.
 */
export function encodeTraitValue(t: TypedTraitValue): string {
  if (t.type === TraitValueType.FLOAT && typeof t.value === 'number' && Number.isInteger(t.value) && Math.abs(t.value) < 1e21) return `${t.value}.0`;
  return JSON.stringify(t.value);
}

export function decodeTraitValue(json: string): TypedTraitValue {
  const value = JSON.parse(json) as unknown;
  if (typeof value === 'number') {
    const isWrittenAsInteger = /^-?\d+$/.test(json.trim());
    return { type: isWrittenAsInteger && traitTypeOf(value) === TraitValueType.INTEGER ? TraitValueType.INTEGER : TraitValueType.FLOAT, value };
  }
  if (typeof value === 'boolean') return { type: TraitValueType.BOOLEAN, value };
  if (typeof value === 'string') return { type: TraitValueType.STRING, value };
  throw new Error(`Invariant violated: trait value_json holds ${json}`);
}

/**
 * A request's trait value, or why it is not one: strings (at most 2000 characters), finite numbers and
 * booleans are; null, objects and arrays are not.
 */
export function checkTraitValue(raw: unknown): { ok: true; value: TypedTraitValue } | { ok: false; message: string } {
  if (typeof raw === 'string') {
    return raw.length <= MAX_TRAIT_STRING_LENGTH ? { ok: true, value: { type: TraitValueType.STRING, value: raw } } : { ok: false, message: `must be at most ${MAX_TRAIT_STRING_LENGTH} characters` };
  }
  if (typeof raw === 'boolean') return { ok: true, value: { type: TraitValueType.BOOLEAN, value: raw } };
  if (typeof raw === 'number' && Number.isFinite(raw)) return { ok: true, value: { type: traitTypeOf(raw), value: raw } };
  return { ok: false, message: 'must be a string, a number or a boolean' };
}
