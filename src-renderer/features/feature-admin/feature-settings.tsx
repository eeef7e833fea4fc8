import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Feature } from '../../data/api-client.js';
import type { MvOption } from '../../data/admin-api.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { FieldError } from '../../ui/field-error.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';

interface Props {
  feature: Feature;
  /** After a change the page reloads the feature (the replica follows by itself). */
  onChanged(): void;
}

/** A feature's own settings, the same in every environment: description, variations, archive and delete. */
export function FeatureSettings({ feature, onChanged }: Props) {
  const { admin, store } = useAppServices();
  const id = useId();
  const [confirming, setConfirming] = useState<'archive' | 'delete' | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  async function unarchive() {
    setFailure(null);
    try {
      await admin.updateFeature(feature.project, feature.id, { is_archived: false });
      onChanged();
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  return (
    <section className="panel feature-admin" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Feature settings</h2>
      <p className="muted">These apply to {feature.name} in every environment of the project.</p>
      <DescriptionForm key={feature.description ?? ''} feature={feature} onChanged={onChanged} />
      <VariationsEditor feature={feature} onChanged={onChanged} />
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      <div className="actions">
        {feature.is_archived ? (
          <button type="button" onClick={() => void unarchive()}>
            Unarchive
          </button>
        ) : (
          <button type="button" onClick={() => setConfirming('archive')}>
            Archive…
          </button>
        )}
        <button type="button" className="quiet" onClick={() => setConfirming('delete')}>
          Delete feature…
        </button>
      </div>
      {confirming === 'archive' && (
        <ConfirmDialog
          title={`Archive ${feature.name}?`}
          confirmLabel="Archive feature"
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            await admin.updateFeature(feature.project, feature.id, { is_archived: true });
            setConfirming(null);
            store.getState().openScreen('features');
          }}
        >
          <p>It leaves the feature list but keeps its states, versions and history; SDKs still get it. You can unarchive it later.</p>
        </ConfirmDialog>
      )}
      {confirming === 'delete' && (
        <ConfirmDialog
          title={`Delete ${feature.name}?`}
          confirmLabel="Delete feature"
          isDestructive
          acknowledgement={`I understand that ${feature.name} is deleted from every environment, with its versions.`}
          onCancel={() => setConfirming(null)}
          onConfirm={async () => {
            await admin.deleteFeature(feature.project, feature.id);
            setConfirming(null);
            store.getState().openScreen('features');
          }}
        >
          <p>SDKs stop getting it at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function DescriptionForm({ feature, onChanged }: Props) {
  const { admin } = useAppServices();
  const id = useId();
  const [description, setDescription] = useState(feature.description ?? '');
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [isSaving, setSaving] = useState(false);
  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    try {
      await admin.updateFeature(feature.project, feature.id, { description: description.trim() || null });
      onChanged();
    } catch (error) {
      setFailure(formFailure(error, ['description']));
    } finally {
      setSaving(false);
    }
  }
  return (
    <form className="inline-form" onSubmit={(e) => void save(e)} noValidate>
      <div className="grow">
        <label htmlFor={`${id}-description`}>Description</label>
        <input id={`${id}-description`} value={description} onChange={(e) => setDescription(e.target.value)} placeholder="What the feature is for" autoComplete="off" />
      </div>
      <button type="submit" disabled={isSaving || description.trim() === (feature.description ?? '')}>
        Save description
      </button>
      <FieldError field="Description" message={failure?.fields.description} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
    </form>
  );
}

const optionText = (o: MvOption) => String(o.string_value ?? o.integer_value ?? o.boolean_value ?? '');

/** The variations of a multivariate feature (any feature can get its first one): edit, remove, add. */
function VariationsEditor({ feature, onChanged }: Props) {
  const id = useId();
  const [isAdding, setAdding] = useState(false);
  return (
    <div role="group" aria-labelledby={`${id}-title`} className="variation-rows">
      <h3 id={`${id}-title`}>Variations</h3>
      {feature.multivariate_options.length === 0 && !isAdding && (
        <p className="muted">
          No variations: everyone gets the value. Add variations to split users between values.{' '}
          <button type="button" onClick={() => setAdding(true)}>
            Add a variation
          </button>
        </p>
      )}
      {feature.multivariate_options.map((option, i) => (
        <VariationRow key={`${option.id}:${optionText(option)}:${option.default_percentage_allocation}`} feature={feature} option={option} index={i} onChanged={onChanged} />
      ))}
      {(isAdding || feature.multivariate_options.length > 0) && (
        <VariationRow
          key={`new:${feature.multivariate_options.length}`}
          feature={feature}
          option={null}
          index={feature.multivariate_options.length}
          onChanged={() => {
            setAdding(false);
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function VariationRow({ feature, option, index, onChanged }: { feature: Feature; option: MvOption | null; index: number; onChanged(): void }) {
  const { admin } = useAppServices();
  const [value, setValue] = useState(option ? optionText(option) : '');
  const [percent, setPercent] = useState(option ? String(option.default_percentage_allocation) : '');
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [isConfirmingRemove, setConfirmingRemove] = useState(false);
  const label = option ? `Variation ${index + 1}` : 'New variation';
  const isUnchanged = option !== null && value === optionText(option) && Number(percent) === option.default_percentage_allocation;

  async function save(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    const body = { type: 'unicode' as const, string_value: value, default_percentage_allocation: Number(percent) || 0 };
    try {
      if (option) await admin.updateMvOption(feature.project, feature.id, option.id, body);
      else await admin.createMvOption(feature.project, feature.id, body);
      if (!option) {
        setValue('');
        setPercent('');
      }
      onChanged();
    } catch (error) {
      setFailure(formFailure(error, ['string_value', 'default_percentage_allocation']));
    }
  }

  return (
    <form className="variation-row" onSubmit={(e) => void save(e)} noValidate aria-label={label}>
      <input aria-label={`${label} value`} value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" spellCheck={false} placeholder="Value" />
      <input aria-label={`${label} default share (%)`} type="number" min={0} max={100} step="any" value={percent} onChange={(e) => setPercent(e.target.value)} placeholder="0" />
      <span>
        <button type="submit" disabled={value === '' || isUnchanged}>
          {option ? 'Save' : 'Add variation'}
        </button>{' '}
        {option && (
          <button type="button" className="quiet" aria-label={`Remove ${label.toLowerCase()} ${optionText(option)}`} onClick={() => setConfirmingRemove(true)}>
            Remove
          </button>
        )}
      </span>
      <FieldError field="Value" message={failure?.fields.string_value} />
      <FieldError field="Default share" message={failure?.fields.default_percentage_allocation} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      {isConfirmingRemove && option && (
        <ConfirmDialog
          title={`Remove variation ${optionText(option)}?`}
          confirmLabel="Remove variation"
          isDestructive
          onCancel={() => setConfirmingRemove(false)}
          onConfirm={async () => {
            await admin.deleteMvOption(feature.project, feature.id, option.id);
            setConfirmingRemove(false);
            onChanged();
          }}
        >
          <p>Users in it get the control value or another variation from now on, in every environment.</p>
        </ConfirmDialog>
      )}
    </form>
  );
}
