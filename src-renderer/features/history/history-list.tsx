import type { HistoryEntry } from '../../data/feature-history.js';
import { formatValue } from '../../data/flag-value.js';
import { formatDateTime, shortId } from '../../ui/format.js';

interface Props {
  featureName: string;
  entries: HistoryEntry[];
  /** Uuids chosen for comparison (at most two). */
  selected: string[];
  onToggleSelected(uuid: string): void;
  onRollBack(entry: HistoryEntry): void;
  /** Cancels a scheduled version before its time. */
  onCancelSchedule(entry: HistoryEntry): void;
  /** Why rolling back cannot be done now (e.g. offline: it needs the server); null when it can. */
  rollBackBlockedReason?: string | null;
}

/** A version's label for humans: when it went (or goes) live, else when it was created. */
export function versionLabel(entry: HistoryEntry): string {
  return formatDateTime(entry.version.live_from ?? entry.version.created_at, { hasSeconds: true });
}

function Badges({ entry }: { entry: HistoryEntry }) {
  const { version } = entry;
  return (
    <span className="badges">
      {entry.isCurrent && <span className="badge live">Live</span>}
      {version.status === 'scheduled' && <span className="badge scheduled">Scheduled for {formatDateTime(version.live_from)}</span>}
      {version.status === 'conflict' && <span className="badge conflict">Conflict</span>}
      {version.status === 'draft' && <span className="badge draft-badge">Draft</span>}
      {version.status === 'published' && !entry.isCurrent && <span className="badge">Published</span>}
    </span>
  );
}

function Values({ entry }: { entry: HistoryEntry }) {
  const def = entry.states.find((s) => s.feature_segment === null);
  const overrides = entry.states.length - (def ? 1 : 0);
  return (
    <span className="values">
      {def ? (
        <>
          <span className={def.enabled ? 'state-on' : 'state-off'}>{def.enabled ? 'On' : 'Off'}</span> <code>{formatValue(def.feature_state_value)}</code>
        </>
      ) : (
        '—'
      )}
      {overrides > 0 && <span className="muted"> · {overrides === 1 ? '1 override' : `${overrides} overrides`}</span>}
    </span>
  );
}

/**
 * Versions newest first: status badges (live, scheduled, conflict, draft), who published and when, the
 * environment default's values, a checkbox to pick two for comparison, roll back for earlier ones and
 * cancel for scheduled ones.
 */
export function HistoryList({ featureName, entries, selected, onToggleSelected, onRollBack, onCancelSchedule, rollBackBlockedReason = null }: Props) {
  return (
    <table aria-label={`Versions of ${featureName}`} className="history">
      <thead>
        <tr>
          <th scope="col">
            <span className="sr-only">Compare</span>
          </th>
          <th scope="col">Version</th>
          <th scope="col">Status</th>
          <th scope="col">Published by</th>
          <th scope="col">Values</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => {
          const label = versionLabel(entry);
          const isSelected = selected.includes(entry.version.uuid);
          const canRollBack = entry.version.status === 'published' && !entry.isCurrent;
          return (
            <tr key={entry.version.uuid} aria-selected={isSelected} className={isSelected ? 'selected' : undefined}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Compare version ${shortId(entry.version.uuid)} of ${label}`}
                  checked={isSelected}
                  disabled={!isSelected && selected.length >= 2}
                  onChange={() => onToggleSelected(entry.version.uuid)}
                />
              </td>
              <th scope="row">
                {label}
                <span className="muted version-id"> {shortId(entry.version.uuid)}</span>
                {entry.version.description && <span className="description">{entry.version.description}</span>}
              </th>
              <td>
                <Badges entry={entry} />
              </td>
              <td>{entry.author ? (entry.version.published ? entry.author : `${entry.author} (author)`) : <span className="muted">{entry.version.published ? 'API key or system' : '—'}</span>}</td>
              <td>
                <Values entry={entry} />
              </td>
              <td className="row-actions">
                {canRollBack && (
                  <button
                    type="button"
                    onClick={() => onRollBack(entry)}
                    disabled={rollBackBlockedReason !== null}
                    title={rollBackBlockedReason === null ? undefined : `Rolling back ${rollBackBlockedReason}`}
                    aria-label={`Roll back to version ${shortId(entry.version.uuid)} of ${label}`}
                  >
                    Roll back
                  </button>
                )}
                {entry.version.status === 'scheduled' && (
                  <button
                    type="button"
                    onClick={() => onCancelSchedule(entry)}
                    disabled={rollBackBlockedReason !== null}
                    title={rollBackBlockedReason === null ? undefined : `Cancelling ${rollBackBlockedReason}`}
                    aria-label={`Cancel the schedule of version ${shortId(entry.version.uuid)} for ${label}`}
                  >
                    Cancel schedule
                  </button>
                )}
                {(canRollBack || entry.version.status === 'scheduled') && rollBackBlockedReason !== null && <span className="muted needs-server"> {rollBackBlockedReason}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
