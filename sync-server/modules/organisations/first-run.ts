import { sql } from 'kysely';
import type { Db } from '../../platform/database/database.js';
import type { Clock } from '../../platform/clock/clock.js';
import { hashPassword } from '../../platform/security/secrets.js';
import { preconditionFailed, validationFailed } from '../../../src-shared/errors/app-error.js';
import type { AuthService } from '../auth/auth.service.js';
import { insertOrganisationWithAdmin, type FirstAdminInput } from './organisation-bootstrap.js';

/**
 * The first run of an empty server from the dashboard's sign-in page. Creating the first administrator
 * works only while the server has no user; two requests racing on an empty server make one
 * administrator, and the other is refused.
 */
export interface FirstRunService {
  needsFirstAdmin(): Promise<boolean>;
  /** Creates the organisation and its admin, then signs the admin in. PRECONDITION_FAILED once any user exists. */
  createFirstAdmin(input: FirstAdminInput): Promise<{ key: string; organisation: number }>;
}

const ALREADY_SET_UP = 'This server already has users: sign in, or ask an administrator to add you.';

export function createFirstRunService(deps: { db: Db; clock: Clock; auth: Pick<AuthService, 'login'> }): FirstRunService {
  const { db, clock, auth } = deps;

  async function countUsers(ex: Db['kysely']): Promise<number> {
    const r = await ex.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  return {
    async needsFirstAdmin() {
      return (await countUsers(db.kysely)) === 0;
    },
    async createFirstAdmin(input) {
      if (input.organisationName.trim() === '') throw validationFailed('body/organisation_name', 'must not be blank');
      // Cheap refusal first: a set-up server never pays for hashing a password.
      if ((await countUsers(db.kysely)) > 0) throw preconditionFailed(ALREADY_SET_UP);
      const passwordHash = await hashPassword(input.password);
      const now = clock.now().toISOString();
      const { organisationId } = await db.transaction(async (trx) => {
        // PostgreSQL: a lock that conflicts with itself and with inserts, so of two racing requests the
        // second counts after the first committed. SQLite runs one write transaction at a time anyway.
        if (db.kind === 'postgres') await sql`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
        if ((await countUsers(trx)) > 0) throw preconditionFailed(ALREADY_SET_UP);
        return insertOrganisationWithAdmin(trx, input, passwordHash, now);
      });
      const { key } = await auth.login(input.email, input.password);
      return { key, organisation: organisationId };
    },
  };
}
