import type { Db } from '../platform/database/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { createAccessService, type AccessService } from '../modules/access/access.service.js';
import { createSqlAccessStore } from '../modules/access/access.store.sql.js';
import { createAuditService, type AuditService } from '../modules/audit/audit.service.js';
import { createAuthService, type AuthService } from '../modules/auth/auth.service.js';
import { createSqlAuthStore } from '../modules/auth/auth.store.sql.js';
import { JobRunner } from '../platform/jobs/job-runner.js';

/** What the composition root hands to services and routes. */
export interface CoreDeps {
  db: Db;
  clock: Clock;
  /** Background work after commit (D3). Started by the server process; tests drive it with `runOnce()`. */
  jobs: JobRunner;
}

/**
 * Every service of the server, created once per process by `buildApp` (D10). Modules receive the
 * services they use; a module never reaches into another module's store.
 */
export interface AppServices extends CoreDeps {
  access: AccessService;
  audit: AuditService;
  auth: AuthService;
}

export function createServices(core: Omit<CoreDeps, 'jobs'> & { jobs?: JobRunner }): AppServices {
  const deps: CoreDeps = { ...core, jobs: core.jobs ?? new JobRunner({ db: core.db, clock: core.clock }) };
  const access = createAccessService(createSqlAccessStore(deps.db));
  const audit = createAuditService(deps.clock);
  const auth = createAuthService(createSqlAuthStore(deps.db), deps.clock);
  return { ...deps, access, audit, auth };
}
