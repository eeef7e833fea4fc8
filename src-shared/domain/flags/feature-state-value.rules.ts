/**
 * Typed flag values as Flagsmith stores them: one of three columns, chosen by a type tag. Feature states
 * and multivariate options use the same three columns; only the name of the tag column differs
 * (`value_type` on feature states, `type` on multivariate options).
 */
export const FeatureStateValueType = { STRING: 'unicode', INTEGER: 'int', BOOLEAN: 'bool' } as const;
export type FeatureStateValueType = (typeof FeatureStateValueType)[keyof typeof FeatureStateValueType];

/** A flag value as the API shows it. */
export type FlagValue = string | number | boolean | null;

/** The value columns of a typed value. */
export interface TypedValueColumns {
  type: FeatureStateValueType;
  string_value: string | null;
  integer_value: number | null;
  boolean_value: boolean | null;
}

/** Flagsmith stores integers in a 32-bit column; larger numbers stay strings so nothing is silently cut. */
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function asInteger(n: number): TypedValueColumns | undefined {
  return Number.isInteger(n) && n >= INT_MIN && n <= INT_MAX ? { type: 'int', string_value: null, integer_value: n, boolean_value: null } : undefined;
}

/**
 * Infers the stored type of a raw value, as Flagsmith does for `initial_value` and untyped
 * `feature_state_value`s: a string of digits (optionally negative) within 32 bits is an integer,
 * `true`/`false` (also `True`/`False`, Flagsmith's spellings) a boolean, anything else a string.
 * Typed JSON numbers and booleans keep their type; a non-integer number becomes its string form.
 * `null` is an empty string value (Flagsmith's "no value").
 */
export function inferFeatureStateValue(raw: FlagValue): TypedValueColumns {
  if (raw === null) return { type: 'unicode', string_value: null, integer_value: null, boolean_value: null };
  if (typeof raw === 'boolean') return { type: 'bool', string_value: null, integer_value: null, boolean_value: raw };
  if (typeof raw === 'number') return asInteger(raw) ?? { type: 'unicode', string_value: String(raw), integer_value: null, boolean_value: null };
  if (/^-?\d+$/.test(raw)) {
    const asInt = asInteger(Number(raw));
    if (asInt) return asInt;
  }
  if (raw === 'true' || raw === 'True') return { type: 'bool', string_value: null, integer_value: null, boolean_value: true };
  if (raw === 'false' || raw === 'False') return { type: 'bool', string_value: null, integer_value: null, boolean_value: false };
  return { type: 'unicode', string_value: raw, integer_value: null, boolean_value: null };
}

/** A row holding a typed value: a feature state (`value_type`) or a multivariate option (`type`). */
export type TypedValueRow = {
  string_value: string | null;
  integer_value: number | string | null;
  /** SQLite returns 0/1. */
  boolean_value: boolean | number | null;
} & ({ value_type: string } | { type: string });

/** The typed value of a stored row: integer, boolean or string (null when the chosen column is empty). */
export function featureStateValueOf(row: TypedValueRow): FlagValue {
  const type = 'value_type' in row ? row.value_type : row.type;
  if (type === FeatureStateValueType.INTEGER) return row.integer_value === null ? null : Number(row.integer_value);
  if (type === FeatureStateValueType.BOOLEAN) return row.boolean_value === null ? null : Boolean(row.boolean_value);
  return row.string_value;
}
