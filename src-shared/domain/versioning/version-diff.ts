import type { TypedValueColumns } from '../flags/feature-state-value.rules.js';
import {
  canonicalizeVersionContent,
  compareIds,
  flagValueOf,
  isSameTypedValue,
  orderedSegmentIds,
  type FlagStateContent,
  type SegmentOverrideContent,
  type VersionContent,
} from './version-content.js';

/**
 * One change between two version contents. `segmentId` null means the environment default. Priorities
 * are canonical ranks (0 = evaluated first). Overrides that only shift because another override was added
 * or removed are not reported as moved: `override-priority` lists only overrides whose order relative to
 * the other kept overrides changed (the fewest such moves).
 */
export type VersionChange =
  | { kind: 'enabled'; segmentId: string | null; from: boolean; to: boolean }
  | { kind: 'value'; segmentId: string | null; from: TypedValueColumns; to: TypedValueColumns }
  /** `null` means the option has no multivariate value at that place. */
  | { kind: 'weight'; segmentId: string | null; optionId: string; from: number | null; to: number | null }
  | { kind: 'override-added'; segmentId: string; override: SegmentOverrideContent }
  | { kind: 'override-removed'; segmentId: string; override: SegmentOverrideContent }
  | { kind: 'override-priority'; segmentId: string; from: number; to: number };

/** Optional display names for sentences; ids are shown where a name is missing. */
export interface VersionNames {
  /** Segment name by segment id. */
  segments?: Readonly<Record<string, string>>;
  /** Multivariate option name (usually its value) by option id. */
  multivariateOptions?: Readonly<Record<string, string>>;
}

function diffFlagState(segmentId: string | null, a: FlagStateContent, b: FlagStateContent): VersionChange[] {
  const changes: VersionChange[] = [];
  if (a.enabled !== b.enabled) changes.push({ kind: 'enabled', segmentId, from: a.enabled, to: b.enabled });
  if (!isSameTypedValue(a.value, b.value)) changes.push({ kind: 'value', segmentId, from: a.value, to: b.value });
  const optionIds = [...new Set([...Object.keys(a.multivariateWeights), ...Object.keys(b.multivariateWeights)])].sort(compareIds);
  for (const optionId of optionIds) {
    const from = a.multivariateWeights[optionId] ?? null;
    const to = b.multivariateWeights[optionId] ?? null;
    if (from !== to) changes.push({ kind: 'weight', segmentId, optionId, from, to });
  }
  return changes;
}

/** A longest common subsequence of two id lists (deterministic: prefers earlier items of `a`). */
function longestCommonSubsequence(a: readonly string[], b: readonly string[]): Set<string> {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const len = new Array<number>(rows * cols).fill(0);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      len[i * cols + j] = a[i] === b[j] ? (len[(i + 1) * cols + j + 1] as number) + 1 : Math.max(len[(i + 1) * cols + j] as number, len[i * cols + j + 1] as number);
    }
  }
  const kept = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      kept.add(a[i] as string);
      i++;
      j++;
    } else if ((len[(i + 1) * cols + j] as number) >= (len[i * cols + j + 1] as number)) i++;
    else j++;
  }
  return kept;
}

/**
 * The overrides whose relative order changed between two orders, restricted to ids present in both:
 * everything outside one longest common subsequence. Shared with the Yjs draft, which moves only these.
 */
export function movedSegmentIds(before: readonly string[], after: readonly string[]): Set<string> {
  const inAfter = new Set(after);
  const inBefore = new Set(before);
  const common = before.filter((id) => inAfter.has(id));
  const commonAfter = after.filter((id) => inBefore.has(id));
  const stable = longestCommonSubsequence(common, commonAfter);
  return new Set(common.filter((id) => !stable.has(id)));
}

/**
 * The changes that turn `a` into `b`, in a stable order: environment default (enabled, value, weights by
 * option id), removed overrides, then added and changed overrides in `b`'s priority order. Empty exactly
 * when `a` and `b` have the same canonical content.
 */
export function diffVersionContent(a: VersionContent, b: VersionContent): VersionChange[] {
  const ca = canonicalizeVersionContent(a);
  const cb = canonicalizeVersionContent(b);
  const changes = diffFlagState(null, ca.environmentDefault, cb.environmentDefault);
  const orderA = orderedSegmentIds(ca);
  const orderB = orderedSegmentIds(cb);
  for (const id of orderA) {
    if (!cb.segmentOverrides[id]) changes.push({ kind: 'override-removed', segmentId: id, override: ca.segmentOverrides[id] as SegmentOverrideContent });
  }
  const moved = movedSegmentIds(orderA, orderB);
  for (const id of orderB) {
    const after = cb.segmentOverrides[id] as SegmentOverrideContent;
    const before = ca.segmentOverrides[id];
    if (!before) {
      changes.push({ kind: 'override-added', segmentId: id, override: after });
      continue;
    }
    changes.push(...diffFlagState(id, before, after));
    if (moved.has(id)) changes.push({ kind: 'override-priority', segmentId: id, from: before.priority, to: after.priority });
  }
  return changes;
}

function cloneOverride(o: SegmentOverrideContent): SegmentOverrideContent {
  return { priority: o.priority, enabled: o.enabled, value: { ...o.value }, multivariateWeights: { ...o.multivariateWeights } };
}

/**
 * Applies changes to a content and returns the canonical result (the input is not mutated).
 * `applyDiff(a, diffVersionContent(a, b))` equals `b` in canonical form. The `from` side of a change is
 * not checked; a change to an override that does not exist is ignored. Added and moved overrides take
 * the priority the change names; the other overrides keep their relative order around them.
 */
export function applyDiff(a: VersionContent, changes: readonly VersionChange[]): VersionContent {
  const base = canonicalizeVersionContent(a);
  const next: VersionContent = {
    environmentDefault: { ...base.environmentDefault, value: { ...base.environmentDefault.value }, multivariateWeights: { ...base.environmentDefault.multivariateWeights } },
    segmentOverrides: Object.fromEntries(Object.entries(base.segmentOverrides).map(([id, o]) => [id, cloneOverride(o)])),
  };
  const pinnedRank = new Map<string, number>();
  const target = (segmentId: string | null): FlagStateContent | undefined => (segmentId === null ? next.environmentDefault : next.segmentOverrides[segmentId]);
  for (const change of changes) {
    switch (change.kind) {
      case 'enabled': {
        const t = target(change.segmentId);
        if (t) t.enabled = change.to;
        break;
      }
      case 'value': {
        const t = target(change.segmentId);
        if (t) t.value = { ...change.to };
        break;
      }
      case 'weight': {
        const t = target(change.segmentId);
        if (!t) break;
        if (change.to === null) delete t.multivariateWeights[change.optionId];
        else t.multivariateWeights[change.optionId] = change.to;
        break;
      }
      case 'override-added':
        next.segmentOverrides[change.segmentId] = cloneOverride(change.override);
        pinnedRank.set(change.segmentId, change.override.priority);
        break;
      case 'override-removed':
        delete next.segmentOverrides[change.segmentId];
        pinnedRank.delete(change.segmentId);
        break;
      case 'override-priority':
        if (next.segmentOverrides[change.segmentId]) pinnedRank.set(change.segmentId, change.to);
        break;
    }
  }
  // Pinned overrides take their named slots; the rest fill the free slots in their previous order.
  const ids = Object.keys(next.segmentOverrides);
  const slots = new Array<string | undefined>(ids.length).fill(undefined);
  const pinned = [...pinnedRank].filter(([id]) => next.segmentOverrides[id]).sort(([idA, rA], [idB, rB]) => rA - rB || compareIds(idA, idB));
  for (const [id, rank] of pinned) {
    let slot = Math.min(Math.max(Math.trunc(rank), 0), slots.length - 1);
    while (slots[slot] !== undefined) slot = (slot + 1) % slots.length;
    slots[slot] = id;
  }
  const rest = orderedSegmentIds(base).filter((id) => next.segmentOverrides[id] && !pinnedRank.has(id));
  let r = 0;
  for (let slot = 0; slot < slots.length; slot++) {
    if (slots[slot] === undefined) slots[slot] = rest[r++];
  }
  slots.forEach((id, rank) => {
    (next.segmentOverrides[id as string] as SegmentOverrideContent).priority = rank;
  });
  return canonicalizeVersionContent(next);
}

function formatValue(value: TypedValueColumns): string {
  const v = flagValueOf(value);
  if (v === null) return 'no value';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function segmentLabel(segmentId: string, names: VersionNames | undefined): string {
  const name = names?.segments?.[segmentId];
  return name === undefined ? `segment ${segmentId}` : `segment '${name}'`;
}

function placeLabel(segmentId: string | null, names: VersionNames | undefined): string {
  return segmentId === null ? 'the environment default' : `the override for ${segmentLabel(segmentId, names)}`;
}

function optionLabel(optionId: string, names: VersionNames | undefined): string {
  const name = names?.multivariateOptions?.[optionId];
  return name === undefined ? `option ${optionId}` : `option '${name}'`;
}

/**
 * A readable English sentence for one change, for history, change-request diffs and audit text, e.g.
 * "Enabled the environment default" or "Changed the value for segment 'beta' from 3 to 4".
 */
export function describeChange(change: VersionChange, names?: VersionNames): string {
  switch (change.kind) {
    case 'enabled':
      return `${change.to ? 'Enabled' : 'Disabled'} ${placeLabel(change.segmentId, names)}`;
    case 'value': {
      const where = change.segmentId === null ? 'of the environment default' : `for ${segmentLabel(change.segmentId, names)}`;
      return `Changed the value ${where} from ${formatValue(change.from)} to ${formatValue(change.to)}`;
    }
    case 'weight': {
      const what = `the weight of ${optionLabel(change.optionId, names)}`;
      const where = change.segmentId === null ? 'in the environment default' : `for ${segmentLabel(change.segmentId, names)}`;
      if (change.from === null) return `Set ${what} ${where} to ${change.to}%`;
      if (change.to === null) return `Removed ${what} ${where} (was ${change.from}%)`;
      return `Changed ${what} ${where} from ${change.from}% to ${change.to}%`;
    }
    case 'override-added':
      return `Added an override for ${segmentLabel(change.segmentId, names)} at priority ${change.override.priority} (${change.override.enabled ? 'enabled' : 'disabled'}, value ${formatValue(change.override.value)})`;
    case 'override-removed':
      return `Removed the override for ${segmentLabel(change.segmentId, names)}`;
    case 'override-priority':
      return `Moved the override for ${segmentLabel(change.segmentId, names)} from priority ${change.from} to ${change.to}`;
  }
}
