import type { Kysely } from 'kysely';
import type { Db } from '../../platform/database/database.js';
import type { Database } from '../../platform/database/database.schema.js';
import type { Clock } from '../../platform/clock/clock.js';
import { generateUuid, hashPassword } from '../../platform/security/secrets.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../../src-shared/errors/error-codes.js';
import { appendAuditRow } from '../audit/audit-chain.js';

export interface FirstAdminInput {
  email: string;
  password: string;
  organisationName: string;
  firstName?: string;
  lastName?: string;
}

/**
 * Creates an organisation and its admin user in one transaction. Used at first start (from config)
 * and by the `create-admin` CLI command. Refuses an email that already exists.
 */
export async function createOrganisationWithAdmin(db: Db, clock: Clock, input: FirstAdminInput): Promise<{ organisationId: number; userId: number }> {
  if (input.password.length < 8) throw new AppError(ErrorCode.VALIDATION_FAILED, 'password: must be at least 8 characters');
  const passwordHash = await hashPassword(input.password);
  const now = clock.now().toISOString();
  return db.transaction((trx) => insertOrganisationWithAdmin(trx, input, passwordHash, now));
}

/**
 * The rows of a new organisation and its admin, in the caller's transaction: organisation, user,
 * membership as ADMIN, and the organisation's first audit entry. Refuses an email that already exists.
 */
export async function insertOrganisationWithAdmin(trx: Kysely<Database>, input: FirstAdminInput, passwordHash: string, now: string): Promise<{ organisationId: number; userId: number }> {
  const email = input.email.trim().toLowerCase();
  const existing = await trx.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  if (existing) throw new AppError(ErrorCode.VALIDATION_FAILED, `email: a user with email ${email} already exists`);
  const org = await trx
    .insertInto('organisations')
    .values({ uuid: generateUuid(), name: input.organisationName, persist_trait_data: true, stop_serving_flags: false, plan_name: 'free', max_segment_overrides_per_environment: 100, feature_history_visibility_days: null, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const user = await trx
    .insertInto('users')
    .values({ uuid: generateUuid(), email, first_name: input.firstName ?? '', last_name: input.lastName ?? '', password_hash: passwordHash, is_active: true, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx.insertInto('organisation_users').values({ organisation_id: org.id, user_id: user.id, role: 'ADMIN', created_at: now }).execute();
  // Through the audit chain, so the organisation's first entry is hash-linked like every later one.
  await appendAuditRow(trx, { uuid: generateUuid(), organisation_id: org.id, project_id: null, environment_id: null, log: `Organisation created: ${input.organisationName}`, author_user_id: user.id, author_api_key_id: null, related_object_type: 'ORGANISATION', related_object_id: org.id, related_object_uuid: null, is_system_event: false, created_at: now });
  return { organisationId: org.id, userId: user.id };
}

export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  const r = await db.kysely.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n) === 0;
}
