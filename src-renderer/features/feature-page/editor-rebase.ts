import { diffEditorContent, type EditableOverride, type EditableState, type FeatureEditorContent } from '../../data/feature-editing.js';
import { textToValue } from '../../data/flag-value.js';
import { isSameTypedValue } from '../../../src-shared/domain/versioning/version-content.js';

/*
 * The editor keeps the user's unsaved edits while the content it shows changes underneath (another admin
 * saved into the same draft, a publish arrived). It rebases them: what the user changed since `base`
 * (field by field, weight by weight) is laid over the new content, and every field the user left alone
 * shows the new content. Saving then writes only the user's own changes into the draft.
 */

/** Whether two value texts mean the same value ("42" and "042" are both the integer 42). */
function isSameValueText(a: string, b: string): boolean {
  return a === b || isSameTypedValue(textToValue(a), textToValue(b));
}

/** `theirs` with the fields the user changed from `before` to `mine`; a place new to the user takes all of `mine`. */
function rebasePlace<T extends EditableState>(before: EditableState | undefined, mine: EditableState, theirs: T): T {
  const isMine = (field: 'enabled' | 'valueText') => before === undefined || before[field] !== mine[field];
  const weights = { ...theirs.weights };
  for (const option of new Set([...Object.keys(before?.weights ?? {}), ...Object.keys(mine.weights)])) {
    if (before !== undefined && before.weights[option] === mine.weights[option]) continue;
    if (mine.weights[option] === undefined) delete weights[option];
    else weights[option] = mine.weights[option];
  }
  return {
    ...theirs,
    enabled: isMine('enabled') ? mine.enabled : theirs.enabled,
    // The same value written differently keeps the stored text, so a saved edit does not stay "unsaved".
    valueText: isMine('valueText') && !isSameValueText(mine.valueText, theirs.valueText) ? mine.valueText : theirs.valueText,
    weights,
  };
}

function isEdited(before: EditableState, mine: EditableState): boolean {
  const options = new Set([...Object.keys(before.weights), ...Object.keys(mine.weights)]);
  return before.enabled !== mine.enabled || before.valueText !== mine.valueText || [...options].some((o) => before.weights[o] !== mine.weights[o]);
}

/**
 * The user's edits (`base` → `mine`) laid over `theirs`, the content as it is now. An override the user
 * removed stays removed; one the user added stays; one the user edited but that went elsewhere is kept
 * (as an addition) so that no typing is lost; the rest follow `theirs`. The order is the user's when the
 * user reordered, else that of `theirs`, with the user's additions at the end.
 */
export function rebaseEditorContent(base: FeatureEditorContent, mine: FeatureEditorContent, theirs: FeatureEditorContent): FeatureEditorContent {
  const changes = diffEditorContent(base, mine);
  const baseOf = (segmentId: number) => base.overrides.find((o) => o.segmentId === segmentId);
  const removedByUser = new Set(changes.removed.map((o) => o.segmentId));
  const result = new Map<number, EditableOverride>();
  for (const o of theirs.overrides) {
    if (removedByUser.has(o.segmentId)) continue;
    const own = mine.overrides.find((x) => x.segmentId === o.segmentId);
    result.set(o.segmentId, own ? rebasePlace(baseOf(o.segmentId), own, o) : o);
  }
  for (const own of mine.overrides) {
    if (result.has(own.segmentId)) continue;
    const before = baseOf(own.segmentId);
    // Gone elsewhere: dropped unless the user changed it.
    if (before === undefined || isEdited(before, own)) result.set(own.segmentId, { ...own, stateId: null, featureSegmentId: null });
  }
  const [first, second] = changes.isOrderChanged ? [mine.overrides, theirs.overrides] : [theirs.overrides, mine.overrides];
  const order = [...new Set([...first, ...second].map((o) => o.segmentId))].filter((id) => result.has(id));
  return {
    environmentDefault: rebasePlace(base.environmentDefault, mine.environmentDefault, theirs.environmentDefault),
    overrides: order.map((id) => result.get(id)!),
  };
}
