import { useId } from 'react';
import type { VersionChange, VersionState } from '../../data/api-client.js';
import { formatValue } from '../../data/flag-value.js';

interface Props {
  /** The changes from `before` to `after`, with their sentences (from the diff endpoint). */
  changes: VersionChange[];
  /** The states of both sides, for the side-by-side table; omitted: sentences only. */
  before?: VersionState[];
  after?: VersionState[];
  beforeLabel: string;
  afterLabel: string;
  segmentName(segmentId: number): string;
  /** A multivariate option's label (its value), for the weight rows. */
  optionName?(optionId: number): string;
}

interface Row {
  place: string;
  setting: string;
  before: string;
  after: string;
}

function placesOf(before: VersionState[], after: VersionState[]): (number | null)[] {
  const bySegment = (states: VersionState[]) =>
    states
      .filter((s) => s.feature_segment !== null)
      .sort((a, b) => a.feature_segment!.priority - b.feature_segment!.priority)
      .map((s) => s.feature_segment!.segment);
  const afterOrder = bySegment(after);
  return [null, ...afterOrder, ...bySegment(before).filter((id) => !afterOrder.includes(id))];
}

function weightOf(state: VersionState | undefined, optionId: number): string {
  const value = state?.multivariate_feature_state_values.find((m) => m.multivariate_feature_option === optionId);
  return value ? `${value.percentage_allocation}%` : '—';
}

function rowsOf(before: VersionState[], after: VersionState[], segmentName: (id: number) => string, optionName: (id: number) => string): Row[] {
  const find = (states: VersionState[], segment: number | null) => states.find((s) => (segment === null ? s.feature_segment === null : s.feature_segment?.segment === segment));
  return placesOf(before, after).flatMap((segment) => {
    const a = find(before, segment);
    const b = find(after, segment);
    const place = segment === null ? 'Environment default' : segmentName(segment);
    const cell = (s: VersionState | undefined, pick: (s: VersionState) => string) => (s ? pick(s) : segment === null ? '—' : 'no override');
    const rows: Row[] = [
      { place, setting: 'Enabled', before: cell(a, (s) => (s.enabled ? 'On' : 'Off')), after: cell(b, (s) => (s.enabled ? 'On' : 'Off')) },
      { place, setting: 'Value', before: cell(a, (s) => formatValue(s.feature_state_value)), after: cell(b, (s) => formatValue(s.feature_state_value)) },
    ];
    const optionIds = [...new Set([a, b].flatMap((st) => st?.multivariate_feature_state_values.map((m) => m.multivariate_feature_option) ?? []))].sort((x, y) => x - y);
    for (const optionId of optionIds) {
      rows.push({ place, setting: `Weight of ${optionName(optionId)}`, before: a ? weightOf(a, optionId) : cell(a, () => ''), after: b ? weightOf(b, optionId) : cell(b, () => '') });
    }
    if (segment !== null) {
      rows.push({ place, setting: 'Priority', before: cell(a, (s) => String(s.feature_segment!.priority + 1)), after: cell(b, (s) => String(s.feature_segment!.priority + 1)) });
    }
    return rows;
  });
}

/**
 * What changed between two versions: one readable sentence per change, and (given both sides' states)
 * a side-by-side table of every setting with the changed ones marked.
 */
export function DiffView({ changes, before, after, beforeLabel, afterLabel, segmentName, optionName = (id) => `option ${id}` }: Props) {
  const id = useId();
  const rows = before && after ? rowsOf(before, after, segmentName, optionName) : [];
  return (
    <div className="diff">
      <h3 id={`${id}-changes`}>Changes</h3>
      {changes.length === 0 ? (
        <p className="muted">No changes: both versions serve the same flags.</p>
      ) : (
        <ul aria-labelledby={`${id}-changes`} className="change-list">
          {changes.map((change, i) => (
            <li key={i} className={`change change-${change.kind}`}>
              {change.sentence}
            </li>
          ))}
        </ul>
      )}
      {rows.length > 0 && (
        <table aria-label={`${beforeLabel} and ${afterLabel} side by side`} className="side-by-side">
          <thead>
            <tr>
              <th scope="col">Setting</th>
              <th scope="col">{beforeLabel}</th>
              <th scope="col">{afterLabel}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => {
              const isChanged = row.before !== row.after;
              return (
                <tr key={`${row.place}:${row.setting}`} className={isChanged ? 'changed' : undefined} aria-label={isChanged ? `${row.place} ${row.setting.toLowerCase()} changed` : undefined}>
                  <th scope="row">
                    <span className="place">{row.place}</span> · {row.setting}
                  </th>
                  <td>{row.before}</td>
                  <td>{isChanged ? <mark>{row.after}</mark> : row.after}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
