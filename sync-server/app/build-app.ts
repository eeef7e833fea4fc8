import { existsSync } from 'node:fs';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { AjvCompiler } from '@fastify/ajv-compiler';
import { buildContentSecurityPolicy } from '../../src-shared/domain/security/content-security-policy.js';
import { AppErrorWireSchema, ValidationIssueSchema } from '../../src-shared/errors/app-error.js';
import type { Db } from '../platform/database/database.js';
import type { Clock } from '../platform/clock/clock.js';
import { systemClock } from '../platform/clock/clock.js';
import { installErrorHandler } from './http/error-handler.js';
import { installAuthHook } from './http/auth-hook.js';
import { lazySerializerFactory, lazyValidator } from './http/lazy-schemas.js';
import { answerFrameworkError, installInputGuards } from './http/input-guards.js';
import { MAX_PATH_PARAM_LENGTH } from '../../src-shared/contracts/http/route-contract.js';
import type { HttpApp } from './http/http-app.js';
import { createServices, type AppServices } from './services.js';
import { JobRunner } from '../platform/jobs/job-runner.js';
import { registerAuthRoutes } from '../modules/auth/auth.routes.js';
import { registerFirstRunRoutes } from '../modules/organisations/first-run.routes.js';
import { createFirstRunService } from '../modules/organisations/first-run.js';
import { registerHealthRoutes } from '../modules/health/health.routes.js';
import { registerWebhookRoutes } from '../modules/webhooks/webhooks.routes.js';
import { registerAuditRoutes } from '../modules/audit/audit.routes.js';
import { registerEmailRoutes } from '../modules/email/email.routes.js';
import { registerOrganisationRoutes } from '../modules/organisations/organisations.routes.js';
import { registerProjectRoutes } from '../modules/projects/projects.routes.js';
import { registerEnvironmentRoutes } from '../modules/environments/environments.routes.js';
import { registerPermissionRoutes } from '../modules/permissions/permissions.routes.js';
import { registerFeatureRoutes } from '../modules/features/features.routes.js';
import { registerSegmentRoutes } from '../modules/segments/segments.routes.js';
import { registerIdentityRoutes } from '../modules/identities/identities.routes.js';
import { registerSdkRoutes } from '../modules/sdk/sdk.routes.js';
import { registerVersionRoutes } from '../modules/versions/versions.routes.js';
import { registerImpactRoutes } from '../modules/impact/impact.routes.js';
import { registerReleasePipelineRoutes } from '../modules/release-pipelines/release-pipelines.routes.js';
import { registerMigrationRoutes } from '../modules/migration/migration.routes.js';
import { registerExperimentRoutes } from '../modules/experiments/experiments.routes.js';
import { registerSyncRoutes } from '../modules/sync/sync.routes.js';
import { registerChangeRequestRoutes } from '../modules/change-requests/change-requests.routes.js';
import type { EmailSettings } from '../modules/email/email.service.js';
import type { WebhookDeliveryOptions } from '../modules/webhooks/webhook-delivery.worker.js';
import { createServerMetrics, type ServerMetrics } from '../platform/metrics/server-metrics.js';

export interface BuildAppDeps {
  db: Db;
  clock?: Clock;
  /** A pino logger instance; none (silent) when absent, as in tests. */
  logger?: FastifyServerOptions['loggerInstance'];
  bodyLimitBytes?: number;
  /** Built renderer to serve at `/` as the web dashboard; skipped when the folder is missing. */
  rendererDir?: string;
  /** SMTP and From address; without `smtpUrl`, emails are kept in the database. */
  email?: EmailSettings;
  /** Webhook delivery tuning (timeouts, attempts, backoff); tests shorten them. */
  webhooks?: WebhookDeliveryOptions;
  /** Lease of a claimed background job (renewed while it runs); a dead instance's jobs are taken over after it. Default 60 s. */
  jobLeaseMs?: number;
  /** PostgreSQL connection string for the sync live stream's LISTEN (ADR 0006); absent: the stream polls the change feed. */
  databaseUrl?: string | undefined;
  /** Prometheus metrics served at `/metrics`; a fresh registry (without process metrics) when absent. */
  metrics?: ServerMetrics;
  /** FLAGDESK_METRICS_TOKEN (see the health module). */
  metricsToken?: string | undefined;
  /** Log each request and its response (Fastify's request logging, at info). Default true when a logger is given. */
  logRequests?: boolean;
}

export interface BuiltApp {
  app: HttpApp;
  services: AppServices;
  metrics: ServerMetrics;
  /** Every route registered, with its operationId (undefined for plugin routes such as the docs UI). */
  routes: { method: string; url: string; operationId: string | undefined }[];
}

const DASHBOARD_CSP = buildContentSecurityPolicy();

/**
 * Query strings and path params arrive as text, so they are validated with type coercion ("5" → 5).
 * JSON bodies are not: they carry their own types, and coercing them is wrong twice over: a string "5"
 * would pass for an integer, and in a nullable field (`anyOf [null, T]`) Ajv coerces `false`, `0` and
 * `""` to null (with the other order, null to `false`, 0 or ""). Bodies get an Ajv without coercion.
 */
function installBodyValidator(app: HttpApp): void {
  const buildCompiler = AjvCompiler();
  const options = { allErrors: false, useDefaults: true, removeAdditional: false } as const;
  let compilers: { body: ReturnType<typeof buildCompiler>; other: ReturnType<typeof buildCompiler> } | undefined;
  app.setValidatorCompiler((route) => {
    // Built when the first route is registered, once every shared schema (app.addSchema) is known; each
    // route's validator is then compiled on its first request (lazy-schemas.ts).
    compilers ??= {
      // Typeless body fields are deliberate (value fields the services type-check, bounded by `maxLength`
      // when they hold a string; optional bodies with `properties`): strictTypes would only log about them.
      body: buildCompiler(app.getSchemas() as Record<string, object>, { customOptions: { ...options, coerceTypes: false, strictTypes: false } }),
      other: buildCompiler(app.getSchemas() as Record<string, object>, { customOptions: { ...options, coerceTypes: 'array' } }),
    };
    const compile = route.httpPart === 'body' ? compilers.body : compilers.other;
    return lazyValidator(() => compile(route as never));
  });
}

/**
 * Counts every answered request by its route pattern (`request.routeOptions.url`), so the label set stays
 * the size of the route table whatever URLs callers send; requests that matched no route share one label.
 */
function installRequestMetrics(app: HttpApp, metrics: ServerMetrics): void {
  // Counted as the answer is sent (onSend), not after it has gone out (onResponse): a caller that reads
  // /metrics right after its request always finds that request counted.
  app.addHook('onSend', async (request, reply, payload) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    return payload;
  });
}

/** The server's composition root (D10): creates services, registers every route. Does not listen. */
export async function buildApp(deps: BuildAppDeps): Promise<BuiltApp> {
  const clock = deps.clock ?? systemClock;
  const metrics = deps.metrics ?? createServerMetrics();
  const services = createServices(
    { db: deps.db, clock, jobs: new JobRunner({ db: deps.db, clock, metrics, ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.jobLeaseMs ? { leaseMs: deps.jobLeaseMs } : {}) }) },
    { ...(deps.email ? { email: deps.email } : {}), ...(deps.webhooks ? { webhooks: deps.webhooks } : {}), ...(deps.logger ? { logger: deps.logger } : {}), syncListenUrl: deps.databaseUrl, metrics },
  );
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', useDefaults: true, removeAdditional: false } },
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildSerializer: lazySerializerFactory } },
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    ...(deps.logRequests === false ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>() as HttpApp;

  const routes: BuiltApp['routes'] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url, operationId: r.config?.operationId });
  });
  app.addSchema(ValidationIssueSchema);
  app.addSchema(AppErrorWireSchema);
  installBodyValidator(app);
  installErrorHandler(app);
  installRequestMetrics(app, metrics);
  installAuthHook(app, services.auth);
  installInputGuards(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Flagdesk API', version: '1', description: 'Flagsmith-compatible Admin and SDK API of the Flagdesk sync server. Errors: `{code, message, details?, id?}`; see each route for its codes.' },
      components: {
        securitySchemes: {
          Token: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Token <key>` from POST /api/v1/auth/login/' },
          ApiKey: { type: 'apiKey', in: 'header', name: 'Authorization', description: '`Api-Key <key>`, an organisation API key' },
          EnvironmentKey: { type: 'apiKey', in: 'header', name: 'X-Environment-Key', description: 'Environment client-side key, or a server-side key (`ser.…`)' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  registerHealthRoutes(app, { db: deps.db, metrics, metricsToken: deps.metricsToken });
  registerAuthRoutes(app, services.auth);
  registerFirstRunRoutes(app, createFirstRunService({ db: deps.db, clock, auth: services.auth }));
  registerWebhookRoutes(app, services.webhooks);
  registerAuditRoutes(app, services.audit);
  registerEmailRoutes(app, services.email);
  registerOrganisationRoutes(app, services.organisations);
  registerProjectRoutes(app, services.projects);
  registerEnvironmentRoutes(app, services.environments);
  registerPermissionRoutes(app, services.permissions);
  registerFeatureRoutes(app, services.features, services.featureStates);
  registerSegmentRoutes(app, services.segments, services.featureSegments);
  registerIdentityRoutes(app, services.identities);
  registerSdkRoutes(app, services.sdk);
  registerVersionRoutes(app, services.versions);
  registerReleasePipelineRoutes(app, services.releasePipelines);
  registerMigrationRoutes(app, services.migration);
  registerExperimentRoutes(app, services.experiments);
  registerSyncRoutes(app, services.sync);
  registerChangeRequestRoutes(app, services.changeRequests);
  registerImpactRoutes(app, services.impact, services.changeRequests);

  if (deps.rendererDir && existsSync(deps.rendererDir)) {
    await app.register(fastifyStatic, {
      root: deps.rendererDir,
      prefix: '/',
      wildcard: false,
      index: ['index.html'],
      // The dashboard's files only: the API docs page (swagger UI) needs inline scripts and keeps its own.
      setHeaders: (reply) => {
        reply.header('content-security-policy', DASHBOARD_CSP);
        reply.header('x-content-type-options', 'nosniff');
        reply.header('referrer-policy', 'no-referrer');
      },
    });
  }

  await app.ready();
  return { app, services, metrics, routes };
}
