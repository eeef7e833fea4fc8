import type { Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';
import { afterCommit, type DbExecutor } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { enqueueJob } from '../../platform/jobs/job-queue.js';
import type { JobRunner } from '../../platform/jobs/job-runner.js';
import { generateUuid } from '../../platform/security/secrets.js';
import { ADMIN } from '../../../src-shared/domain/permissions/permissions.js';
import { validationFailed } from '../../../src-shared/errors/app-error.js';
import type { EmailWire } from '../../../src-shared/contracts/http/emails.contract.js';
import type { Principal } from '../access/principal.js';
import type { AccessService } from '../access/access.service.js';
import type { EmailRecord, EmailStore } from './email.store.js';

export const EMAIL_SEND_JOB = 'email.send';

export interface EmailMessage {
  /** The organisation the email is about; its admins list it. Null for system mail. */
  organisationId: number | null;
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

export interface EmailSettings {
  /** `smtp://user:pass@host:port` or `smtps://…`; without it, emails are kept in the database and logged. */
  smtpUrl?: string | undefined;
  /** The From address, e.g. `Flagdesk <flagdesk@example.com>`. */
  from: string;
  /** SMTP connection / greeting / socket timeout. Default 30 s. */
  smtpTimeoutMs?: number;
}

/**
 * Email through an outbox: `send` stores the email and a job inside the caller's transaction; the job
 * sends it over SMTP after commit (retried with backoff), or, with no SMTP configured, keeps it in the
 * database, logs it and marks it `stored`. Organisation admins list their organisation's emails.
 */
export interface EmailService {
  send(trx: DbExecutor, message: EmailMessage): Promise<{ id: number; uuid: string }>;
  list(p: Principal, organisationId: number, page: { offset: number; limit: number; status?: EmailRecord['status'] }): Promise<{ total: number; items: EmailWire[] }>;
}

export function toEmailWire(e: EmailRecord): EmailWire {
  return {
    id: e.id,
    uuid: e.uuid,
    to: e.to,
    subject: e.subject,
    text: e.text,
    html: e.html,
    status: e.status,
    transport: e.transport,
    message_id: e.messageId,
    error: e.error,
    created_at: e.createdAt,
    sent_at: e.sentAt,
  };
}

export function createEmailService(deps: {
  store: EmailStore;
  clock: Clock;
  access: AccessService;
  jobs: JobRunner;
  settings: EmailSettings;
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'> | undefined;
}): EmailService {
  const { store, clock, access, jobs, settings, logger } = deps;
  const timeout = settings.smtpTimeoutMs ?? 30_000;
  // nodemailer is loaded with the first email to send over SMTP: a server without SMTP never needs it.
  let transporter: Promise<Transporter> | undefined;
  const url = settings.smtpUrl;
  const transport = url
    ? {
        sendMail: async (message: Parameters<Transporter['sendMail']>[0]) => {
          transporter ??= import('nodemailer').then((m) => m.default.createTransport({ url, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout }));
          return (await transporter).sendMail(message);
        },
      }
    : undefined;

  jobs.register(EMAIL_SEND_JOB, async (payload, job) => {
    const { emailId } = payload as { emailId: number };
    const email = await store.get(emailId);
    if (!email || email.status !== 'queued') return;
    const now = () => clock.now().toISOString();
    if (!transport) {
      await store.update(emailId, { status: 'stored', transport: 'database', updatedAt: now(), countAttempt: true });
      logger?.info({ emailId, to: email.to, subject: email.subject, text: email.text }, 'email kept in the database: no SMTP configured (FLAGDESK_SMTP_URL)');
      return;
    }
    try {
      const info = (await transport.sendMail({ from: settings.from, to: email.to, subject: email.subject, text: email.text, ...(email.html ? { html: email.html } : {}) })) as { messageId?: string };
      await store.update(emailId, { status: 'sent', transport: 'smtp', messageId: info.messageId ?? null, error: null, sentAt: now(), updatedAt: now(), countAttempt: true });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const lastAttempt = job.attempts >= job.maxAttempts;
      await store.update(emailId, { error: message.slice(0, 1000), ...(lastAttempt ? { status: 'failed' as const } : {}), updatedAt: now(), countAttempt: true });
      throw error;
    }
  });

  return {
    async send(trx, message) {
      const to = [...new Set(message.to.map((a) => a.trim()).filter(Boolean))];
      if (to.length === 0) throw validationFailed('to', 'needs at least one recipient');
      const uuid = generateUuid();
      const id = await store.insert(trx, { uuid, organisationId: message.organisationId, to, subject: message.subject, text: message.text, html: message.html ?? null, createdAt: clock.now().toISOString() });
      await enqueueJob(trx, clock, { kind: EMAIL_SEND_JOB, payload: { emailId: id }, idempotencyKey: `email:${uuid}`, maxAttempts: 6 });
      afterCommit(trx, () => jobs.nudge());
      return { id, uuid };
    },
    async list(p, organisationId, page) {
      await access.assertOrganisation(p, organisationId, ADMIN);
      const { total, items } = await store.list(organisationId, page);
      return { total, items: items.map(toEmailWire) };
    },
  };
}
