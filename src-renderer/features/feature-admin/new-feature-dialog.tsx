import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Feature } from '../../data/api-client.js';
import type { FeatureCreate } from '../../data/admin-api.js';
import { FieldError } from '../../ui/field-error.js';
import { FormDialog } from '../../ui/form-dialog.js';
import { LazyJsonEditor } from '../../ui/lazy-json-editor.js';
import { ValueInput, valueProblem, valueToSend, type ValueType } from './value-input.js';

type Kind = 'flag' | 'config' | 'multivariate';

const KINDS: { key: Kind; label: string; hint: string }[] = [
  { key: 'flag', label: 'Flag', hint: 'On or off' },
  { key: 'config', label: 'Remote config', hint: 'A value: text, number, boolean or JSON' },
  { key: 'multivariate', label: 'Multivariate', hint: 'Variations split by percentage' },
];

interface Variation {
  key: number;
  value: string;
  percent: string;
}

const FIELDS = ['name', 'description', 'initial_value', 'multivariate_options', 'default_enabled'] as const;

/** Creates a feature of one of the three kinds in a project; every environment gets its state. */
export function NewFeatureDialog({ projectId, onCreated, onCancel }: { projectId: number; onCreated(feature: Feature): void; onCancel(): void }) {
  const { admin } = useAppServices();
  const id = useId();
  const [kind, setKind] = useState<Kind>('flag');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [isEnabled, setEnabled] = useState(false);
  const [type, setType] = useState<ValueType>('text');
  const [value, setValue] = useState('');
  const [variations, setVariations] = useState<Variation[]>([{ key: 1, value: '', percent: '' }]);
  const total = variations.reduce((sum, v) => sum + (Number(v.percent) || 0), 0);
  const problem = kind === 'config' ? valueProblem(type, value) : kind === 'multivariate' ? variationsProblem(variations, total) : null;

  function body(): FeatureCreate {
    const base: FeatureCreate = { name: name.trim(), default_enabled: isEnabled, ...(description.trim() ? { description: description.trim() } : {}) };
    if (kind === 'config') return { ...base, initial_value: valueToSend(type, value) };
    if (kind === 'multivariate') {
      return {
        ...base,
        type: 'MULTIVARIATE',
        ...(value.trim() ? { initial_value: value.trim() } : {}),
        multivariate_options: variations.map((v) => ({ type: 'unicode', string_value: v.value, default_percentage_allocation: Number(v.percent) || 0 })),
      };
    }
    return base;
  }

  return (
    <FormDialog
      title="New feature"
      submitLabel="Create feature"
      fields={FIELDS}
      isSubmitDisabled={name.trim() === '' || problem !== null}
      onCancel={onCancel}
      onSubmit={async () => onCreated(await admin.createFeature(projectId, body()))}
    >
      {(errors) => (
        <>
          <fieldset className="kind-choice">
            <legend>Kind</legend>
            {KINDS.map((k) => (
              <label key={k.key}>
                <input type="radio" name={`${id}-kind`} value={k.key} checked={kind === k.key} onChange={() => setKind(k.key)} />
                <span>{k.label}</span>
                <span className="muted">{k.hint}</span>
              </label>
            ))}
          </fieldset>
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. checkout_banner" autoComplete="off" spellCheck={false} aria-invalid={Boolean(errors.name)} />
          <FieldError field="Name" message={errors.name} />
          <label htmlFor={`${id}-description`}>Description (optional)</label>
          <input id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
          <FieldError field="Description" message={errors.description} />
          <label className="check">
            <input type="checkbox" checked={isEnabled} onChange={(e) => setEnabled(e.target.checked)} />
            On in every environment to start with
          </label>
          {kind === 'config' && (
            <>
              <label htmlFor={`${id}-type`}>Value type</label>
              <select id={`${id}-type`} value={type} onChange={(e) => setType(e.target.value as ValueType)}>
                <option value="text">Text</option>
                <option value="number">Number (integer)</option>
                <option value="boolean">Boolean</option>
                <option value="json">JSON</option>
              </select>
              {type === 'json' ? (
                <>
                  <span className="field-label">Value</span>
                  <LazyJsonEditor label="Value (JSON)" field="Value" value={value} onChange={setValue} />
                </>
              ) : (
                <ValueInput id={`${id}-value`} type={type} value={value} onChange={setValue} />
              )}
              {type !== 'json' && <FieldError field="Value" message={value === '' ? undefined : (problem ?? undefined)} />}
              <FieldError field="Value" message={errors.initial_value} />
            </>
          )}
          {kind === 'multivariate' && (
            <Variations idPrefix={id} control={value} onControl={setValue} variations={variations} onChange={setVariations} total={total} error={errors.multivariate_options} />
          )}
        </>
      )}
    </FormDialog>
  );
}

function variationsProblem(variations: Variation[], total: number): string | null {
  if (variations.length === 0) return 'add at least one variation';
  if (variations.some((v) => v.value.trim() === '')) return 'every variation needs a value';
  if (total > 100) return `the shares add up to ${total}%, more than 100%`;
  return null;
}

interface VariationsProps {
  idPrefix: string;
  control: string;
  onControl(value: string): void;
  variations: Variation[];
  onChange(next: Variation[]): void;
  total: number;
  error: string | undefined;
}

/** The control value and the variations of a new multivariate feature, each with its default share. */
function Variations({ idPrefix, control, onControl, variations, onChange, total, error }: VariationsProps) {
  const update = (key: number, change: Partial<Variation>) => onChange(variations.map((v) => (v.key === key ? { ...v, ...change } : v)));
  const problem = variations.some((v) => v.value !== '') ? variationsProblem(variations, total) : null;
  return (
    <>
      <label htmlFor={`${idPrefix}-control`}>Control value (who is in no variation gets it)</label>
      <input id={`${idPrefix}-control`} value={control} onChange={(e) => onControl(e.target.value)} autoComplete="off" spellCheck={false} />
      <span className="field-label">Variations</span>
      <div className="variation-rows" role="group" aria-label="Variations">
        {variations.map((v, i) => (
          <div key={v.key} className="variation-row">
            <input aria-label={`Variation ${i + 1} value`} value={v.value} onChange={(e) => update(v.key, { value: e.target.value })} autoComplete="off" spellCheck={false} />
            <input aria-label={`Variation ${i + 1} share (%)`} type="number" min={0} max={100} step="any" placeholder="0" value={v.percent} onChange={(e) => update(v.key, { percent: e.target.value })} />
            <button type="button" className="quiet" aria-label={`Remove variation ${i + 1}`} onClick={() => onChange(variations.filter((x) => x.key !== v.key))}>
              Remove
            </button>
          </div>
        ))}
      </div>
      <div className="rule-actions">
        <button type="button" onClick={() => onChange([...variations, { key: Math.max(0, ...variations.map((v) => v.key)) + 1, value: '', percent: '' }])}>
          Add variation
        </button>
        <span className="muted"> Control gets {Math.max(0, 100 - total)}%.</span>
      </div>
      <FieldError field="Variations" message={error ?? problem ?? undefined} />
    </>
  );
}

