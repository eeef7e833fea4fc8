import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { FieldError } from '../../ui/field-error.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import type { OrganisationApiKey } from '../../data/admin-api.js';

/** A secret the server shows only once (a new key): shown with a copy button until dismissed. */
export function SecretOnce({ label, secret, onDismiss }: { label: string; secret: string; onDismiss(): void }) {
  const [isCopied, setCopied] = useState(false);
  return (
    <div className="secret-once" role="status" aria-label={label}>
      <strong>{label}: copy it now, it is not shown again.</strong>
      <code>{secret}</code>
      <div className="actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {isCopied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="quiet" onClick={onDismiss}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

/** Organisation API keys (`Authorization: Api-Key …`): create (shown once) and revoke. */
export function OrganisationApiKeys({ organisationId }: { organisationId: number }) {
  const { admin } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [revoking, setRevoking] = useState<OrganisationApiKey | null>(null);
  const keys = useResource(`org-keys:${organisationId}:${reload}`, () => admin.listOrganisationApiKeys(organisationId));

  async function create(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    try {
      const key = await admin.createOrganisationApiKey(organisationId, name.trim());
      setCreated(key.key);
      setName('');
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(formFailure(error, ['name']));
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Organisation API keys</h2>
      <p className="muted">
        For scripts and CI: send <code>Authorization: Api-Key &lt;key&gt;</code>. A key acts as an organisation administrator.
      </p>
      {keys.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(keys.error)}
        </p>
      )}
      {keys.status === 'ready' && keys.data.length === 0 && <p className="muted">No API keys yet: create one below.</p>}
      {keys.status === 'ready' && keys.data.length > 0 && (
        <table aria-label="Organisation API keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((key) => (
              <tr key={key.id}>
                <th scope="row">{key.name}</th>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{formatDateTime(key.created)}</td>
                <td className="row-actions">
                  <button type="button" className="quiet" aria-label={`Revoke ${key.name}`} onClick={() => setRevoking(key)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {created && <SecretOnce label="New organisation API key" secret={created} onDismiss={() => setCreated(null)} />}
      <form className="inline-form" onSubmit={(e) => void create(e)} noValidate>
        <div>
          <label htmlFor={`${id}-name`}>Key name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. CI pipeline" autoComplete="off" aria-invalid={Boolean(failure?.fields.name)} />
        </div>
        <button type="submit" disabled={name.trim() === ''}>
          Create API key
        </button>
      </form>
      <FieldError field="Key name" message={failure?.fields.name} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke API key ${revoking.name}?`}
          confirmLabel="Revoke key"
          isDestructive
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            await admin.revokeOrganisationApiKey(organisationId, revoking.prefix);
            setRevoking(null);
            setReload((r) => r + 1);
          }}
        >
          <p>Requests with this key are refused from now on. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** How many days of version history the organisation's members see (empty: all of it). */
export function HistoryWindow({ organisationId }: { organisationId: number }) {
  const { api, admin } = useAppServices();
  const id = useId();
  const organisation = useResource(`organisation:${organisationId}`, async () => (await api.listOrganisations()).find((o) => o.id === organisationId) ?? null);
  const [days, setDays] = useState<string | null>(null);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const current = organisation.status === 'ready' ? organisation.data?.feature_history_visibility_days ?? null : null;
  const shown = days ?? (current === null ? '' : String(current));

  async function save(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    setSaved(null);
    try {
      const value = shown.trim() === '' ? null : Number(shown);
      await admin.updatePlanLimits(organisationId, { feature_history_visibility_days: value });
      setSaved(value === null ? 'Every version stays visible.' : `Versions older than ${value} days are hidden.`);
      setDays(null);
    } catch (error) {
      setFailure(formFailure(error, ['feature_history_visibility_days']));
    }
  }

  return (
    <form className="panel" aria-labelledby={`${id}-title`} onSubmit={(e) => void save(e)} noValidate>
      <h2 id={`${id}-title`}>History window</h2>
      <p className="muted">How far back History shows versions, in days. Leave empty to keep every version visible.</p>
      <div className="inline-form">
        <div>
          <label htmlFor={`${id}-days`}>Days of version history</label>
          <input id={`${id}-days`} type="number" min={1} max={36500} value={shown} placeholder="Unlimited" onChange={(e) => setDays(e.target.value)} aria-invalid={Boolean(failure?.fields.feature_history_visibility_days)} />
        </div>
        <button type="submit" disabled={organisation.status !== 'ready' || days === null}>
          Save history window
        </button>
      </div>
      <FieldError field="Days of version history" message={failure?.fields.feature_history_visibility_days} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      {saved && (
        <p role="status" className="notice">
          {saved}
        </p>
      )}
    </form>
  );
}
