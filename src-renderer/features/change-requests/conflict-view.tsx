import { useId, useState, type FormEvent } from 'react';
import type { RebaseResolution, VersionConflict } from '../../data/api-client.js';
import { conflictPlace, type FeatureConflict } from '../../data/change-requests.js';
import { formatValue } from '../../data/flag-value.js';
import { describeError } from '../../ui/error-text.js';

type Choice = RebaseResolution['choice'];

interface Props {
  conflicts: FeatureConflict[];
  segmentName(segmentId: number): string;
  optionName?(optionId: number): string;
  /** Sends the choices (one per conflict); a rejection is shown and the choices stay. */
  onResolve(resolutions: RebaseResolution[]): Promise<void>;
}

function isTypedValue(value: unknown): value is Parameters<typeof formatValue>[0] {
  return typeof value === 'object' && value !== null && 'type' in value;
}

/** One side of a conflict in words: On/Off, a value, an override, or the order of overrides. */
export function describeSide(conflict: VersionConflict, value: unknown, segmentName: (id: number) => string): string {
  if (value === null || value === undefined) return conflict.field === 'override' ? 'No override' : conflict.field === 'weight' ? 'No share' : 'None';
  if (conflict.field === 'enabled') return value === true ? 'On' : 'Off';
  if (conflict.field === 'weight' && typeof value === 'number') return `${value}%`;
  if (conflict.field === 'order' && Array.isArray(value)) return value.length === 0 ? 'No overrides' : value.map((id) => segmentName(Number(id))).join(' → ');
  if (isTypedValue(value)) return formatValue(value);
  if (typeof value === 'object' && value !== null && 'enabled' in value) {
    const o = value as { enabled: boolean; value?: unknown };
    return `${o.enabled ? 'On' : 'Off'}${isTypedValue(o.value) ? `, ${formatValue(o.value)}` : ''}`;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const keyOf = (c: FeatureConflict) => `${c.feature}:${c.conflict.path}`;

/**
 * Base, live and mine per conflicting field, with a "keep mine" or "keep live" choice for each (radio
 * buttons: Tab moves between rows, arrows switch the choice). Resolving sends one choice per field.
 */
export function ConflictView({ conflicts, segmentName, optionName, onResolve }: Props) {
  const id = useId();
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [isBusy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const chosen = conflicts.filter((c) => choices[keyOf(c)] !== undefined).length;
  const isComplete = chosen === conflicts.length;

  function chooseAll(choice: Choice) {
    setChoices(Object.fromEntries(conflicts.map((c) => [keyOf(c), choice])));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!isComplete || isBusy) return;
    setBusy(true);
    setFailure(null);
    try {
      await onResolve(conflicts.map((c) => ({ feature: c.feature, path: c.conflict.path, choice: choices[keyOf(c)]! })));
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="conflict-view" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h3 id={`${id}-title`}>Resolve conflicts</h3>
      <p className="muted">
        Live changed since this change was made. For each field, keep your change (mine) or what is live now. Base is the value both started from.
      </p>
      <table aria-label="Conflicting fields" className="side-by-side conflict-table">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Base</th>
            <th scope="col">Live</th>
            <th scope="col">Mine</th>
            <th scope="col">Keep</th>
          </tr>
        </thead>
        <tbody>
          {conflicts.map((c) => {
            const key = keyOf(c);
            const place = `${c.featureName}: ${conflictPlace(c.conflict, segmentName, optionName)}`;
            return (
              <tr key={key} className={choices[key] ? undefined : 'changed'}>
                <th scope="row">{place}</th>
                <td>{describeSide(c.conflict, c.conflict.base, segmentName)}</td>
                <td>{describeSide(c.conflict, c.conflict.live, segmentName)}</td>
                <td>{describeSide(c.conflict, c.conflict.mine, segmentName)}</td>
                <td>
                  <div role="radiogroup" aria-label={`Keep for ${place}`} className="choices">
                    {(['mine', 'live'] as const).map((choice) => (
                      <label key={choice} className="check">
                        <input type="radio" name={`${id}-${key}`} value={choice} checked={choices[key] === choice} onChange={() => setChoices((x) => ({ ...x, [key]: choice }))} />
                        {choice === 'mine' ? 'Keep mine' : 'Keep live'}
                      </label>
                    ))}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="actions">
        <span className="muted" role="status">
          {chosen} of {conflicts.length} chosen
        </span>
        <button type="button" onClick={() => chooseAll('mine')} disabled={isBusy}>
          Keep all mine
        </button>
        <button type="button" onClick={() => chooseAll('live')} disabled={isBusy}>
          Keep all live
        </button>
        <button type="submit" className="primary" disabled={!isComplete || isBusy}>
          {isBusy ? 'Rebasing…' : 'Rebase with these choices'}
        </button>
      </div>
    </form>
  );
}
