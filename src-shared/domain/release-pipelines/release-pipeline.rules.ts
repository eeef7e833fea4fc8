import { mergeVersionContent, type MergeConflict } from '../versioning/three-way-merge.js';
import type { TypedValueColumns } from '../flags/feature-state-value.rules.js';
import { canonicalizeVersionContent, orderedSegmentIds, type FlagStateContent, type VersionContent } from '../versioning/version-content.js';

/*
 * Pure rules of release pipelines (issue 5 item 5): wait durations, the promotion merge, and the edit
 * that turns a target's live content into the content to publish.
 */

const DURATION = /^(?:(\d{1,5}) )?(\d{1,2}):([0-5]\d):([0-5]\d)$/;

/**
 * Seconds of a Django duration as Flagsmith sends `wait_for` (`HH:MM:SS` or `D HH:MM:SS`); undefined when
 * the text is not one, or is zero.
 */
export function parseWaitFor(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return seconds > 0 ? seconds : undefined;
}

/** The Django duration text of a number of seconds (`D HH:MM:SS` when a day or more), as Flagsmith shows it. */
export function formatWaitFor(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const two = (n: number) => String(n).padStart(2, '0');
  const clock = `${two(Math.floor(rest / 3600))}:${two(Math.floor((rest % 3600) / 60))}:${two(rest % 60)}`;
  return days > 0 ? `${days} ${clock}` : clock;
}

/** The instant a wait trigger is due: `seconds` after `enteredAt` (ISO-8601 UTC in, ISO-8601 UTC out). */
export function triggerDueAt(enteredAt: string, seconds: number): string {
  return new Date(Date.parse(enteredAt) + seconds * 1000).toISOString();
}

export type PromotionMerge = { kind: 'clean'; content: VersionContent } | { kind: 'conflict'; conflicts: MergeConflict[] };

function weightsOver100(state: FlagStateContent): boolean {
  return Object.values(state.multivariateWeights).reduce((a, b) => a + b, 0) > 100 + 1e-9;
}

/**
 * The promotion merge (D8): `base` is the version the target last received from the pipeline (or its live
 * version when the feature entered), `live` the target's live version, `source` the promoted version. The
 * target's changes since base (base → live) and the pipeline's (base → source) merge per field; the same
 * field changed on both sides to different values is a conflict. Disjoint multivariate edits that total
 * over 100% at one place are a conflict too (that combination was never validated).
 */
export function mergePromotion(base: VersionContent, live: VersionContent, source: VersionContent): PromotionMerge {
  const result = mergeVersionContent(base, live, source);
  if (result.kind === 'conflict') return { kind: 'conflict', conflicts: result.conflicts };
  const merged = result.merged;
  const places: (string | null)[] = [];
  if (weightsOver100(merged.environmentDefault)) places.push(null);
  for (const [id, o] of Object.entries(merged.segmentOverrides)) if (weightsOver100(o)) places.push(id);
  if (places.length === 0) return { kind: 'clean', content: merged };
  const at = (c: VersionContent, place: string | null) => {
    const s = place === null ? c.environmentDefault : c.segmentOverrides[place];
    return s ? { priority: 0, ...s } : null;
  };
  return {
    kind: 'conflict',
    conflicts: places.map((place) => ({
      path: place === null ? 'environmentDefault.multivariateWeights' : `segmentOverrides.${place}.multivariateWeights`,
      field: 'override' as const,
      segmentId: place,
      base: at(base, place),
      live: at(live, place),
      mine: at(source, place),
    })),
  };
}

/** A flag state as the versions API takes it (`feature_states_to_update` / `_create` entries without the segment). */
export interface StateEdit {
  enabled: boolean;
  feature_state_value: TypedValueColumns;
  multivariate_feature_state_values: { multivariate_feature_option: number; percentage_allocation: number }[];
}

/** The versions-API edit that turns `live` into `target`: every place is written in full, priorities as target ranks. */
export interface ContentEdit {
  feature_states_to_update: (StateEdit & { feature_segment: null | { segment: number; priority: number } })[];
  feature_states_to_create: (StateEdit & { feature_segment: { segment: number; priority: number } })[];
  segment_ids_to_delete_overrides: number[];
}

function stateEdit(s: FlagStateContent): StateEdit {
  return {
    enabled: s.enabled,
    feature_state_value: { ...s.value },
    multivariate_feature_state_values: Object.entries(s.multivariateWeights).map(([id, pct]) => ({ multivariate_feature_option: Number(id), percentage_allocation: pct })),
  };
}

/**
 * The edit of a new version made from `live` whose content is `target`: the environment default and every
 * override of `target` written in full (so the result does not depend on what `live` held), the overrides
 * only `live` has deleted. Overrides are listed in `target`'s evaluation order with their canonical rank.
 */
export function editToContent(live: VersionContent, target: VersionContent): ContentEdit {
  const t = canonicalizeVersionContent(target);
  const edit: ContentEdit = { feature_states_to_update: [{ ...stateEdit(t.environmentDefault), feature_segment: null }], feature_states_to_create: [], segment_ids_to_delete_overrides: [] };
  for (const id of orderedSegmentIds(t)) {
    const o = t.segmentOverrides[id];
    if (!o) continue;
    const entry = { ...stateEdit(o), feature_segment: { segment: Number(id), priority: o.priority } };
    if (live.segmentOverrides[id]) edit.feature_states_to_update.push(entry);
    else edit.feature_states_to_create.push(entry);
  }
  for (const id of Object.keys(live.segmentOverrides)) if (!t.segmentOverrides[id]) edit.segment_ids_to_delete_overrides.push(Number(id));
  return edit;
}
