import { sql } from 'kysely';
import type { Db, DbExecutor } from '../../platform/database/database.js';
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

/** The advisory lock key that serialises first-start bootstraps on PostgreSQL ("FlDk"). */
const BOOTSTRAP_LOCK_KEY = 0x466c446b;

type NewAdmin = FirstAdminInput & { email: string; passwordHash: string; now: string };

/**
 * Creates an organisation and its admin user in one transaction. Used by the `create-admin` CLI command
 * (and test harnesses). Refuses an email that already exists.
 */
export async function createOrganisationWithAdmin(db: Db, clock: Clock, input: FirstAdminInput): Promise<{ organisationId: number; userId: number }> {
  const admin = await prepare(clock, input);
  return db.transaction(async (trx) => {
    return insertOrganisationWithAdmin(trx, admin, admin.passwordHash, admin.now);
  });
}

/**
 * First start with FLAGDESK_ADMIN_* set: creates the first organisation and admin when the database has no
 * users, and does nothing otherwise. Instances starting together on one database take turns (a
 * transaction-scoped advisory lock on PostgreSQL, SQLite's write lock), and each checks again under it, so
 * exactly one creates them and the others start normally.
 */
export async function bootstrapFirstAdmin(db: Db, clock: Clock, input: FirstAdminInput): Promise<{ created: boolean }> {
  if (!(await isDatabaseEmpty(db))) return { created: false };
  const admin = await prepare(clock, input);
  return db.transaction(async (trx) => {
    if (db.kind === 'postgres') await sql`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_KEY})`.execute(trx);
    // A write statement first: it takes SQLite's write lock (waiting out the busy timeout) before any read.
    else await sql`UPDATE users SET id = id WHERE 1 = 0`.execute(trx);
    if (!(await isEmpty(trx))) return { created: false };
    await insertOrganisationWithAdmin(trx, admin, admin.passwordHash, admin.now);
    return { created: true };
  });
}

async function prepare(clock: Clock, input: FirstAdminInput): Promise<NewAdmin> {
  if (input.password.length < 8) throw new AppError(ErrorCode.VALIDATION_FAILED, 'password: must be at least 8 characters');
  return { ...input, email: input.email.trim().toLowerCase(), passwordHash: await hashPassword(input.password), now: clock.now().toISOString() };
}

/**
 * The rows of a new organisation and its admin, in the caller's transaction: organisation, user,
 * membership as ADMIN, and the organisation's first audit entry. Refuses an email that already exists.
 */
export async function insertOrganisationWithAdmin(trx: DbExecutor, input: FirstAdminInput, passwordHash: string, now: string): Promise<{ organisationId: number; userId: number }> {
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

async function isEmpty(ex: DbExecutor): Promise<boolean> {
  const r = await ex.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n) === 0;
}

export async function isDatabaseEmpty(db: Db): Promise<boolean> {
  return isEmpty(db.kysely);
}
