import { useLeaveGuard } from '../../ui/use-leave-guard.js';
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { Segment } from '../../data/api-client.js';
import { controlWeight, diffEditorContent, hasEditorChanges, placesOverHundred, type EditableOverride, type EditableState, type FeatureEditorContent } from '../../data/feature-editing.js';
import { describeError } from '../../ui/error-text.js';
import { Switch } from '../../ui/switch.js';
import { rebaseEditorContent } from './editor-rebase.js';
import { LazyJsonEditor } from '../../ui/lazy-json-editor.js';

/** Text that is meant as JSON: an object or an array (scalars stay in the one-line field). */
const isJsonText = (text: string) => /^\s*[[{]/.test(text);

interface Props {
  /**
   * The content as loaded (live states on v1, the draft or live version on v2). When it changes while the
   * editor is open, unsaved edits are kept and every field the user has not edited shows the new content.
   */
  content: FeatureEditorContent;
  /** Segments of the project, for adding overrides. */
  segments: Segment[];
  /** v1 saves to the live flags; v2 saves into a draft. */
  mode: 'v1' | 'v2';
  environmentName: string;
  /** The feature's multivariate options (variations), each with a label (its value); empty for a plain flag. */
  options?: { id: number; label: string }[];
  /**
   * Saves the edited content; a rejection is shown and the edits stay. `original` is the content the edits
   * were made on (the latest `content` the editor has shown): only the differences from it are the user's.
   */
  onSave(edited: FeatureEditorContent, original: FeatureEditorContent): Promise<void>;
}

/** What the editor holds: the content it was given last (its edits are based on it) and the edits. */
interface EditingState {
  base: FeatureEditorContent;
  edited: FeatureEditorContent;
  /** The content changed underneath unsaved edits (cleared once nothing is unsaved). */
  isChangedElsewhere: boolean;
}

const isDirtyFrom = (base: FeatureEditorContent, edited: FeatureEditorContent) => hasEditorChanges(diffEditorContent(base, edited));

/** The state once `content` arrived: the unsaved edits rebased onto it (see rebaseEditorContent). */
function withContent(state: EditingState, content: FeatureEditorContent): EditingState {
  const edited = rebaseEditorContent(state.base, state.edited, content);
  const isDirty = isDirtyFrom(content, edited);
  const isOthersChange = isDirtyFrom(state.edited, edited);
  return { base: content, edited: isDirty ? edited : content, isChangedElsewhere: isDirty && (state.isChangedElsewhere || isOthersChange) };
}

/**
 * The value and segment-override editor: the environment default's enabled state and value, and the
 * overrides in evaluation order (first match wins), each with its own state and value. Nothing is sent
 * until Save; Enter in a field saves too. Unsaved edits survive new `content` (see rebaseEditorContent).
 */
export function ValueEditor({ content, segments, mode, environmentName, options = [], onSave }: Props) {
  const id = useId();
  const [state, setState] = useState<EditingState>(() => ({ base: content, edited: content, isChangedElsewhere: false }));
  // New content from the props is taken in during render (React's "adjusting state when a prop changes").
  let current = state;
  if (content !== state.base) {
    current = withContent(state, content);
    setState(current);
  }
  const { base, edited } = current;
  const setEdited = (change: FeatureEditorContent | ((e: FeatureEditorContent) => FeatureEditorContent)) =>
    setState((s) => ({ ...s, edited: typeof change === 'function' ? change(s.edited) : change }));
  const [segmentToAdd, setSegmentToAdd] = useState('');
  const [isSaving, setSaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const isDirty = useMemo(() => isDirtyFrom(base, edited), [base, edited]);
  useLeaveGuard(isDirty);
  const overHundred = placesOverHundred(edited);
  const available = segments.filter((s) => !edited.overrides.some((o) => o.segmentId === s.id));

  function updateOverride(segmentId: number, change: Partial<EditableOverride>) {
    setEdited((e) => ({ ...e, overrides: e.overrides.map((o) => (o.segmentId === segmentId ? { ...o, ...change } : o)) }));
  }
  function move(index: number, by: -1 | 1) {
    setEdited((e) => {
      const overrides = [...e.overrides];
      const [item] = overrides.splice(index, 1);
      overrides.splice(index + by, 0, item!);
      return { ...e, overrides };
    });
  }
  function addOverride() {
    const segment = segments.find((s) => String(s.id) === segmentToAdd);
    if (!segment) return;
    setEdited((e) => ({
      ...e,
      overrides: [
        ...e.overrides,
        { segmentId: segment.id, segmentName: segment.name, stateId: null, featureSegmentId: null, enabled: e.environmentDefault.enabled, valueText: e.environmentDefault.valueText, weights: { ...e.environmentDefault.weights } },
      ],
    }));
    setSegmentToAdd('');
  }
  async function save(event: FormEvent) {
    event.preventDefault();
    if (!isDirty || isSaving || overHundred.length > 0) return;
    setSaving(true);
    setFailure(null);
    try {
      await onSave(edited, base);
    } catch (error) {
      setFailure(describeError(error));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="value-editor" aria-label="Value and segment overrides" onSubmit={(e) => void save(e)}>
      <fieldset className="place">
        <legend>Environment default</legend>
        <div className="field-row">
          <span className="field-label" id={`${id}-default-enabled`}>
            Enabled
          </span>
          <Switch
            isOn={edited.environmentDefault.enabled}
            label={`Enabled in ${environmentName}`}
            onChange={(enabled) => setEdited((e) => ({ ...e, environmentDefault: { ...e.environmentDefault, enabled } }))}
          />
        </div>
        <div className="field-row">
          <label className="field-label" htmlFor={`${id}-default-value`}>
            Value
          </label>
          {/* A JSON value (an object or array) is edited in the code editor, with validation. */}
          {isJsonText(edited.environmentDefault.valueText) ? (
            <div className="grow">
              <LazyJsonEditor
                label={`Value in ${environmentName} (JSON)`}
                field="Value"
                value={edited.environmentDefault.valueText}
                onChange={(valueText) => setEdited((x) => ({ ...x, environmentDefault: { ...x.environmentDefault, valueText } }))}
              />
            </div>
          ) : (
            <input
              id={`${id}-default-value`}
              value={edited.environmentDefault.valueText}
              placeholder="No value"
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setEdited((x) => ({ ...x, environmentDefault: { ...x.environmentDefault, valueText: e.target.value } }))}
            />
          )}
        </div>
        {options.length > 0 && (
          <div className="field-row">
            <span className="field-label">Variations</span>
            <Weights place="the environment default" state={edited.environmentDefault} options={options} onChange={(weights) => setEdited((x) => ({ ...x, environmentDefault: { ...x.environmentDefault, weights } }))} />
          </div>
        )}
      </fieldset>

      <section className="overrides" aria-labelledby={`${id}-overrides`}>
        <h3 id={`${id}-overrides`}>Segment overrides</h3>
        {edited.overrides.length === 0 && <p className="muted">No segment overrides: everyone gets the environment default.</p>}
        <ol className="override-list">
          {edited.overrides.map((o, index) => (
            <li key={o.segmentId}>
              <fieldset className="place override">
                <legend>
                  <span className="priority" aria-hidden="true">
                    {index + 1}
                  </span>
                  {o.segmentName}
                </legend>
                <Switch isOn={o.enabled} label={`Enabled for ${o.segmentName}`} onChange={(enabled) => updateOverride(o.segmentId, { enabled })} />
                <input
                  aria-label={`Value for ${o.segmentName}`}
                  value={o.valueText}
                  placeholder="No value"
                  autoComplete="off"
                  spellCheck={false}
                  onChange={(e) => updateOverride(o.segmentId, { valueText: e.target.value })}
                />
                {options.length > 0 && <Weights place={o.segmentName} state={o} options={options} onChange={(weights) => updateOverride(o.segmentId, { weights })} />}
                <div className="override-actions">
                  <button type="button" aria-label={`Move ${o.segmentName} up`} title="Evaluate earlier" disabled={index === 0} onClick={() => move(index, -1)}>
                    ↑
                  </button>
                  <button type="button" aria-label={`Move ${o.segmentName} down`} title="Evaluate later" disabled={index === edited.overrides.length - 1} onClick={() => move(index, 1)}>
                    ↓
                  </button>
                  <button type="button" className="quiet" aria-label={`Remove override for ${o.segmentName}`} onClick={() => setEdited((e) => ({ ...e, overrides: e.overrides.filter((x) => x.segmentId !== o.segmentId) }))}>
                    Remove
                  </button>
                </div>
              </fieldset>
            </li>
          ))}
        </ol>
        <div className="add-override">
          <label htmlFor={`${id}-segment`}>Segment</label>
          <select id={`${id}-segment`} value={segmentToAdd} onChange={(e) => setSegmentToAdd(e.target.value)} disabled={available.length === 0}>
            <option value="">{available.length === 0 ? 'Every segment has an override' : 'Choose a segment…'}</option>
            {available.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <button type="button" onClick={addOverride} disabled={segmentToAdd === ''}>
            Add override
          </button>
        </div>
      </section>

      {overHundred.length > 0 && (
        <p role="alert" className="error">
          The weights of {overHundred.join(', ')} add up to more than 100%.
        </p>
      )}
      {current.isChangedElsewhere && isDirty && (
        <p className="notice warning" aria-live="polite">
          This feature changed elsewhere. Your unsaved edits are kept and will be merged on save.
        </p>
      )}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="actions">
        <span className="muted" role="status">
          {isSaving ? 'Saving…' : isDirty ? 'Unsaved changes' : mode === 'v2' ? 'Changes go into a draft; nothing is live until you publish.' : 'Changes apply as soon as you save.'}
        </span>
        <button type="button" onClick={() => setState((s) => ({ ...s, edited: s.base, isChangedElsewhere: false }))} disabled={!isDirty || isSaving}>
          Revert unsaved edits
        </button>
        <button type="submit" className="primary" disabled={!isDirty || isSaving || overHundred.length > 0}>
          {mode === 'v2' ? 'Save draft' : 'Save changes'}
        </button>
      </div>
    </form>
  );
}

interface WeightsProps {
  /** "the environment default" or a segment name, for labels. */
  place: string;
  state: EditableState;
  options: { id: number; label: string }[];
  onChange(weights: Record<string, number>): void;
}

/** The multivariate split of one place: a weight per variation; the control value gets the rest. */
function Weights({ place, state, options, onChange }: WeightsProps) {
  const control = controlWeight(state.weights);
  return (
    <div className="weights" role="group" aria-label={`Variations for ${place}`}>
      <span className={`control ${control < 0 ? 'error' : ''}`}>Control {control}%</span>
      {options.map((option) => {
        const key = String(option.id);
        return (
          <label key={option.id} className="weight">
            <code>{option.label}</code>
            <input
              type="number"
              min={0}
              max={100}
              step="any"
              inputMode="decimal"
              aria-label={`Weight of ${option.label} for ${place}`}
              value={state.weights[key] ?? ''}
              placeholder="0"
              onChange={(e) => {
                const next = { ...state.weights };
                if (e.target.value === '') delete next[key];
                else next[key] = Number(e.target.value);
                onChange(next);
              }}
            />
            %
          </label>
        );
      })}
    </div>
  );
}
