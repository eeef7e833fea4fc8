import { createHash, timingSafeEqual } from 'node:crypto';
import { healthRoutes } from '../../../src-shared/contracts/http/health.contract.js';
import { AppError } from '../../../src-shared/errors/app-error.js';
import { route, type HttpApp } from '../../app/http/http-app.js';
import type { Db } from '../../platform/database/database.js';
import { migrationStatus } from '../../platform/migrations/migrate.js';
import type { ServerMetrics } from '../../platform/metrics/server-metrics.js';

export interface HealthRoutesDeps {
  db: Db;
  metrics: ServerMetrics;
  /** FLAGDESK_METRICS_TOKEN: when set, `/metrics` needs it as a bearer token; unset, loopback callers only. */
  metricsToken?: string | undefined;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Who may read `/metrics`. The numbers name routes and queue sizes, not tenants' data, but they still
 * describe the installation, so by default only the machine itself (a local Prometheus or agent) reads
 * them. A token opens them to a remote scraper; a token compare never leaks its length or prefix.
 */
function checkMetricsAccess(ip: string, authorization: string | undefined, token: string | undefined): void {
  if (token === undefined) {
    if (isLoopback(ip)) return;
    throw new AppError('PERMISSION_DENIED', 'Metrics are served to loopback callers only; set FLAGDESK_METRICS_TOKEN to scrape from another host.');
  }
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  if (given === undefined || !timingSafeEqual(digest(given), digest(token))) {
    throw new AppError('UNAUTHENTICATED', 'Metrics need `Authorization: Bearer <FLAGDESK_METRICS_TOKEN>`.');
  }
}

export function registerHealthRoutes(app: HttpApp, deps: HealthRoutesDeps): void {
  const { db, metrics } = deps;
  route(app, 'getHealth', healthRoutes.getHealth, async () => ({ status: 'ok' as const, database: db.kind }));

  route(app, 'getReadiness', healthRoutes.getReadiness, async () => {
    let status;
    try {
      status = await migrationStatus(db);
    } catch (cause) {
      throw new AppError('UNAVAILABLE', 'Database unreachable.', { cause, details: { reason: 'DATABASE_UNREACHABLE' } });
    }
    if (status.pending.length > 0) {
      throw new AppError('UNAVAILABLE', `Database migrations pending: ${status.pending.join(', ')}.`, { details: { reason: 'MIGRATIONS_PENDING', pending: status.pending } });
    }
    return { status: 'ready' as const, database: db.kind, migrations: { applied: status.applied, latest: status.latest } };
  });

  route(app, 'getMetrics', healthRoutes.getMetrics, async ({ request, reply }) => {
    checkMetricsAccess(request.ip, request.headers.authorization, deps.metricsToken);
    const text = await metrics.registry.metrics();
    reply.type(metrics.registry.contentType);
    return text;
  });
}
