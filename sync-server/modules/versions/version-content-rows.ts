import { inferFeatureStateValue, type TypedValueColumns } from '../../../src-shared/domain/flags/feature-state-value.rules.js';
import {
  canonicalizeVersionContent,
  canonicalVersionContentJson,
  hashVersionContent,
  orderedSegmentIds,
  type FlagStateContent,
  type SegmentOverrideContent,
  type VersionContent,
} from '../../../src-shared/domain/versioning/version-content.js';
import { isOverHundred } from '../../../src-shared/domain/versioning/version-change-wire.js';
import type { MergeConflict } from '../../../src-shared/domain/versioning/three-way-merge.js';
import type { VersionConflictWire } from '../../../src-shared/contracts/http/versions.contract.js';
import type { FeatureRef, StateContentRow } from './versions.store.js';

/*
 * Conversions between a version's canonical content (src-shared/domain/versioning) and its stored forms:
 * the JSON column, the materialised feature-state rows, and the wire shape of merge conflicts.
 */

export function parseContent(json: string): VersionContent {
  return canonicalizeVersionContent(JSON.parse(json) as VersionContent);
}

/** The JSON and hash columns of a content. */
export function contentColumns(content: VersionContent): { contentJson: string; contentHash: string } {
  return { contentJson: canonicalVersionContentJson(content), contentHash: hashVersionContent(content) };
}

function weightsMap(weights: Record<string, number>): Map<number, number> {
  return new Map(Object.entries(weights).map(([id, pct]) => [Number(id), pct]));
}

/** The rows a content materialises into: the environment default, then overrides in priority order. */
export function statesOfContent(content: VersionContent): StateContentRow[] {
  const c = canonicalizeVersionContent(content);
  const d = c.environmentDefault;
  const rows: StateContentRow[] = [{ segmentId: null, priority: 0, enabled: d.enabled, value: d.value, weights: weightsMap(d.multivariateWeights) }];
  for (const id of orderedSegmentIds(c)) {
    const o = c.segmentOverrides[id] as SegmentOverrideContent;
    rows.push({ segmentId: Number(id), priority: o.priority, enabled: o.enabled, value: o.value, weights: weightsMap(o.multivariateWeights) });
  }
  return rows;
}

/** A flag state from a row's columns. */
export function flagStateOf(enabled: boolean, value: TypedValueColumns, weights: { optionId: number; percentageAllocation: number }[]): FlagStateContent {
  return { enabled, value: { ...value }, multivariateWeights: Object.fromEntries(weights.map((w) => [String(w.optionId), w.percentageAllocation])) };
}

/** The content of a feature with no state yet: its default enabled and initial value, no overrides. */
export function defaultContentOf(feature: FeatureRef): VersionContent {
  return { environmentDefault: { enabled: feature.defaultEnabled, value: inferFeatureStateValue(feature.initialValue), multivariateWeights: {} }, segmentOverrides: {} };
}

/** The places (`null` = environment default, else segment id) whose weights total more than 100. */
export function placesOverHundred(content: VersionContent): (string | null)[] {
  const over = isOverHundred;
  const out: (string | null)[] = [];
  if (over(content.environmentDefault.multivariateWeights)) out.push(null);
  for (const [id, o] of Object.entries(content.segmentOverrides)) if (over(o.multivariateWeights)) out.push(id);
  return out;
}

export function conflictToWire(c: MergeConflict): VersionConflictWire {
  return {
    path: c.path,
    field: c.field,
    segment_id: c.segmentId === null ? null : Number(c.segmentId),
    option_id: c.field === 'weight' ? Number(c.optionId) : null,
    base: c.base,
    live: c.live,
    mine: c.mine,
  };
}
