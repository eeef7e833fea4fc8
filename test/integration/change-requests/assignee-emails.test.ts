import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { addMember } from '../../support/tenancy.js';
import { stringValue, v2World } from '../../support/versions-fixtures.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

interface ReceivedMail {
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives. */
async function startSmtp(): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    // Loopback only: no TLS, so the client does not try STARTTLS with an untrusted certificate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8').replace(/=\r?\n/g, '') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Change-request emails (issue 5) through a real SMTP server: assignment, and the scheduled-change conflict. */
describe.each(DIALECTS)('change-request emails over SMTP on %s', (dialect) => {
  let api: TestApi | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await api?.stop();
    await smtp?.close();
    api = undefined;
    smtp = undefined;
  });

  test('assignees receive the assignment email, then author and assignees the conflict email of the scheduled change', async () => {
    smtp = await startSmtp();
    api = await new TestApi(dialect, { email: { smtpUrl: smtp.url, from: 'Flagdesk <noreply@flagdesk.test>', smtpTimeoutMs: 5000 } }).start();
    const reviewer = await addMember(api, 'cr-smtp-reviewer@example.com', 'ADMIN');
    const w = await v2World(api);
    await api.op('partialUpdateEnvironment', { params: { api_key: w.env.api_key }, body: { minimum_change_request_approvals: 1 } });
    const liveFrom = new Date(api.clock.now().getTime() + 3600_000).toISOString();
    const created = await api.op('createChangeRequest', {
      params: { api_key: w.env.api_key },
      body: { title: 'Blue banner', change_sets: [{ feature: w.feature, live_from: liveFrom, feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('blue') }] }], approvals: [{ user: reviewer.id }] },
    });
    expect(created.status).toBe(201);
    // Kept in the outbox with the request; sent by the worker after commit.
    expect(smtp.mails).toHaveLength(0);
    await api.built.services.jobs.runOnce();
    expect(smtp.mails.map((m) => m.to)).toEqual([['cr-smtp-reviewer@example.com']]);
    expect(smtp.mails[0]!.raw).toContain(`Subject: Flagdesk change request: Blue banner (#${created.body.id})`);

    expect((await api.op('approveChangeRequest', { params: { id: created.body.id }, auth: reviewer.auth })).status).toBe(200);
    expect((await api.op('commitChangeRequest', { params: { id: created.body.id } })).body.status).toBe('scheduled');
    // A newer direct publish on an environment that requires approvals: only with the explicit, audited bypass.
    expect((await api.op('createEnvironmentUserPermission', { params: { api_key: w.env.api_key }, body: { user: reviewer.id, permissions: ['BYPASS_CHANGE_REQUESTS'] } })).status).toBe(201);
    const red = await api.op('createFeatureVersion', { params: { environment_pk: w.env.id, feature_pk: w.feature }, body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, feature_state_value: stringValue('red') }] }, auth: reviewer.auth });
    expect(red.status).toBe(201);
    await api.built.services.jobs.runOnce();
    smtp.mails.length = 0;

    (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(3600_000);
    // One pass finds the due version (conflict, emails queued); the next sends what it queued.
    await api.built.services.jobs.runOnce();
    await api.built.services.jobs.runOnce();
    const conflictMails = smtp.mails.filter((m) => m.raw.includes("Subject: Scheduled change to"));
    expect(conflictMails.map((m) => m.to[0]).sort()).toEqual(['admin@example.com', 'cr-smtp-reviewer@example.com']);
    for (const m of conflictMails) expect(m.raw).toContain("change request 'Blue banner'");
    expect((await api.op('getChangeRequest', { params: { id: created.body.id } })).body.status).toBe('needs_rebase');
  });
});
