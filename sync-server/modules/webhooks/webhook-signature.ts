import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Flagsmith (and Flagdesk) put the payload signature in. */
export const SIGNATURE_HEADER = 'X-Flagsmith-Signature';

/** Hex HMAC-SHA256 of the raw request body, keyed with the webhook secret (Flagsmith's `sign_payload`). */
export function signPayload(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex');
}

/** What a receiver does: recompute the signature over the raw body and compare in constant time. */
export function verifySignature(rawBody: string, secret: string, signature: string): boolean {
  const expected = Buffer.from(signPayload(rawBody, secret), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
