import type { TypedValueColumns } from '../flags/feature-state-value.rules.js';
import { canonicalizeVersionContent, orderedSegmentIds, sha256Hex, type FlagStateContent, type VersionContent } from '../versioning/version-content.js';
import { mergeVersionContent, type MergeConflict, type MergeSide } from '../versioning/three-way-merge.js';
import { diffVersionContent } from '../versioning/version-diff.js';

/*
 * Rules of change requests (issue 5): what an approval binds to, the Flagsmith-shaped change set of a
 * content against its base, and the conflict rule of a scheduled change (D8).
 */

/** One feature's part of what an approval binds to: the content to publish and the version it lands on. */
export interface ApprovalBindingItem {
  featureId: number;
  /** The live version the change would be published on (its base, or the live version it merges with). */
  landsOnVersionUuid: string | null;
  /** `hashVersionContent` of the content to publish. */
  contentHash: string;
  liveFrom: string | null;
}

const BINDING_FORMAT = 'flagdesk.change-request-binding.v1';

/**
 * The hash an approval binds to: every feature's content to publish with the version it lands on, in
 * feature order. Any edit of a change set, a new `live_from`, or a base move (another version went live
 * under the change) changes it, which makes earlier approvals stale.
 */
export function changeRequestBindingHash(items: readonly ApprovalBindingItem[]): string {
  const sorted = [...items].sort((a, b) => a.featureId - b.featureId);
  const text = sorted.map((i) => [i.featureId, i.landsOnVersionUuid ?? '-', i.contentHash, i.liveFrom ?? '-'].join('|')).join('\n');
  return `sha256:${sha256Hex(`${BINDING_FORMAT}\n${text}`)}`;
}

/** A state in a change set, in the shape of Flagsmith's `feature_states_to_create` / `_to_update` items. */
export interface ChangeSetState {
  feature_segment: { segment: number; priority: number } | null;
  enabled: boolean;
  feature_state_value: TypedValueColumns;
  multivariate_feature_state_values: { multivariate_feature_option: number; percentage_allocation: number }[];
}

/** Flagsmith's change-set lists: what turns `base` into `target`. */
export interface ChangeSetLists {
  feature_states_to_create: ChangeSetState[];
  feature_states_to_update: ChangeSetState[];
  segment_ids_to_delete_overrides: number[];
}

function stateOf(state: FlagStateContent, featureSegment: ChangeSetState['feature_segment']): ChangeSetState {
  return {
    feature_segment: featureSegment,
    enabled: state.enabled,
    feature_state_value: { ...state.value },
    multivariate_feature_state_values: Object.entries(state.multivariateWeights).map(([id, pct]) => ({ multivariate_feature_option: Number(id), percentage_allocation: pct })),
  };
}

/**
 * The change set of `target` against `base`: overrides `target` adds, places whose state or priority
 * changed (whole state, so applying it to `base` gives `target`), and overrides it drops.
 */
export function changeSetOf(base: VersionContent, target: VersionContent): ChangeSetLists {
  const b = canonicalizeVersionContent(base);
  const t = canonicalizeVersionContent(target);
  const changed = new Set(diffVersionContent(b, t).map((c) => c.segmentId));
  const lists: ChangeSetLists = { feature_states_to_create: [], feature_states_to_update: [], segment_ids_to_delete_overrides: [] };
  if (changed.has(null)) lists.feature_states_to_update.push(stateOf(t.environmentDefault, null));
  for (const id of orderedSegmentIds(t)) {
    if (!changed.has(id)) continue;
    const o = t.segmentOverrides[id];
    if (!o) continue;
    const item = stateOf(o, { segment: Number(id), priority: o.priority });
    (b.segmentOverrides[id] ? lists.feature_states_to_update : lists.feature_states_to_create).push(item);
  }
  for (const id of orderedSegmentIds(b)) if (!t.segmentOverrides[id]) lists.segment_ids_to_delete_overrides.push(Number(id));
  return lists;
}

/**
 * The conflict rule of a scheduled (or pending) change: the fields where `mine` (made from `base`) and a
 * newer `live` change both changed the same field to different values. Empty exactly when the change
 * merges; disjoint newer changes are kept by the merge.
 */
export function conflictsWithLive(base: VersionContent, live: VersionContent, mine: VersionContent): MergeConflict[] {
  const result = mergeVersionContent(base, live, mine);
  return result.kind === 'conflict' ? result.conflicts : [];
}

/** The paths a rebase still needs a choice for: conflicting paths without an entry in `choices`. */
export function missingChoices(conflicts: readonly MergeConflict[], choices: Readonly<Record<string, MergeSide>>): string[] {
  return conflicts.map((c) => c.path).filter((path) => choices[path] === undefined);
}
