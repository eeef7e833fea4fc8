import type { DbExecutor } from '../../platform/database/database.js';

export interface EmailRecord {
  id: number;
  uuid: string;
  organisationId: number | null;
  to: string[];
  subject: string;
  text: string;
  html: string | null;
  status: 'queued' | 'sent' | 'stored' | 'failed';
  transport: 'smtp' | 'database' | null;
  messageId: string | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  sentAt: string | null;
}

/** Storage of the email outbox: every email is kept, sent or not. */
export interface EmailStore {
  insert(trx: DbExecutor, row: Pick<EmailRecord, 'uuid' | 'organisationId' | 'to' | 'subject' | 'text' | 'html' | 'createdAt'>): Promise<number>;
  get(id: number): Promise<EmailRecord | undefined>;
  /** Records the outcome of one sending attempt. */
  update(id: number, patch: Partial<Pick<EmailRecord, 'status' | 'transport' | 'messageId' | 'error' | 'sentAt'>> & { updatedAt: string; countAttempt?: boolean }): Promise<void>;
  list(organisationId: number, options: { offset: number; limit: number; status?: EmailRecord['status'] }): Promise<{ total: number; items: EmailRecord[] }>;
}
