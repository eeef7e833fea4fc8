import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { scheduledChangeConflictEmail } from '../../../sync-server/modules/email/email-templates.js';

interface ReceivedMail {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1; `failing` makes it refuse messages with a 451. */
async function startSmtp(): Promise<{ url: string; mails: ReceivedMail[]; setFailing(v: boolean): void; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  let failing = false;
  const server = new SMTPServer({
    authOptional: true,
    // A loopback test server: no TLS, so the client must not try STARTTLS with an untrusted certificate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing) return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    setFailing: (v) => {
      failing = v;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.each(DIALECTS)('email on %s', (dialect) => {
  let api: TestApi | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined;
  afterEach(async () => {
    await api?.stop();
    await smtp?.close();
    api = undefined;
    smtp = undefined;
  });

  const emails = async () => (await api!.op('listOrganisationEmails', { params: { organisation_pk: api!.organisationId } })).body.results;

  test('the scheduled-change conflict email reaches a real SMTP server after commit, naming feature, environment, time and version', async () => {
    smtp = await startSmtp();
    api = await new TestApi(dialect, { email: { smtpUrl: smtp.url, from: 'Flagdesk <noreply@flagdesk.test>', smtpTimeoutMs: 5000 } }).start();
    const rendered = scheduledChangeConflictEmail({
      recipientName: 'Ada',
      featureName: 'checkout_v2',
      environmentName: 'Production',
      scheduledAt: '2026-07-01T09:00:00.000Z',
      conflictingVersionUuid: '9f1c2d3e-0000-4000-8000-000000000001',
      changeRequestTitle: 'Turn on checkout <v2>',
    });
    await api.testDb.db.transaction((trx) => api!.built.services.email.send(trx, { organisationId: api!.organisationId, to: ['ada@example.com', 'reviewer@example.com'], ...rendered }));
    // Written in the transaction, sent only by the worker.
    expect(smtp.mails).toHaveLength(0);
    await api.built.services.jobs.runOnce();

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail!.from).toBe('noreply@flagdesk.test');
    expect(mail!.to).toEqual(['ada@example.com', 'reviewer@example.com']);
    const body = mail!.raw.replace(/=\r?\n/g, '');
    expect(body).toContain("Subject: Scheduled change to 'checkout_v2' (Production) was not published");
    for (const part of ["feature 'checkout_v2'", "environment 'Production'", '2026-07-01T09:00:00.000Z', '9f1c2d3e-0000-4000-8000-000000000001', 'Turn on checkout &lt;v2&gt;']) expect(body).toContain(part);

    const [row] = await emails();
    expect(row).toMatchObject({ status: 'sent', transport: 'smtp', error: null, message_id: expect.stringMatching(/^<.+>$/), sent_at: '2026-06-01T12:00:00.000Z' });
  });

  test('an SMTP failure is retried with backoff and the email is sent once the server accepts it', async () => {
    smtp = await startSmtp();
    smtp.setFailing(true);
    api = await new TestApi(dialect, { email: { smtpUrl: smtp.url, from: 'flagdesk@flagdesk.test', smtpTimeoutMs: 5000 } }).start();
    await api.testDb.db.transaction((trx) => api!.built.services.email.send(trx, { organisationId: api!.organisationId, to: ['ops@example.com'], subject: 'Hello', text: 'body' }));
    await api.built.services.jobs.runOnce();
    expect((await emails())[0]).toMatchObject({ status: 'queued', error: expect.stringContaining('451') });
    smtp.setFailing(false);
    api.clock.advanceMs(5000);
    await api.built.services.jobs.runOnce();
    expect(smtp.mails).toHaveLength(1);
    expect((await emails())[0]).toMatchObject({ status: 'sent', error: null });
  });

  test('without SMTP the email is kept in the database and listed; a rolled-back transaction leaves no email', async () => {
    api = await new TestApi(dialect).start();
    await expect(
      api.testDb.db.transaction(async (trx) => {
        await api!.built.services.email.send(trx, { organisationId: api!.organisationId, to: ['x@example.com'], subject: 'Never', text: 'rolled back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await api.testDb.db.transaction((trx) => api!.built.services.email.send(trx, { organisationId: api!.organisationId, to: ['x@example.com'], subject: 'Kept', text: 'stored' }));
    await api.built.services.jobs.runOnce();
    expect((await emails()).map((e: { subject: string; status: string }) => [e.subject, e.status])).toEqual([['Kept', 'stored']]);
  });
});
