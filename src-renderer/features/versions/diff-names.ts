import type { Feature, Segment } from '../../data/api-client.js';
import { valueToText } from '../../data/flag-value.js';

/*
 * How the diff and conflict views name what a change touches: a segment by its name, a multivariate
 * option by its value. One pair of namers for every screen that shows versions side by side.
 */

/** A segment's name, or "Segment N" when the segment is not among those given (deleted, or not visible). */
export function segmentNamer(segments: readonly Pick<Segment, 'id' | 'name'>[]): (segmentId: number) => string {
  return (segmentId) => segments.find((s) => s.id === segmentId)?.name ?? `Segment ${segmentId}`;
}

/** A multivariate option of the feature by its quoted value, or "option N" when it is gone. */
export function optionNamer(feature: Pick<Feature, 'multivariate_options'>): (optionId: number) => string {
  return (optionId) => {
    const option = feature.multivariate_options.find((o) => o.id === optionId);
    return option ? `"${valueToText(option)}"` : `option ${optionId}`;
  };
}
