import { useId, useState, type FormEvent } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, Webhook, WebhookDelivery } from '../../data/api-client.js';
import { addWebhook, loadDeliveries, loadWebhooks, redeliver } from '../../data/project-data.js';
import { describeError } from '../../ui/error-text.js';
import { formatDateTime } from '../../ui/format.js';
import { useResource } from '../../ui/use-resource.js';
import { formFailure, type FormFailure } from '../../ui/field-errors.js';
import { FieldError } from '../../ui/field-error.js';
import { WebhookRow } from './webhook-row.js';

/** The environment's webhooks, a form to add one, and each webhook's delivery log with redeliver. */
export function WebhooksPanel({ environment }: { environment: Environment }) {
  const { api } = useAppServices();
  const id = useId();
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const webhooks = useResource(`webhooks:${environment.api_key}:${reload}`, () => loadWebhooks(api, environment));
  const list = webhooks.status === 'ready' ? webhooks.data : webhooks.status === 'loading' ? webhooks.stale : undefined;

  return (
    <div className="webhooks">
      <section className="panel" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>Webhooks</h2>
        <p className="muted">Each receives FLAG_UPDATED, FLAG_DELETED, NEW_VERSION_PUBLISHED and SCHEDULED_VERSION_CONFLICT events of {environment.name}.</p>
        {webhooks.status === 'failed' && (
          <p role="alert" className="error">
            {describeError(webhooks.error)}
          </p>
        )}
        {list === undefined && webhooks.status === 'loading' && <p role="status">Loading…</p>}
        {list !== undefined && list.length === 0 && (
          <div className="list-empty">
            <p className="muted">No webhooks yet. Add one to be told of every flag change in {environment.name}.</p>
            <button type="button" className="primary" onClick={() => document.getElementById(`${id}-add-url`)?.focus()}>
              Add a webhook
            </button>
          </div>
        )}
        {list !== undefined && list.length > 0 && (
          <ul className="webhook-list" aria-label="Webhooks">
            {list.map((webhook) => (
              <li key={webhook.id}>
                <WebhookRow
                  environment={environment}
                  webhook={webhook}
                  isLogOpen={open === webhook.id}
                  onToggleLog={() => setOpen(open === webhook.id ? null : webhook.id)}
                  onChanged={() => setReload((r) => r + 1)}
                />
                {open === webhook.id && <DeliveryLog environment={environment} webhook={webhook} />}
              </li>
            ))}
          </ul>
        )}
      </section>
      <AddWebhookForm environment={environment} urlId={`${id}-add-url`} onAdded={() => setReload((r) => r + 1)} />
    </div>
  );
}

function AddWebhookForm({ environment, urlId, onAdded }: { environment: Environment; urlId: string; onAdded(): void }) {
  const { api } = useAppServices();
  const id = useId();
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const [isSaving, setSaving] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setFailure(null);
    try {
      await addWebhook(api, environment, { url: url.trim(), enabled: true, ...(secret ? { secret } : {}) });
      setUrl('');
      setSecret('');
      onAdded();
    } catch (error) {
      setFailure(formFailure(error, ['url', 'secret']));
    } finally {
      setSaving(false);
    }
  }
  return (
    <form className="panel add-webhook" aria-labelledby={`${id}-title`} onSubmit={(e) => void submit(e)}>
      <h2 id={`${id}-title`}>Add a webhook</h2>
      <label htmlFor={urlId}>URL</label>
      <input id={urlId} type="url" placeholder="https://example.com/flagdesk" value={url} onChange={(e) => setUrl(e.target.value)} required />
      <label htmlFor={`${id}-secret`}>Secret (optional, signs each payload)</label>
      <input id={`${id}-secret`} type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />
      <FieldError field="URL" message={failure?.fields.url} />
      <FieldError field="Secret" message={failure?.fields.secret} />
      {failure?.form && (
        <p role="alert" className="error">
          {failure.form}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={isSaving || url.trim() === ''}>
          Add webhook
        </button>
      </div>
    </form>
  );
}

const STATUS_CLASS: Record<WebhookDelivery['status'], string> = { pending: '', delivering: 'scheduled', failed: 'conflict', succeeded: 'live', dead: 'conflict' };

function DeliveryLog({ environment, webhook }: { environment: Environment; webhook: Webhook }) {
  const { api } = useAppServices();
  const [page, setPage] = useState(1);
  const [reload, setReload] = useState(0);
  const [failure, setFailure] = useState<string | null>(null);
  const deliveries = useResource(`deliveries:${webhook.id}:${page}:${reload}`, () => loadDeliveries(api, environment, webhook.id, page));
  const data = deliveries.status === 'ready' ? deliveries.data : deliveries.status === 'loading' ? deliveries.stale : undefined;
  const pages = data ? Math.max(1, Math.ceil(data.count / 20)) : 1;

  async function send(delivery: WebhookDelivery) {
    setFailure(null);
    try {
      await redeliver(api, environment, webhook.id, delivery.id);
      setReload((r) => r + 1);
    } catch (error) {
      setFailure(describeError(error));
    }
  }

  return (
    <div className="delivery-log">
      {deliveries.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(deliveries.error)}
        </p>
      )}
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
      {data && data.results.length === 0 && <p className="muted">Nothing sent to this webhook yet.</p>}
      {data && data.results.length > 0 && (
        <table aria-label={`Deliveries to ${webhook.url}`}>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.results.map((d) => (
              <tr key={d.id}>
                <th scope="row">
                  {d.event_type} <span className="muted">#{d.sequence}</span>
                </th>
                <td>
                  <span className={`badge ${STATUS_CLASS[d.status]}`}>{d.status}</span>
                </td>
                <td>
                  {d.attempts} / {d.max_attempts}
                </td>
                <td className="answer">{d.last_error ?? (d.last_status_code !== null ? `HTTP ${d.last_status_code}` : '—')}</td>
                <td>{formatDateTime(d.created_at)}</td>
                <td className="row-actions">
                  {(d.status === 'failed' || d.status === 'dead') && (
                    <button type="button" onClick={() => void send(d)} aria-label={`Redeliver ${d.event_type} #${d.sequence}`}>
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Delivery pages">
          <button type="button" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
            Previous page
          </button>
          <span>
            Page {page} of {pages}
          </span>
          <button type="button" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
            Next page
          </button>
        </nav>
      )}
    </div>
  );
}
