import { useId, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { ApiError, type Environment, type Webhook } from '../../data/api-client.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { FieldError } from '../../ui/field-error.js';
import { FormDialog } from '../../ui/form-dialog.js';
import { Switch } from '../../ui/switch.js';

interface Props {
  environment: Environment;
  webhook: Webhook;
  isLogOpen: boolean;
  onToggleLog(): void;
  /** After an edit, enable/disable or delete: the list reloads. */
  onChanged(): void;
}

/** What a test call answered, as a sentence. */
function testOutcome(error: unknown): string {
  if (error instanceof ApiError && error.code === 'PRECONDITION_FAILED') {
    const body = typeof error.details?.body === 'string' ? ` ${error.details.body}` : '';
    return `Test failed: ${error.message}.${body}`;
  }
  return `Test failed: ${describeError(error)}`;
}

/** One webhook: its URL and state, switch to enable or disable, edit, send a test, delete, and its delivery log. */
export function WebhookRow({ environment, webhook, isLogOpen, onToggleLog, onChanged }: Props) {
  const { admin } = useAppServices();
  const [dialog, setDialog] = useState<'edit' | 'delete' | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ isOk: boolean; text: string } | null>(null);

  async function setEnabled(enabled: boolean) {
    setBusy(true);
    setOutcome(null);
    try {
      await admin.updateWebhook(environment.api_key, webhook.id, { enabled });
      onChanged();
    } catch (error) {
      setOutcome({ isOk: false, text: describeError(error) });
    } finally {
      setBusy(false);
    }
  }

  async function sendTest() {
    setBusy(true);
    setOutcome(null);
    try {
      const answer = await admin.testWebhook(environment.api_key, webhook.url);
      setOutcome({ isOk: true, text: `Test delivered: the receiver answered HTTP ${answer.status}.` });
    } catch (error) {
      setOutcome({ isOk: false, text: testOutcome(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <div className="webhook-row">
        <code className="url">{webhook.url}</code>
        <Switch isOn={webhook.enabled} label={`Webhook ${webhook.url} enabled`} isBusy={isBusy} onChange={(enabled) => void setEnabled(enabled)} />
        {webhook.has_secret && <span className="badge subtle">Signed</span>}
        <button type="button" onClick={() => void sendTest()} disabled={isBusy} aria-label={`Send a test to ${webhook.url}`}>
          Send test
        </button>
        <button type="button" onClick={() => setDialog('edit')} aria-label={`Edit webhook ${webhook.url}`}>
          Edit
        </button>
        <button type="button" className="quiet" onClick={() => setDialog('delete')} aria-label={`Delete webhook ${webhook.url}`}>
          Delete
        </button>
        <button type="button" aria-expanded={isLogOpen} onClick={onToggleLog}>
          {isLogOpen ? 'Hide deliveries' : 'Show deliveries'}
        </button>
      </div>
      {outcome && (
        <p role={outcome.isOk ? 'status' : 'alert'} className={outcome.isOk ? 'notice' : 'error'}>
          {outcome.text}
        </p>
      )}
      {dialog === 'edit' && (
        <EditWebhookDialog
          environment={environment}
          webhook={webhook}
          onDone={(isSaved) => {
            setDialog(null);
            if (isSaved) onChanged();
          }}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          isDestructive
          onCancel={() => setDialog(null)}
          onConfirm={async () => {
            await admin.deleteWebhook(environment.api_key, webhook.id);
            setDialog(null);
            onChanged();
          }}
        >
          <p>
            <code>{webhook.url}</code> stops receiving events of {environment.name}, and its delivery log is deleted.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

function EditWebhookDialog({ environment, webhook, onDone }: { environment: Environment; webhook: Webhook; onDone(isSaved: boolean): void }) {
  const { admin } = useAppServices();
  const id = useId();
  const [url, setUrl] = useState(webhook.url);
  const [secret, setSecret] = useState('');
  const [isRemovingSecret, setRemovingSecret] = useState(false);
  return (
    <FormDialog
      title="Edit webhook"
      submitLabel="Save webhook"
      fields={['url', 'secret']}
      isSubmitDisabled={url.trim() === ''}
      onCancel={() => onDone(false)}
      onSubmit={async () => {
        await admin.updateWebhook(environment.api_key, webhook.id, { url: url.trim(), ...(isRemovingSecret ? { secret: null } : secret ? { secret } : {}) });
        onDone(true);
      }}
    >
      {(errors) => (
        <>
          <label htmlFor={`${id}-url`}>URL</label>
          <input id={`${id}-url`} type="url" value={url} onChange={(e) => setUrl(e.target.value)} aria-invalid={Boolean(errors.url)} />
          <FieldError field="URL" message={errors.url} />
          <label htmlFor={`${id}-secret`}>{webhook.has_secret ? 'New secret (leave empty to keep the current one)' : 'Secret (optional, signs each payload)'}</label>
          <input id={`${id}-secret`} type="password" autoComplete="new-password" value={secret} disabled={isRemovingSecret} onChange={(e) => setSecret(e.target.value)} />
          <FieldError field="Secret" message={errors.secret} />
          {webhook.has_secret && (
            <label className="check">
              <input type="checkbox" checked={isRemovingSecret} onChange={(e) => setRemovingSecret(e.target.checked)} />
              Stop signing payloads (remove the secret)
            </label>
          )}
        </>
      )}
    </FormDialog>
  );
}
