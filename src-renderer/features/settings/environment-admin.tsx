import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment } from '../../data/api-client.js';
import type { ServerKey } from '../../data/admin-api.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { FieldError } from '../../ui/field-error.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import { SecretOnce } from '../organisation/organisation-keys.js';

/** Whether changes in the environment need a change request, and how many approvals it needs. */
export function ChangeRequestSettings({ environment }: { environment: Environment }) {
  const { admin, store } = useAppServices();
  const id = useId();
  const current = environment.minimum_change_request_approvals;
  const [isRequired, setRequired] = useState(current !== null);
  const [approvals, setApprovals] = useState(String(current ?? 1));
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [isSaving, setSaving] = useState(false);
  const wanted = isRequired ? Number(approvals) : null;
  const isUnchanged = wanted === current;
  const isInvalid = isRequired && (!Number.isInteger(wanted) || (wanted ?? 0) < 0);

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    try {
      await admin.updateEnvironment(environment.api_key, { minimum_change_request_approvals: wanted });
      // The navigator reloads the environment, so every screen (the toggle, the feature page) sees the rule.
      store.getState().bumpRevision();
    } catch (error) {
      setFailure(formFailure(error, ['minimum_change_request_approvals']));
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="panel" aria-labelledby={`${id}-title`} onSubmit={(e) => void save(e)} noValidate>
      <h2 id={`${id}-title`}>Change requests</h2>
      <p className="muted">When required, changes to flags in {environment.name} go through a change request that others approve before it is committed.</p>
      <label className="check">
        <input type="checkbox" checked={isRequired} onChange={(e) => setRequired(e.target.checked)} />
        Require change requests
      </label>
      {isRequired && (
        <div className="inline-form">
          <div>
            <label htmlFor={`${id}-approvals`}>Minimum approvals</label>
            <input
              id={`${id}-approvals`}
              type="number"
              min={0}
              max={1000}
              step={1}
              value={approvals}
              onChange={(e) => setApprovals(e.target.value)}
              aria-invalid={isInvalid || Boolean(failure?.fields.minimum_change_request_approvals)}
            />
          </div>
        </div>
      )}
      <FieldError field="Minimum approvals" message={failure?.fields.minimum_change_request_approvals ?? (isInvalid ? 'must be a whole number, 0 or more' : undefined)} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      <div className="actions">
        <span className="muted push-left">
          {current === null ? 'Now: changes apply without a change request.' : `Now: ${current === 1 ? 'one approval' : `${current} approvals`} needed.`}
        </span>
        <button type="submit" className="primary" disabled={isSaving || isUnchanged || isInvalid}>
          Save change request rule
        </button>
      </div>
    </form>
  );
}

/** The environment's SDK keys: its client-side key, and server-side keys to create (shown once) and revoke. */
export function ServerKeys({ environment }: { environment: Environment }) {
  const { admin } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [revoking, setRevoking] = useState<ServerKey | null>(null);
  const keys = useResource(`server-keys:${environment.api_key}:${reload}`, () => admin.listServerKeys(environment.api_key));

  async function create(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    try {
      setCreated((await admin.createServerKey(environment.api_key, name.trim())).key);
      setName('');
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(formFailure(error, ['name']));
    }
  }

  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>SDK keys</h2>
      <dl className="details-list">
        <dt>Client-side environment key</dt>
        <dd>
          <code>{environment.api_key}</code>
        </dd>
      </dl>
      <h3>Server-side keys</h3>
      <p className="muted">For server SDKs and local evaluation (the environment document). Keep them secret.</p>
      {keys.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(keys.error)}
        </p>
      )}
      {keys.status === 'ready' && keys.data.length === 0 && <p className="muted">No server-side keys yet: create one below.</p>}
      {keys.status === 'ready' && keys.data.length > 0 && (
        <table aria-label={`Server-side keys of ${environment.name}`}>
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
                <th scope="row">
                  {key.name} {!key.active && <span className="badge">inactive</span>}
                </th>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{formatDateTime(key.created_at)}</td>
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
      {created && <SecretOnce label="New server-side key" secret={created} onDismiss={() => setCreated(null)} />}
      <form className="inline-form" onSubmit={(e) => void create(e)} noValidate>
        <div>
          <label htmlFor={`${id}-name`}>Server-side key name</label>
          <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. backend" autoComplete="off" aria-invalid={Boolean(failure?.fields.name)} />
        </div>
        <button type="submit" disabled={name.trim() === ''}>
          Create server-side key
        </button>
      </form>
      <FieldError field="Server-side key name" message={failure?.fields.name} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke server-side key ${revoking.name}?`}
          confirmLabel="Revoke key"
          isDestructive
          onCancel={() => setRevoking(null)}
          onConfirm={async () => {
            await admin.deleteServerKey(environment.api_key, revoking.id);
            setRevoking(null);
            setReload((r) => r + 1);
          }}
        >
          <p>SDKs using it stop getting flags at once. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
