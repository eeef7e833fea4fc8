import { FeatureStateValueType, inferFeatureStateValue, type FlagValue, type TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import { validationFailed } from '../../../src-shared/errors/app-error.js';

/*
 * Value fields arrive untyped (the contracts declare them without a JSON type, so Ajv's coercion cannot
 * turn 0 or false into null); these functions check them and answer 400 naming the field.
 */

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/** A plain flag value (`feature_state_value` of the environment routes, `initial_value`). */
export function parseRawValue(path: string, raw: unknown): FlagValue {
  if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  throw validationFailed(path, 'must be a string, number, boolean or null');
}

/** A plain value typed by inference (`"42"` → int, `"true"` → bool), as Flagsmith types `feature_state_value`. */
export function inferRawValue(path: string, raw: unknown): TypedValueColumns {
  return inferFeatureStateValue(parseRawValue(path, raw));
}

function nullableString(path: string, v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw validationFailed(path, 'must be a string or null');
  return v;
}

function nullableInteger(path: string, v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < INT_MIN || v > INT_MAX) throw validationFailed(path, 'must be a 32-bit integer or null');
  return v;
}

function nullableBoolean(path: string, v: unknown): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw validationFailed(path, 'must be a boolean or null');
  return v;
}

export interface TypedValueInput {
  type?: 'unicode' | 'int' | 'bool' | undefined;
  string_value?: unknown;
  integer_value?: unknown;
  boolean_value?: unknown;
}

/**
 * A typed value given as Flagsmith's value columns (`{type, string_value, integer_value, boolean_value}`).
 * Without `type`, the column that holds a value decides (boolean, then integer, else string). Only the
 * chosen column is kept, so a stored row never carries a stale value in another column.
 */
export function parseTypedValue(prefix: string, input: TypedValueInput): TypedValueColumns {
  const s = nullableString(`${prefix}/string_value`, input.string_value);
  const i = nullableInteger(`${prefix}/integer_value`, input.integer_value);
  const b = nullableBoolean(`${prefix}/boolean_value`, input.boolean_value);
  const type = input.type ?? (b !== null ? FeatureStateValueType.BOOLEAN : i !== null ? FeatureStateValueType.INTEGER : FeatureStateValueType.STRING);
  if (type === FeatureStateValueType.INTEGER) return { type, string_value: null, integer_value: i, boolean_value: null };
  if (type === FeatureStateValueType.BOOLEAN) return { type, string_value: null, integer_value: null, boolean_value: b };
  return { type, string_value: s, integer_value: null, boolean_value: null };
}

/** Flagsmith keeps `initial_value` as text (`str(value)`); it is typed by inference per environment. */
export function parseInitialValue(path: string, raw: unknown): string | null {
  if (raw === undefined) return null;
  const v = parseRawValue(path, raw);
  return v === null ? null : String(v);
}

/** A total of percentage allocations over 100; a little slack keeps 33.3 + 33.3 + 33.4 from failing on float error. */
export function exceedsHundred(total: number): boolean {
  return total > 100 + 1e-9;
}
