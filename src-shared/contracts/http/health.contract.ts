import { Type } from '@sinclair/typebox';
import { defineRoutes } from './route-contract.js';

const DatabaseKind = Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')], { description: 'The database this server runs on.' });

/**
 * The operator's routes, outside `/api/v1/`: liveness for a process supervisor, readiness for a load
 * balancer, and Prometheus metrics. None needs a user: `/metrics` has its own rule (loopback, or a bearer
 * token when FLAGDESK_METRICS_TOKEN is set).
 */
export const healthRoutes = defineRoutes({
  getHealth: {
    method: 'GET',
    url: '/health',
    summary: 'Liveness: the process answers. Does not touch the database, so a database outage never gets a healthy process restarted; use /ready for that.',
    tag: 'health',
    auth: 'none',
    successStatus: 200,
    response: Type.Object({ status: Type.Literal('ok'), database: DatabaseKind }),
    errors: [],
  },
  getReadiness: {
    method: 'GET',
    url: '/ready',
    summary: 'Readiness: the database answers and every migration of this build is applied. 503 UNAVAILABLE otherwise (and while the server shuts down).',
    tag: 'health',
    auth: 'none',
    successStatus: 200,
    response: Type.Object({
      status: Type.Literal('ready'),
      database: DatabaseKind,
      migrations: Type.Object({
        applied: Type.Integer({ description: 'Migrations applied to the database.' }),
        latest: Type.String({ description: 'Name of the newest migration of this build.' }),
      }),
    }),
    errors: ['UNAVAILABLE'],
  },
  getMetrics: {
    method: 'GET',
    url: '/metrics',
    summary:
      'Prometheus metrics (text exposition format): HTTP requests and latency by route pattern, SDK document cache hits and rebuilds, outbox queue depth, webhook delivery and job failures, scheduler lag, database pool use, and Node process metrics. ' +
      'Without FLAGDESK_METRICS_TOKEN only loopback callers get them (403 otherwise); with it, every caller needs `Authorization: Bearer <token>` (401 otherwise).',
    tag: 'health',
    auth: 'none',
    successStatus: 200,
    response: Type.String({ description: 'Prometheus text format, version 0.0.4.' }),
    errors: ['UNAUTHENTICATED', 'PERMISSION_DENIED'],
  },
});
