import { featureStateValueOf, inferFeatureStateValue, type FlagValue, type TypedValueColumns } from '../../src-shared/domain/flags/feature-state-value.rules.js';

export type { FlagValue, TypedValueColumns };

/** The text a value field shows: '' for no value. */
export function valueToText(value: TypedValueColumns | FlagValue): string {
  const plain = value !== null && typeof value === 'object' ? featureStateValueOf(value) : value;
  return plain === null ? '' : String(plain);
}

/**
 * The typed value of what the user typed, inferred as the server does for untyped values (Flagsmith's
 * dashboard behaves the same): "42" is an integer, "true" a boolean, '' no value.
 */
export function textToValue(text: string): TypedValueColumns {
  return inferFeatureStateValue(text === '' ? null : text);
}

/** A short label of a value for lists and diffs: quoted strings, bare numbers and booleans, "no value". */
export function formatValue(value: TypedValueColumns | FlagValue | undefined): string {
  if (value === undefined) return '—';
  const plain = value !== null && typeof value === 'object' ? featureStateValueOf(value) : value;
  if (plain === null) return 'no value';
  return typeof plain === 'string' ? `"${plain}"` : String(plain);
}
