import { preconditionFailed } from '../../../src-shared/errors/app-error.js';
import { canonicalJson } from '../../platform/security/canonical-json.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { WebhookEventType } from '../../../src-shared/contracts/http/webhooks.contract.js';
import { postWebhook } from './webhook-delivery.worker.js';
import { signPayload } from './webhook-signature.js';

/** The body of `POST /api/v1/webhooks/test/` (contracts/http/webhooks.contract.ts `testWebhook`). */
export interface WebhookTestInput {
  webhook_url: string;
  scope: { type: 'environment' | 'organisation'; id: string | number };
  secret?: string | null | undefined;
}

/**
 * Posts one sample event, shaped as real deliveries are (canonical JSON, `X-Flagsmith-Signature` when
 * there is a secret), and answers as Flagsmith's test endpoint does: 200 with the receiver's status, or
 * a 400 saying it answered an error status or could not be reached. Receivers can tell a test by its
 * `"test": true` data field.
 */
export async function sendTestWebhook(input: { url: string; secret: string | null; scopeType: 'environment' | 'organisation'; organisationId: number; now: string; timeoutMs: number }): Promise<{ detail: string; status: number }> {
  const eventType = input.scopeType === 'environment' ? WebhookEventType.FLAG_UPDATED : WebhookEventType.AUDIT_LOG_CREATED;
  const eventId = generateUuid();
  const body = canonicalJson({
    event_type: eventType,
    data: { test: true, message: 'This is a test event from Flagdesk.', organisation_id: input.organisationId },
    sequence: 0,
    idempotency_key: `test-${eventId}`,
    event_id: eventId,
    created_at: input.now,
  });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (input.secret) headers['x-flagsmith-signature'] = signPayload(body, input.secret);
  const result = await postWebhook(input.url, body, headers, input.timeoutMs);
  if (result.statusCode === null) throw preconditionFailed('Could not connect to webhook URL', { reason: 'WEBHOOK_UNREACHABLE', body: result.error ?? 'request failed' });
  if (result.statusCode < 200 || result.statusCode >= 300) {
    throw preconditionFailed('Webhook returned error status', { reason: 'WEBHOOK_ERROR_STATUS', status: result.statusCode, body: `Webhook returned HTTP ${result.statusCode}.` });
  }
  return { detail: 'Webhook test successful', status: result.statusCode };
}
