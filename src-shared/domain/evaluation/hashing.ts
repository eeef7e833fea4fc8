import SparkMD5 from 'spark-md5';
import { pythonStr } from './python-values.js';

/** An id that takes part in a hash: a database id, a uuid, a segment key, an identity key or a trait value. */
export type HashableId = string | number | boolean | null;

/**
 * Flagsmith's `get_hashed_percentage_for_object_ids`: a stable number in [0, 100) for a list of ids.
 *
 * The ids are joined with "," (each as Python's `str()` renders it), the MD5 of the UTF-8 bytes is read
 * as one big integer, and `(n % 9999) / 9998 * 100` is the percentage. That formula can give exactly
 * 100 (when n % 9999 is 9998); the engine then hashes the ids repeated once more (`iterations + 1`)
 * so the value always stays below 100. Percentage-split segments and multivariate allocations both
 * depend on this being bit-for-bit the engine's value.
 */
export function getHashedPercentageForObjectIds(objectIds: readonly HashableId[], iterations = 1): number {
  const parts: string[] = [];
  for (let i = 0; i < iterations; i++) for (const id of objectIds) parts.push(pythonStr(id));
  const value = percentageOfMd5Hex(SparkMD5.hash(parts.join(',')));
  return value === 100 ? getHashedPercentageForObjectIds(objectIds, iterations + 1) : value;
}

/** The percentage of one MD5 digest (hex), before the "never 100" rule. */
export function percentageOfMd5Hex(hex: string): number {
  const remainder = Number(BigInt(`0x${hex}`) % 9999n);
  // Same operation order as the engine, so the float result is identical.
  return (remainder / 9998) * 100;
}
