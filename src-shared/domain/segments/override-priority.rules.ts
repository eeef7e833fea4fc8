/**
 * Order of a feature's segment overrides in one environment. Priorities are dense positions 0..n-1
 * (lower wins); moving one override shifts the others, like Flagsmith's ordered `FeatureSegment.to()`.
 */

/**
 * Moves `id` to `position` (clamped to the list) in `orderedIds`, shifting the items between its old and
 * new place by one. Returns a new array; an unknown id leaves the order unchanged.
 */
export function moveToPosition(orderedIds: readonly number[], id: number, position: number): number[] {
  const from = orderedIds.indexOf(id);
  if (from < 0) return [...orderedIds];
  const rest = orderedIds.filter((x) => x !== id);
  const to = Math.max(0, Math.min(position, rest.length));
  return [...rest.slice(0, to), id, ...rest.slice(to)];
}

/** Applies moves one after another, in the order given (as Flagsmith's update-priorities does). */
export function applyMoves(orderedIds: readonly number[], moves: readonly { id: number; priority: number }[]): number[] {
  return moves.reduce<number[]>((order, m) => moveToPosition(order, m.id, m.priority), [...orderedIds]);
}

/** The `{id, priority}` pairs that differ between the current priorities and a new dense order. */
export function priorityChanges(current: ReadonlyMap<number, number>, newOrder: readonly number[]): { id: number; priority: number }[] {
  return newOrder.flatMap((id, priority) => (current.get(id) === priority ? [] : [{ id, priority }]));
}
