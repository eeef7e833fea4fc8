import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../database/database.js';

/**
 * What the server reads at scrape time, from the database: the values are shared by every instance on
 * one database, so any instance answers for the queues and the scheduler.
 */
export interface MetricsSources {
  /** Work waiting in each outbox queue (`webhooks`: deliveries not yet delivered or dead; `jobs`: pending and running jobs). */
  outboxDepth(): Promise<Record<string, number>>;
  /** Seconds the most overdue scheduled version is past its `live_from` (0 when none is due). */
  schedulerLagSeconds(): Promise<number>;
  /** Undefined on SQLite. */
  poolStats(): PoolStats | undefined;
}

/**
 * The Prometheus metrics of one server process (served at `/metrics`). Counters are per process; the
 * gauges read from the database at scrape time describe the shared queues. One registry per app, so
 * tests that build several apps in one process never share counts.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  /** One answered HTTP request; `route` is the route pattern (`/api/v1/projects/:id/`), never the raw URL. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** The SDK environment-document cache: a lookup served from memory (`hit`), or a document rebuilt from the database (`rebuild`; concurrent lookups share one). */
  countDocumentLookup(result: 'hit' | 'rebuild'): void;
  /** A webhook delivery attempt that failed: retried later (`retry`) or given up (`dead`). */
  countDeliveryFailure(outcome: 'retry' | 'dead'): void;
  /** A background job that failed (it is retried with backoff until dead). */
  countJobFailure(kind: string): void;
  /** Connects the scrape-time gauges; until then they report nothing. */
  setSources(sources: MetricsSources): void;
}

/** Latency buckets in seconds: from a cached SDK read (~1 ms) to a slow publish. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `withProcessMetrics`: also Node's own (CPU, memory, event-loop lag, GC), for the server process; tests leave it off. */
export function createServerMetrics(options: { withProcessMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.withProcessMetrics) collectDefaultMetrics({ register: registry });
  let sources: MetricsSources | undefined;

  const requests = new Counter({ name: 'flagdesk_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status code.', labelNames: ['method', 'route', 'status_code'], registers: [registry] });
  const latency = new Histogram({ name: 'flagdesk_http_request_duration_seconds', help: 'Time to answer an HTTP request, by method and route pattern.', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const documents = new Counter({ name: 'flagdesk_sdk_document_cache_total', help: 'SDK environment-document cache: lookups served from memory (hit), and documents rebuilt from the database (rebuild; concurrent lookups share one).', labelNames: ['result'], registers: [registry] });
  const deliveryFailures = new Counter({ name: 'flagdesk_webhook_delivery_failures_total', help: 'Failed webhook delivery attempts, by outcome (retry later, or dead).', labelNames: ['outcome'], registers: [registry] });
  const jobFailures = new Counter({ name: 'flagdesk_job_failures_total', help: 'Failed background jobs (email, migration, pipeline triggers), by kind.', labelNames: ['kind'], registers: [registry] });
  for (const result of ['hit', 'rebuild']) documents.inc({ result }, 0);
  for (const outcome of ['retry', 'dead']) deliveryFailures.inc({ outcome }, 0);

  new Gauge({
    name: 'flagdesk_outbox_queue_depth',
    help: 'Work waiting in the outbox, by queue (webhooks: undelivered deliveries; jobs: pending and running jobs). Shared by all instances on the database.',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      if (!sources) return;
      this.reset();
      for (const [queue, depth] of Object.entries(await sources.outboxDepth())) this.set({ queue }, depth);
    },
  });
  new Gauge({
    name: 'flagdesk_scheduler_lag_seconds',
    help: 'How long the most overdue scheduled version has been past its live_from without going live (0 when none is due).',
    registers: [registry],
    async collect() {
      if (sources) this.set(await sources.schedulerLagSeconds());
    },
  });
  new Gauge({
    name: 'flagdesk_db_pool_connections',
    help: 'PostgreSQL connection pool of this process, by state (in_use, idle, waiting requests, max). Absent on SQLite.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = sources?.poolStats();
      if (!stats) return;
      this.set({ state: 'in_use' }, stats.total - stats.idle);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
      this.set({ state: 'max' }, stats.max);
    },
  });

  return {
    registry,
    observeRequest(method, route, statusCode, seconds) {
      requests.inc({ method, route, status_code: String(statusCode) });
      latency.observe({ method, route }, seconds);
    },
    countDocumentLookup: (result) => documents.inc({ result }),
    countDeliveryFailure: (outcome) => deliveryFailures.inc({ outcome }),
    countJobFailure: (kind) => jobFailures.inc({ kind }),
    setSources(s) {
      sources = s;
    },
  };
}
