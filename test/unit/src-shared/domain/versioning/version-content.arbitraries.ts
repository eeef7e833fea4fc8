// Builders and fast-check arbitraries for the versioning tests: small id pools so that random contents
// and edits collide often (same segment, same option), which is where merges get interesting.
import fc from 'fast-check';
import type { TypedValueColumns } from '../../../../../src-shared/domain/flags/feature-state-value.rules.js';
import { canonicalizeVersionContent, orderedSegmentIds, type FlagStateContent, type SegmentOverrideContent, type VersionContent } from '../../../../../src-shared/domain/versioning/version-content.js';

export const SEGMENT_IDS = ['1', '2', '3', '4', '5'];
export const OPTION_IDS = ['11', '12', '13'];

export function str(s: string | null): TypedValueColumns {
  return { type: 'unicode', string_value: s, integer_value: null, boolean_value: null };
}
export function int(n: number | null): TypedValueColumns {
  return { type: 'int', string_value: null, integer_value: n, boolean_value: null };
}
export function bool(b: boolean | null): TypedValueColumns {
  return { type: 'bool', string_value: null, integer_value: null, boolean_value: b };
}

export function state(partial: Partial<FlagStateContent> = {}): FlagStateContent {
  return { enabled: false, value: str(null), multivariateWeights: {}, ...partial };
}
export function override(priority: number, partial: Partial<FlagStateContent> = {}): SegmentOverrideContent {
  return { priority, ...state(partial) };
}
export function content(environmentDefault: Partial<FlagStateContent> = {}, segmentOverrides: Record<string, SegmentOverrideContent> = {}): VersionContent {
  return { environmentDefault: state(environmentDefault), segmentOverrides };
}

export const typedValueArb: fc.Arbitrary<TypedValueColumns> = fc.oneof(
  fc.constantFrom('a', 'b', 'blue', '', null).map(str),
  fc.constantFrom(0, 1, 3, 4, null).map(int),
  fc.constantFrom(true, false, null).map(bool),
);
export const weightArb = fc.constantFrom(0, 10, 25, 50, 100);
const weightsArb = fc.dictionary(fc.constantFrom(...OPTION_IDS), weightArb, { maxKeys: OPTION_IDS.length });
const stateArb: fc.Arbitrary<FlagStateContent> = fc.record({ enabled: fc.boolean(), value: typedValueArb, multivariateWeights: weightsArb });

/** Any content; priorities are arbitrary (not canonical ranks), with ties. */
export const versionContentArb: fc.Arbitrary<VersionContent> = fc.record({
  environmentDefault: stateArb,
  segmentOverrides: fc.dictionary(
    fc.constantFrom(...SEGMENT_IDS),
    stateArb.chain((s) => fc.integer({ min: 0, max: 9 }).map((priority) => ({ priority, ...s }))),
    { maxKeys: SEGMENT_IDS.length },
  ),
});

/** One edit of a draft, as a user would make it; `segmentId` null is the environment default. */
export type Edit =
  | { op: 'enabled'; segmentId: string | null; enabled: boolean }
  | { op: 'value'; segmentId: string | null; value: TypedValueColumns }
  | { op: 'weight'; segmentId: string | null; optionId: string; weight: number | null }
  | { op: 'upsert'; segmentId: string; state: FlagStateContent; priority: number | undefined }
  | { op: 'remove'; segmentId: string }
  | { op: 'reorder'; segmentIds: string[] };

const placeArb = fc.option(fc.constantFrom(...SEGMENT_IDS), { nil: null });

/** Edits of fields only: enabled, value, weights (no override added, removed or moved). */
export const fieldEditArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('enabled' as const), segmentId: placeArb, enabled: fc.boolean() }),
  fc.record({ op: fc.constant('value' as const), segmentId: placeArb, value: typedValueArb }),
  fc.record({ op: fc.constant('weight' as const), segmentId: placeArb, optionId: fc.constantFrom(...OPTION_IDS), weight: fc.option(weightArb, { nil: null }) }),
);

/** Any edit, including adding, removing and reordering overrides. */
export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { arbitrary: fieldEditArb, weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('upsert' as const), segmentId: fc.constantFrom(...SEGMENT_IDS), state: stateArb, priority: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), segmentId: fc.constantFrom(...SEGMENT_IDS) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('reorder' as const), segmentIds: fc.shuffledSubarray(SEGMENT_IDS) }), weight: 1 },
);

function moveTo(order: string[], id: string, position: number): string[] {
  const others = order.filter((x) => x !== id);
  const at = Math.min(Math.max(position, 0), others.length);
  return [...others.slice(0, at), id, ...others.slice(at)];
}

function withOrder(c: VersionContent, order: string[]): VersionContent {
  const segmentOverrides: Record<string, SegmentOverrideContent> = {};
  order.forEach((id, priority) => {
    segmentOverrides[id] = { ...(c.segmentOverrides[id] as SegmentOverrideContent), priority };
  });
  return { environmentDefault: c.environmentDefault, segmentOverrides };
}

/**
 * The reference semantics of an edit on plain content (what the draft-doc functions must do too):
 * edits of a missing override are ignored; an upsert without priority appends a new override and keeps
 * an existing one in place; a reorder puts the named overrides first, the rest after in their order.
 */
export function applyEdit(c0: VersionContent, edit: Edit): VersionContent {
  const c = structuredClone(canonicalizeVersionContent(c0));
  const place = (id: string | null): FlagStateContent | undefined => (id === null ? c.environmentDefault : c.segmentOverrides[id]);
  switch (edit.op) {
    case 'enabled': {
      const p = place(edit.segmentId);
      if (p) p.enabled = edit.enabled;
      return c;
    }
    case 'value': {
      const p = place(edit.segmentId);
      if (p) p.value = { ...edit.value };
      return c;
    }
    case 'weight': {
      const p = place(edit.segmentId);
      if (p && edit.weight === null) delete p.multivariateWeights[edit.optionId];
      else if (p) p.multivariateWeights[edit.optionId] = edit.weight as number;
      return c;
    }
    case 'upsert': {
      const order = orderedSegmentIds(c);
      const exists = c.segmentOverrides[edit.segmentId] !== undefined;
      c.segmentOverrides[edit.segmentId] = { priority: 0, ...structuredClone(edit.state) };
      if (exists && edit.priority === undefined) return withOrder(c, order);
      return canonicalizeVersionContent(withOrder(c, moveTo(order, edit.segmentId, edit.priority ?? order.length)));
    }
    case 'remove':
      delete c.segmentOverrides[edit.segmentId];
      return canonicalizeVersionContent(c);
    case 'reorder': {
      const order = orderedSegmentIds(c);
      const named = edit.segmentIds.filter((id) => c.segmentOverrides[id]);
      return withOrder(c, [...named, ...order.filter((id) => !named.includes(id))]);
    }
  }
}

export function applyEdits(c: VersionContent, edits: readonly Edit[]): VersionContent {
  return canonicalizeVersionContent(edits.reduce(applyEdit, c));
}
