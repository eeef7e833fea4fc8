import type { Db } from '../platform/database/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { createAccessService, type AccessService } from '../modules/access/access.service.js';
import { createSqlAccessStore } from '../modules/access/access.store.sql.js';
import { createAuditService, type AuditService } from '../modules/audit/audit.service.js';
import { createAuthService, type AuthService } from '../modules/auth/auth.service.js';
import { createSqlAuthStore } from '../modules/auth/auth.store.sql.js';
import { JobRunner } from '../platform/jobs/job-runner.js';
import type { FastifyBaseLogger } from 'fastify';
import { createSqlAuditStore } from '../modules/audit/audit.store.sql.js';
import { createEventsService, type EventsService } from '../modules/webhooks/events.service.js';
import { createWebhooksService, type WebhooksService } from '../modules/webhooks/webhooks.service.js';
import { createSqlWebhooksStore } from '../modules/webhooks/webhooks.store.sql.js';
import { resolveDeliveryOptions, WebhookDeliveryWorker, type WebhookDeliveryOptions } from '../modules/webhooks/webhook-delivery.worker.js';
import { createEmailService, type EmailService, type EmailSettings } from '../modules/email/email.service.js';
import { createSqlEmailStore } from '../modules/email/email.store.sql.js';
import { createOrganisationsService, type OrganisationsService } from '../modules/organisations/organisations.service.js';
import { createSqlOrganisationsStore } from '../modules/organisations/organisations.store.sql.js';
import { createPermissionsService, type PermissionsService } from '../modules/permissions/permissions.service.js';
import { createSqlPermissionsStore } from '../modules/permissions/permissions.store.sql.js';
import { createProjectsService, type ProjectsService } from '../modules/projects/projects.service.js';
import { createSqlProjectsStore } from '../modules/projects/projects.store.sql.js';
import { createEnvironmentsService, type EnvironmentsService } from '../modules/environments/environments.service.js';
import { createSqlEnvironmentsStore } from '../modules/environments/environments.store.sql.js';

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
  /** The webhook outbox: other modules emit events inside their write transactions. */
  events: EventsService;
  webhooks: WebhooksService;
  email: EmailService;
  /** The tenant tree and access management. */
  organisations: OrganisationsService;
  permissions: PermissionsService;
  projects: ProjectsService;
  environments: EnvironmentsService;
}

/** Settings of the events infrastructure (issue 4), from config in the server and shortened in tests. */
export interface EventServicesOptions {
  email?: EmailSettings;
  webhooks?: WebhookDeliveryOptions;
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
}

export function createServices(core: Omit<CoreDeps, 'jobs'> & { jobs?: JobRunner }, options: EventServicesOptions = {}): AppServices {
  const deps: CoreDeps = { ...core, jobs: core.jobs ?? new JobRunner({ db: core.db, clock: core.clock }) };
  const access = createAccessService(createSqlAccessStore(deps.db));
  const webhooksStore = createSqlWebhooksStore(deps.db);
  const delivery = resolveDeliveryOptions(options.webhooks);
  const nudge = () => deps.jobs.nudge();
  const events = createEventsService(webhooksStore, deps.clock, { maxAttempts: delivery.maxAttempts, nudge });
  deps.jobs.addWorker('webhooks.deliver', new WebhookDeliveryWorker(webhooksStore, deps.clock, delivery, options.logger));
  const audit = createAuditService(deps.clock, { store: createSqlAuditStore(deps.db), access, events });
  const webhooks = createWebhooksService({ db: deps.db, clock: deps.clock, store: webhooksStore, access, audit, nudge });
  const email = createEmailService({ store: createSqlEmailStore(deps.db), clock: deps.clock, access, jobs: deps.jobs, settings: options.email ?? { from: 'Flagdesk <flagdesk@localhost>' }, logger: options.logger });
  const auth = createAuthService(createSqlAuthStore(deps.db), deps.clock);
  const tenancy = { db: deps.db, clock: deps.clock, access, audit };
  const organisations = createOrganisationsService({ ...tenancy, store: createSqlOrganisationsStore(), hashPassword: auth.hashPassword });
  const permissions = createPermissionsService({ ...tenancy, store: createSqlPermissionsStore(), organisations });
  const projects = createProjectsService({ ...tenancy, store: createSqlProjectsStore(), permissions });
  const environments = createEnvironmentsService({ ...tenancy, store: createSqlEnvironmentsStore(), permissions });
  return { ...deps, access, audit, auth, events, webhooks, email, organisations, permissions, projects, environments };
}
