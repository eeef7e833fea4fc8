import type { Db, DbExecutor } from '../platform/database/database.js';
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
import { createFeaturesService, type FeaturesService } from '../modules/features/features.service.js';
import { createFeatureStatesService, type FeatureStatesService } from '../modules/features/feature-states.service.js';
import { createSqlFeaturesStore } from '../modules/features/features.store.sql.js';
import { createSegmentsService, type SegmentsService } from '../modules/segments/segments.service.js';
import { createSqlSegmentsStore } from '../modules/segments/segments.store.sql.js';
import { createFeatureSegmentsService, type FeatureSegmentsService } from '../modules/segments/feature-segments.service.js';
import { createSqlFeatureSegmentsStore } from '../modules/segments/feature-segments.store.sql.js';
import { createIdentitiesService, type IdentitiesService } from '../modules/identities/identities.service.js';
import { createSqlIdentitiesStore } from '../modules/identities/identities.store.sql.js';
import { createVersionsService, type VersionsService } from '../modules/versions/versions.service.js';
import { createSqlVersionsStore } from '../modules/versions/versions.store.sql.js';
import { registerVersionScheduler } from '../modules/versions/version-scheduler.js';
import { createReleasePipelinesService, type ReleasePipelinesService } from '../modules/release-pipelines/release-pipelines.service.js';
import { createSqlReleasePipelinesStore } from '../modules/release-pipelines/release-pipelines.store.sql.js';
import { registerReleasePipelineTriggers } from '../modules/release-pipelines/release-pipeline-triggers.js';
import { joinTransaction } from '../modules/release-pipelines/joined-transaction.js';
import { createSdkService, type SdkService } from '../modules/sdk/sdk.service.js';
import { createSqlSdkStore } from '../modules/sdk/sdk.store.sql.js';
import { createDocumentCache } from '../modules/sdk/document-cache.js';
import { createMigrationService, registerMigrationJobs, type MigrationService } from '../modules/migration/migration.service.js';
import { createSqlMigrationStore } from '../modules/migration/migration.store.sql.js';
import { createExperimentsService, type ExperimentsService } from '../modules/experiments/experiments.service.js';
import { createSyncService, type SyncService } from '../modules/sync/sync.service.js';
import { createSqlSyncStore } from '../modules/sync/sync.store.sql.js';
import { SyncHub } from '../modules/sync/sync-hub.js';
import { createChangeRequestsService, type ChangeRequestsService } from '../modules/change-requests/change-requests.service.js';
import type { ServerMetrics } from '../platform/metrics/server-metrics.js';
import { createMetricsSources } from './metrics-sources.js';
import { createSqlChangeRequestsStore } from '../modules/change-requests/change-requests.store.sql.js';
import { createImpactService, type ImpactService } from '../modules/impact/impact.service.js';
import { createImpactJobs, type ImpactJobs } from '../modules/impact/impact-jobs.js';
import { createIdentityPopulation } from '../modules/identities/identity-population.sql.js';

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
  /** Features and their multivariate options. */
  features: FeaturesService;
  /** Environment defaults and segment-override feature states (v1 saves). */
  featureStates: FeatureStatesService;
  /** Segments of a project (rules trees). */
  segments: SegmentsService;
  /** Segment overrides' containers (feature segments), their order and the plan limit on them. */
  featureSegments: FeatureSegmentsService;
  /** Identities, traits and identity overrides; the SDK module identifies through it. */
  identities: IdentitiesService;
  /** Feature versions (v2): drafts, publishing, scheduling; `liveVersionUuids` tells the SDK what is live. */
  versions: VersionsService;
  /** Release pipelines: stages over v2 environments, triggers and actions, promotion of exact versions. */
  releasePipelines: ReleasePipelinesService;
  /** The SDK API: cached environment documents and remote evaluation. */
  sdk: SdkService;
  /** Enabling / disabling Feature Versioning v2 on an environment: background jobs with progress. */
  migration: MigrationService;
  /** Flagsmith's experimental update-flag endpoints: in place on v1, one published version per call on v2. */
  experiments: ExperimentsService;
  /** Replication of the desktop replica (D6): pull by change sequence, push of drafts and intents, live stream. */
  sync: SyncService;
  /** Change requests (issue 5): approvals bound to content, all-or-none commits, rebase of scheduled changes. */
  changeRequests: ChangeRequestsService;
  /** Impact previews (issue 14): who a change affects, over every stored identity. */
  impact: ImpactService;
  /** The previews running in this process (cancelled at shutdown). */
  impactJobs: ImpactJobs;
}

/** Settings of the events infrastructure (issue 4), from config in the server and shortened in tests. */
export interface EventServicesOptions {
  email?: EmailSettings;
  webhooks?: WebhookDeliveryOptions;
  logger?: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** PostgreSQL connection string the sync hub LISTENs on; without it the hub polls the change feed. */
  syncListenUrl?: string | undefined;
  /** `/metrics`: counters the services bump, and the scrape-time reads of queue depth and scheduler lag. */
  metrics?: ServerMetrics;
}

export function createServices(core: Omit<CoreDeps, 'jobs'> & { jobs?: JobRunner }, options: EventServicesOptions = {}): AppServices {
  const deps: CoreDeps = { ...core, jobs: core.jobs ?? new JobRunner({ db: core.db, clock: core.clock }) };
  const access = createAccessService(createSqlAccessStore(deps.db));
  const webhooksStore = createSqlWebhooksStore(deps.db);
  const delivery = resolveDeliveryOptions(options.webhooks);
  const nudge = () => deps.jobs.nudge();
  const events = createEventsService(webhooksStore, deps.clock, { maxAttempts: delivery.maxAttempts, nudge });
  deps.jobs.addWorker('webhooks.deliver', new WebhookDeliveryWorker(webhooksStore, deps.clock, delivery, options.logger, options.metrics));
  const audit = createAuditService(deps.clock, { store: createSqlAuditStore(deps.db), access, events });
  const webhooks = createWebhooksService({ db: deps.db, clock: deps.clock, store: webhooksStore, access, audit, nudge, testTimeoutMs: delivery.timeoutMs });
  const email = createEmailService({ store: createSqlEmailStore(deps.db), clock: deps.clock, access, jobs: deps.jobs, settings: options.email ?? { from: 'Flagdesk <flagdesk@localhost>' }, logger: options.logger });
  const auth = createAuthService(createSqlAuthStore(deps.db), deps.clock);
  const tenancy = { db: deps.db, clock: deps.clock, access, audit };
  const organisations = createOrganisationsService({ ...tenancy, store: createSqlOrganisationsStore(), hashPassword: auth.hashPassword });
  const permissions = createPermissionsService({ ...tenancy, store: createSqlPermissionsStore(), organisations });
  const projects = createProjectsService({ ...tenancy, store: createSqlProjectsStore(), permissions });
  const environments = createEnvironmentsService({ ...tenancy, store: createSqlEnvironmentsStore(), permissions });
  const featuresStore = createSqlFeaturesStore();
  const features = createFeaturesService({ ...tenancy, store: featuresStore, events, environments, versions: { createInitialVersion: (...a) => versions.createInitialVersion(...a), liveVersionUuids: (...a) => versions.liveVersionUuids(...a) } });
  // `versions` is created below; the closure reads it at call time (v2: the live version per feature).
  const featureStates = createFeatureStatesService({ ...tenancy, store: featuresStore, events, environments, versions: { liveVersionUuids: (...a) => versions.liveVersionUuids(...a), refreshContentFromStates: (...a) => versions.refreshContentFromStates(...a), versionContent: (...a) => versions.versionContent(...a), updateState: (...a) => versions.updateState(...a) } });
  const segmentsStore = createSqlSegmentsStore();
  const featureSegmentsStore = createSqlFeatureSegmentsStore();
  const segments = createSegmentsService({ ...tenancy, store: segmentsStore, featureSegments: featureSegmentsStore, features, events });
  // v2 environments count only the overrides of live versions (plan limits); `versions` is created below.
  const featureSegments = createFeatureSegmentsService({ ...tenancy, store: featureSegmentsStore, segments: segmentsStore, features, events, environments, organisations, countV2Overrides: (ex, env) => versions.countLiveSegmentOverrides(ex, env.id), liveVersionUuids: (...a) => versions.liveVersionUuids(...a), addDraftOverride: (...a) => versions.createState(...a) });
  // `sdk` is created next (it identifies through `identities`); the closure reads it at call time.
  const identities = createIdentitiesService({ ...tenancy, store: createSqlIdentitiesStore(), events, features, documents: { documentForAdmin: (environmentId) => sdk.documentForAdmin(environmentId) } });
  const sdk = createSdkService({ cache: createDocumentCache({ db: deps.db, clock: deps.clock, store: createSqlSdkStore(), ...(options.metrics ? { metrics: options.metrics } : {}) }), identities });
  const versionsStore = createSqlVersionsStore(deps.db);
  options.metrics?.setSources(createMetricsSources({ db: deps.db, clock: deps.clock, webhooks: webhooksStore, versions: versionsStore }));
  const versions = createVersionsService({ db: deps.db, clock: deps.clock, store: versionsStore, access, audit, events, email, organisations, logger: options.logger });
  registerVersionScheduler(deps.jobs, versions);
  // A pipeline step publishes through the versions service bound to the step's transaction (D3): its
  // versions, audit entries and events commit or roll back with the step's own rows.
  const versionsIn = (trx: DbExecutor) => {
    const joined = joinTransaction(deps.db, trx);
    return createVersionsService({ db: joined, clock: deps.clock, store: createSqlVersionsStore(joined), access: createAccessService(createSqlAccessStore(joined)), audit, events, email, organisations, logger: options.logger });
  };
  const releasePipelines = createReleasePipelinesService({ db: deps.db, clock: deps.clock, store: createSqlReleasePipelinesStore(deps.db.kind), access, audit, events, versions, versionsIn, logger: options.logger });
  registerReleasePipelineTriggers(deps.jobs, releasePipelines);
  const migration = createMigrationService({ db: deps.db, clock: deps.clock, store: createSqlMigrationStore(deps.db.kind), access, audit, versions, nudge });
  registerMigrationJobs(deps.jobs, migration);
  const experiments = createExperimentsService({ access, environments, features, featureStates, segments, featureSegments, versions, migration });
  const changeRequests = createChangeRequestsService({ db: deps.db, clock: deps.clock, store: createSqlChangeRequestsStore(deps.db), access, audit, email, versions });
  const syncStore = createSqlSyncStore();
  const sync = createSyncService({ db: deps.db, clock: deps.clock, store: syncStore, access, versions, changeRequests, hub: new SyncHub(deps.db, syncStore, { listenUrl: options.syncListenUrl, logger: options.logger }) });
  const impactJobs = createImpactJobs({ clock: deps.clock, population: createIdentityPopulation(deps.db) });
  const impact = createImpactService({ db: deps.db, access, jobs: impactJobs, sdk, features, versions, changeRequests });
  return { ...deps, access, audit, auth, events, webhooks, email, organisations, permissions, projects, environments, identities, segments, featureSegments, features, featureStates, sdk, versions, migration, experiments, changeRequests, releasePipelines, sync, impact, impactJobs };
}
