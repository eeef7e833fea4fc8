import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../sync-server/app/config.js';
import { canonicalJson } from '../../../sync-server/platform/security/canonical-json.js';
import { signPayload, verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';
import { computeAuditHash, GENESIS_HASH } from '../../../sync-server/modules/audit/audit-chain.js';
import { scheduledChangeConflictEmail } from '../../../sync-server/modules/email/email-templates.js';

describe('email configuration', () => {
  test('SMTP url and From address are read from the environment, with defaults', () => {
    expect(loadConfig({})).toMatchObject({ emailFrom: 'Flagdesk <flagdesk@localhost>' });
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    const c = loadConfig({ FLAGDESK_SMTP_URL: 'smtp://user:pass@mail.example.com:587', FLAGDESK_EMAIL_FROM: 'Flags <flags@example.com>' });
    expect(c).toMatchObject({ smtpUrl: 'smtp://user:pass@mail.example.com:587', emailFrom: 'Flags <flags@example.com>' });
  });

  test('an SMTP url of another scheme is refused, naming the variable', () => {
    expect(() => loadConfig({ FLAGDESK_SMTP_URL: 'http://mail.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ FLAGDESK_SMTP_URL: 'http://mail.example.com' })).toThrow(/FLAGDESK_SMTP_URL/);
  });
});

describe('signing and hashing', () => {
  test('canonical JSON sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  test('the webhook signature is the hex HMAC-SHA256 of the raw body', () => {
    // Known value: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
    expect(signPayload('The quick brown fox jumps over the lazy dog', 'key')).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    expect(verifySignature('{"a":1}', 's', signPayload('{"a":1}', 's'))).toBe(true);
    expect(verifySignature('{"a":2}', 's', signPayload('{"a":1}', 's'))).toBe(false);
    expect(verifySignature('{"a":1}', 's', 'not-hex')).toBe(false);
  });

  test('an audit hash covers the previous hash and every field of the entry', () => {
    const entry = {
      uuid: 'u', organisation_id: 1, project_id: null, environment_id: 2, log: 'x', author_user_id: 3, author_api_key_id: null,
      related_object_type: 'FEATURE', related_object_id: 4, related_object_uuid: null, is_system_event: false, created_at: '2026-01-01T00:00:00.000Z', chain_seq: 1,
    };
    const h = computeAuditHash(GENESIS_HASH, entry);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(computeAuditHash(GENESIS_HASH, { ...entry, is_system_event: 0 })).toBe(h);
    expect(computeAuditHash(GENESIS_HASH, { ...entry, log: 'y' })).not.toBe(h);
    expect(computeAuditHash('1'.repeat(64), entry)).not.toBe(h);
  });
});

describe('email templates', () => {
  test('the conflict email greets "there" without a name and escapes HTML', () => {
    const e = scheduledChangeConflictEmail({ featureName: '<b>', environmentName: 'Dev', scheduledAt: '2026-01-01T00:00:00.000Z', conflictingVersionUuid: 'v1' });
    expect(e.text.startsWith('Hi there,')).toBe(true);
    expect(e.html).toContain('&lt;b&gt;');
    expect(e.html).not.toContain('<b>');
    expect(e.subject).toBe("Scheduled change to '<b>' (Dev) was not published");
  });
});
