import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { createTestDb, DIALECTS } from '../../support/databases.js';
import { buildApp } from '../../../sync-server/app/build-app.js';
import { createManualClock } from '../../../sync-server/platform/clock/clock.js';
import { SmtpReceiver } from '../../support/webhook-receiver.js';
import { scheduledChangeConflictEmail } from '../../../sync-server/modules/email/email-templates.js';

describe.each(DIALECTS)('email on %s', (dialect) => {
  let api: TestApi | undefined;
  let smtp: SmtpReceiver | undefined;
  afterEach(async () => {
    await api?.stop();
    await smtp?.stop();
    api = undefined;
    smtp = undefined;
  });

  const emails = async () => (await api!.op('listOrganisationEmails', { params: { organisation_pk: api!.organisationId } })).body.results;

  test('the scheduled-change conflict email reaches a real SMTP server after commit, naming feature, environment, time and version', async () => {
    smtp = await new SmtpReceiver().start();
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
    const body = mail!.raw;
    expect(mail!.subject).toBe("Scheduled change to 'checkout_v2' (Production) was not published");
    for (const part of ["feature 'checkout_v2'", "environment 'Production'", '2026-07-01T09:00:00.000Z', '9f1c2d3e-0000-4000-8000-000000000001', 'Turn on checkout &lt;v2&gt;']) expect(body).toContain(part);

    const [row] = await emails();
    expect(row).toMatchObject({ status: 'sent', transport: 'smtp', error: null, message_id: expect.stringMatching(/^<.+>$/), sent_at: '2026-06-01T12:00:00.000Z' });
  });

  test('an SMTP failure is retried with backoff and the email is sent once the server accepts it', async () => {
    smtp = await new SmtpReceiver().start();
    smtp.failing = true;
    api = await new TestApi(dialect, { email: { smtpUrl: smtp.url, from: 'flagdesk@flagdesk.test', smtpTimeoutMs: 5000 } }).start();
    await api.testDb.db.transaction((trx) => api!.built.services.email.send(trx, { organisationId: api!.organisationId, to: ['ops@example.com'], subject: 'Hello', text: 'body' }));
    await api.built.services.jobs.runOnce();
    expect((await emails())[0]).toMatchObject({ status: 'queued', error: expect.stringContaining('451') });
    smtp.failing = false;
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

  test('without SMTP the kept email is logged with its recipients, subject and text', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const testDb = await createTestDb(dialect);
    const built = await buildApp({ db: testDb.db, clock: createManualClock('2026-06-01T12:00:00.000Z'), logger: pino({ level: 'info' }, sink) });
    try {
      await testDb.db.transaction((trx) => built.services.email.send(trx, { organisationId: null, to: ['ops@example.com'], subject: 'Scheduled change failed', text: 'details' }));
      await built.services.jobs.runOnce();
      expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('no SMTP configured'), to: ['ops@example.com'], subject: 'Scheduled change failed', text: 'details' }));
    } finally {
      await built.app.close();
      await testDb.drop();
    }
  });
});
