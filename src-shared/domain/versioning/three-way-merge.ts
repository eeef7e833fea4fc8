import type { TypedValueColumns } from '../flags/feature-state-value.rules.js';
import {
  canonicalizeVersionContent,
  compareIds,
  isSameTypedValue,
  orderedSegmentIds,
  type FlagStateContent,
  type SegmentOverrideContent,
  type VersionContent,
} from './version-content.js';

/*
 * The three-way merge of D8: a draft (or scheduled version) made from `base` is merged with the version
 * that is `live` now, field by field. A field changed on one side only takes that change; changed on both
 * sides to the same value is no conflict; changed on both sides to different values is a conflict.
 *
 * Fields and their conflict paths:
 * - `environmentDefault.enabled`, `environmentDefault.value`, `environmentDefault.multivariateWeights.<optionId>`
 * - `segmentOverrides.<segmentId>`: the existence of an override. Removed on one side while its enabled,
 *   value or weights were edited on the other side is a conflict; removed on one side and untouched (or
 *   only reordered) on the other removes it.
 * - `segmentOverrides.<segmentId>.enabled`, `.value`, `.multivariateWeights.<optionId>` for an override
 *   present on both sides (an override added on both sides merges field by field against "absent").
 * - `segmentOverrideOrder` (`OVERRIDE_ORDER_PATH`): the order of the overrides (their priority), merged
 *   pair by pair: each side's change of the relative order of two overrides is kept, so an override
 *   added on one side (which shifts the others' ranks) never conflicts with a reorder on the other. It
 *   conflicts when both sides have a pair that `base` lacks and order it differently, or when the kept
 *   pair orders contradict each other (a cycle). Overrides only one side has are placed by its order.
 */

/** The conflict path of the override order (see the list of paths above). */
export const OVERRIDE_ORDER_PATH = 'segmentOverrideOrder';

/** Which side a conflict is resolved to: the draft's (`mine`) or the live version's. */
export type MergeSide = 'mine' | 'live';

interface ConflictAt<F extends string, V> {
  /** The merge path, e.g. `segmentOverrides.7.value` (the list is at the top of this file). */
  path: string;
  field: F;
  /** The override's segment id, or null for the environment default and the override order. */
  segmentId: string | null;
  /** The value in the base version, the live version and the draft; null where the side has none. */
  base: V | null;
  live: V | null;
  mine: V | null;
}

/** One field changed on both sides to different values. */
export type MergeConflict =
  | ConflictAt<'enabled', boolean>
  | ConflictAt<'value', TypedValueColumns>
  | (ConflictAt<'weight', number> & { optionId: string })
  /** A whole override (canonical, with its priority on that side); null where the side removed it. */
  | ConflictAt<'override', SegmentOverrideContent>
  /** Segment ids in priority order on each side. */
  | ConflictAt<'order', string[]>;

/**
 * The outcome of a merge. On conflict, `mergedWithoutConflicts` holds every non-conflicting change with the
 * live value at each conflicting path (what publishing would keep if the draft gave way everywhere), and
 * `inputs` keeps the three contents so that `resolveMergeConflicts` can redo the merge with choices.
 */
export type MergeResult =
  | { kind: 'clean'; merged: VersionContent }
  | { kind: 'conflict'; conflicts: MergeConflict[]; mergedWithoutConflicts: VersionContent; inputs: { base: VersionContent; live: VersionContent; draft: VersionContent } };

type Choose = (conflict: MergeConflict) => MergeSide;

function isSameWeights(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

function isSameFlagState(a: FlagStateContent, b: FlagStateContent): boolean {
  return a.enabled === b.enabled && isSameTypedValue(a.value, b.value) && isSameWeights(a.multivariateWeights, b.multivariateWeights);
}

/** The three-way rule for one field; `undefined` is "absent on that side". */
function mergeField<T>(base: T | undefined, live: T | undefined, mine: T | undefined, isSame: (a: T, b: T) => boolean, onConflict: () => MergeSide): T | undefined {
  const same = (a: T | undefined, b: T | undefined) => (a === undefined || b === undefined ? a === b : isSame(a, b));
  if (same(live, mine)) return live;
  if (same(base, live)) return mine;
  if (same(base, mine)) return live;
  return onConflict() === 'mine' ? mine : live;
}

function mergeFlagState(prefix: string, segmentId: string | null, base: FlagStateContent | undefined, live: FlagStateContent, mine: FlagStateContent, choose: Choose): FlagStateContent {
  const enabled = mergeField(base?.enabled, live.enabled, mine.enabled, (a, b) => a === b, () =>
    choose({ path: `${prefix}.enabled`, field: 'enabled', segmentId, base: base?.enabled ?? null, live: live.enabled, mine: mine.enabled }),
  ) as boolean;
  const value = mergeField(base?.value, live.value, mine.value, isSameTypedValue, () =>
    choose({ path: `${prefix}.value`, field: 'value', segmentId, base: base?.value ?? null, live: live.value, mine: mine.value }),
  ) as TypedValueColumns;
  const multivariateWeights: Record<string, number> = {};
  const optionIds = new Set([...Object.keys(base?.multivariateWeights ?? {}), ...Object.keys(live.multivariateWeights), ...Object.keys(mine.multivariateWeights)]);
  for (const optionId of [...optionIds].sort(compareIds)) {
    const b = base?.multivariateWeights[optionId];
    const l = live.multivariateWeights[optionId];
    const m = mine.multivariateWeights[optionId];
    const weight = mergeField(b, l, m, (x, y) => x === y, () =>
      choose({ path: `${prefix}.multivariateWeights.${optionId}`, field: 'weight', segmentId, optionId, base: b ?? null, live: l ?? null, mine: m ?? null }),
    );
    if (weight !== undefined) multivariateWeights[optionId] = weight;
  }
  return { enabled, value: { ...value }, multivariateWeights };
}

function ranksOf(content: VersionContent): Map<string, number> {
  return new Map(orderedSegmentIds(content).map((id, rank) => [id, rank]));
}

/**
 * Topological order of `ids` under "a before b" edges, choosing the smallest `key` among the ready ids.
 * Weak edges give way when only they block progress; returns undefined if strong edges form a cycle.
 */
function orderByEdges(ids: string[], edges: Array<{ from: string; to: string; isStrong: boolean }>, key: (a: string, b: string) => number): string[] | undefined {
  const incoming = new Map(ids.map((id) => [id, { all: 0, strong: 0 }]));
  const outgoing = new Map(ids.map((id) => [id, [] as Array<{ to: string; isStrong: boolean }>]));
  for (const e of edges) {
    const count = incoming.get(e.to) as { all: number; strong: number };
    count.all++;
    if (e.isStrong) count.strong++;
    outgoing.get(e.from)?.push(e);
  }
  const remaining = new Set(ids);
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter((id) => incoming.get(id)?.all === 0);
    const candidates = ready.length > 0 ? ready : [...remaining].filter((id) => incoming.get(id)?.strong === 0);
    if (candidates.length === 0) return undefined;
    const next = candidates.sort(key)[0] as string;
    order.push(next);
    remaining.delete(next);
    for (const e of outgoing.get(next) ?? []) {
      const count = incoming.get(e.to) as { all: number; strong: number };
      count.all--;
      if (e.isStrong) count.strong--;
    }
  }
  return order;
}

function mergeOrder(ids: string[], base: VersionContent, live: VersionContent, mine: VersionContent, choose: Choose): string[] {
  const rb = ranksOf(base);
  const rl = ranksOf(live);
  const rm = ranksOf(mine);
  const before = (ranks: Map<string, number>, x: string, y: string): boolean | undefined => {
    const a = ranks.get(x);
    const b = ranks.get(y);
    return a === undefined || b === undefined ? undefined : a < b;
  };
  // Ready ids are taken by their best rank on either side, then by id: symmetric in live and mine.
  const bestRank = (id: string) => Math.min(rl.get(id) ?? Infinity, rm.get(id) ?? Infinity);
  const key = (a: string, b: string) => bestRank(a) - bestRank(b) || compareIds(a, b);
  const edge = (x: string, y: string, isXFirst: boolean, isStrong: boolean) => (isXFirst ? { from: x, to: y, isStrong } : { from: y, to: x, isStrong });

  const merged: Array<{ from: string; to: string; isStrong: boolean }> = [];
  let hasPairConflict = false;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const x = ids[i] as string;
      const y = ids[j] as string;
      const b = before(rb, x, y);
      const l = before(rl, x, y);
      const m = before(rm, x, y);
      let isXFirst: boolean | undefined;
      if (l !== undefined && m !== undefined) {
        if (l === m) isXFirst = l;
        else if (b !== undefined) isXFirst = l !== b ? l : m;
        else hasPairConflict = true;
      } else isXFirst = l ?? m;
      if (isXFirst !== undefined) merged.push(edge(x, y, isXFirst, true));
    }
  }
  if (!hasPairConflict) {
    const order = orderByEdges(ids, merged, key);
    if (order) return order;
  }
  const side = choose({ path: OVERRIDE_ORDER_PATH, field: 'order', segmentId: null, base: orderedSegmentIds(base), live: orderedSegmentIds(live), mine: orderedSegmentIds(mine) });
  // The chosen side's order of the overrides it has is kept (strong edges, acyclic as one total order);
  // the other side only places what the chosen side does not have.
  const [preferred, other] = side === 'mine' ? [rm, rl] : [rl, rm];
  const resolved: Array<{ from: string; to: string; isStrong: boolean }> = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const x = ids[i] as string;
      const y = ids[j] as string;
      const p = before(preferred, x, y);
      const o = before(other, x, y);
      if (p !== undefined) resolved.push(edge(x, y, p, true));
      else if (o !== undefined) resolved.push(edge(x, y, o, false));
    }
  }
  return orderByEdges(ids, resolved, key) as string[];
}

function mergeWith(base: VersionContent, live: VersionContent, mine: VersionContent, choose: Choose): VersionContent {
  const b = canonicalizeVersionContent(base);
  const l = canonicalizeVersionContent(live);
  const m = canonicalizeVersionContent(mine);
  const environmentDefault = mergeFlagState('environmentDefault', null, b.environmentDefault, l.environmentDefault, m.environmentDefault, choose);
  const kept: Record<string, FlagStateContent> = {};
  const segmentIds = new Set([...Object.keys(b.segmentOverrides), ...Object.keys(l.segmentOverrides), ...Object.keys(m.segmentOverrides)]);
  for (const id of [...segmentIds].sort(compareIds)) {
    const bo = b.segmentOverrides[id];
    const lo = l.segmentOverrides[id];
    const mo = m.segmentOverrides[id];
    const prefix = `segmentOverrides.${id}`;
    if (lo && mo) {
      kept[id] = mergeFlagState(prefix, id, bo, lo, mo, choose);
    } else if (lo || mo) {
      const present = (lo ?? mo) as SegmentOverrideContent;
      // Present on one side only: added there, or removed on the other side. A removal wins unless the
      // other side edited the override since base, which is a conflict.
      if (!bo) kept[id] = present;
      else if (!isSameFlagState(bo, present)) {
        const side = choose({ path: prefix, field: 'override', segmentId: id, base: bo, live: lo ?? null, mine: mo ?? null });
        const chosen = side === 'mine' ? mo : lo;
        if (chosen) kept[id] = chosen;
      }
    }
  }
  const order = mergeOrder(Object.keys(kept).sort(compareIds), b, l, m, choose);
  const segmentOverrides: Record<string, SegmentOverrideContent> = {};
  order.forEach((id, priority) => {
    const o = kept[id] as FlagStateContent;
    segmentOverrides[id] = { priority, enabled: o.enabled, value: { ...o.value }, multivariateWeights: { ...o.multivariateWeights } };
  });
  return canonicalizeVersionContent({ environmentDefault, segmentOverrides });
}

/**
 * Merges `base → live` and `base → draft` (D8). Pure and deterministic; a clean merge is the same with
 * `live` and `draft` swapped. The merged content is canonical. It does not
 * check cross-field rules such as weights summing to at most 100; callers validate the result.
 */
export function mergeVersionContent(base: VersionContent, live: VersionContent, draft: VersionContent): MergeResult {
  const conflicts: MergeConflict[] = [];
  const merged = mergeWith(base, live, draft, (conflict) => {
    conflicts.push(conflict);
    return 'live';
  });
  if (conflicts.length === 0) return { kind: 'clean', merged };
  return { kind: 'conflict', conflicts, mergedWithoutConflicts: merged, inputs: { base, live, draft } };
}

/**
 * Produces the rebased content from a merge result: `choices` names a side for every conflict path of the
 * result (a missing choice throws, since it is a caller bug). Choosing `mine` for `segmentOverrideOrder`
 * keeps the draft's order of the overrides it has. Should a choice to keep an override create an order
 * clash the result did not list, the live order is kept for it. A clean result is returned as is.
 */
export function resolveMergeConflicts(result: MergeResult, choices: Readonly<Record<string, MergeSide>>): VersionContent {
  if (result.kind === 'clean') return result.merged;
  const listed = new Set(result.conflicts.map((c) => c.path));
  const missing = [...listed].filter((path) => choices[path] === undefined);
  if (missing.length > 0) throw new Error(`No choice for merge conflict(s): ${missing.join(', ')}`);
  const { base, live, draft } = result.inputs;
  return mergeWith(base, live, draft, (conflict) => choices[conflict.path] ?? 'live');
}
