import type { VersionChangeWire } from '../../contracts/http/versions.contract.js';
import type { VersionChange } from './version-diff.js';

/**
 * One change of a version diff in its wire shape (ids as numbers, `from`/`to` filled for every kind), with
 * its readable sentence. The server's diff endpoints (versions, change requests, release-pipeline
 * promotions) and the dashboard's replica diffs use this one mapping (issue 10 §1).
 */
export function changeToWire(c: VersionChange, sentence: string): VersionChangeWire {
  const segment_id = c.segmentId === null ? null : Number(c.segmentId);
  switch (c.kind) {
    case 'weight':
      return { kind: c.kind, segment_id, option_id: Number(c.optionId), from: c.from, to: c.to, sentence };
    case 'override-added':
      return { kind: c.kind, segment_id, option_id: null, from: null, to: c.override, sentence };
    case 'override-removed':
      return { kind: c.kind, segment_id, option_id: null, from: c.override, to: null, sentence };
    default:
      return { kind: c.kind, segment_id, option_id: null, from: c.from, to: c.to, sentence };
  }
}

/** Multivariate shares in their wire shape as weights by option id (decimal string). */
export function weightsOfShares(shares: readonly { multivariate_feature_option: number; percentage_allocation: number }[]): Record<string, number> {
  return Object.fromEntries(shares.map((m) => [String(m.multivariate_feature_option), m.percentage_allocation]));
}

/** Whether weights add up to more than 100 % (with a little room for float sums such as 33.3 × 3). */
export function isOverHundred(weights: Record<string, number>): boolean {
  return Object.values(weights).reduce((a, b) => a + b, 0) > 100 + 1e-9;
}
