/**
 * Benchmarks of the events infrastructure (issue 4):
 * - webhook fan-out: events committed one by one, each to several webhooks on a local receiver, with the
 *   job runner polling as in the server; throughput (deliveries/s) and delivery lag (commit → receipt);
 * - audit list latency (p50/p99) over 100,000 entries, for the common filters, and one full verification
 *   of the hash chain.
 * Run alone with `npx tsx test/bench/sections/events.bench.ts [sqlite|postgres] [--quick]`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { TestApi } from '../../support/api-harness.js';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { eventsFixtures } from '../../support/events-fixtures.js';
import { computeAuditHash, GENESIS_HASH } from '../../../sync-server/modules/audit/audit-chain.js';

import type { BenchMetric, BenchRunOptions } from './sections.js';

export type EventsBenchOptions = Pick<BenchRunOptions, 'dialects'> & Partial<Pick<BenchRunOptions, 'quick'>>;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function startReceiver(onEvent: (eventId: string, at: number) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_id: string };
      onEvent(body.event_id, at);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Fan-out of `events` events to `webhooks` environment webhooks on one local receiver:
 * - throughput: the events are committed first, then the worker drains the outbox (deliveries/s);
 * - lag: events committed at a steady `ratePerSecond` with the runner polling as in the server, lag
 *   measured from each commit to its receipt (p50 / p99 over every delivery).
 */
async function benchFanOut(dialect: DialectName, events: number, webhooks: number, ratePerSecond: number): Promise<BenchMetric[]> {
  const api = await new TestApi(dialect).start();
  const fx = eventsFixtures(api);
  const env = await fx.environment(await fx.project());
  const committedAt = new Map<string, number>();
  const lags: number[] = [];
  let received = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  const rx = await startReceiver((eventId, at) => {
    const t0 = committedAt.get(eventId);
    if (t0 !== undefined) lags.push(at - t0);
    received++;
    if (waiter && received >= waiter.n) waiter.resolve();
  });
  const receivedAll = (n: number) => new Promise<void>((resolve) => (received >= n ? resolve() : (waiter = { n, resolve })));
  const emit = async (i: number) => {
    const { eventId } = await api.testDb.db.transaction((trx) => api.built.services.events.emit(trx, { scope: { environmentId: env.id }, eventType: 'FLAG_UPDATED', data: { i } }));
    return eventId!;
  };
  try {
    for (let i = 0; i < webhooks; i++) {
      await api.op('createEnvironmentWebhook', { params: { api_key: env.apiKey }, body: { url: `${rx.url}/hook/${i}`, secret: `secret-${i}` } });
    }
    // Throughput: a full outbox, drained.
    const emitStart = performance.now();
    for (let i = 0; i < events; i++) await emit(i);
    const emitMs = performance.now() - emitStart;
    const drainStart = performance.now();
    api.built.services.jobs.start();
    await receivedAll(events * webhooks);
    const drainMs = performance.now() - drainStart;

    // Lag: a steady stream of commits while the worker runs.
    const lagEvents = Math.min(events, ratePerSecond * 3);
    const base = received;
    const streamStart = performance.now();
    for (let i = 0; i < lagEvents; i++) {
      const due = streamStart + (i * 1000) / ratePerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t = performance.now();
      committedAt.set(await emit(i), t);
    }
    await receivedAll(base + lagEvents * webhooks);
    lags.sort((a, b) => a - b);
    return [
      { name: `${dialect}: emit (one event per transaction, ${webhooks} webhooks)`, value: round(events / (emitMs / 1000)), unit: 'events/s' },
      { name: `${dialect}: drain ${events * webhooks} deliveries (${webhooks} webhooks in parallel)`, value: round((events * webhooks) / (drainMs / 1000)), unit: 'deliveries/s' },
      { name: `${dialect}: delivery lag p50 at ${ratePerSecond} events/s × ${webhooks} webhooks`, value: round(percentile(lags, 50)), unit: 'ms' },
      { name: `${dialect}: delivery lag p99 at ${ratePerSecond} events/s × ${webhooks} webhooks`, value: round(percentile(lags, 99)), unit: 'ms' },
    ];
  } finally {
    await api.stop();
    await new Promise<void>((r) => rx.server.close(() => r()));
  }
}

/** Writes `count` chained audit entries in batches (what `record` would write, without its per-row round trips). */
async function seedAudit(api: TestApi, count: number, projects: number[], environments: { id: number; projectId: number }[]): Promise<void> {
  const k = api.testDb.db.kysely;
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  let prev = GENESIS_HASH;
  const head = await k.selectFrom('organisations').select(['audit_chain_length', 'audit_head_hash']).where('id', '=', api.organisationId).executeTakeFirstOrThrow();
  let seq = Number(head.audit_chain_length);
  prev = head.audit_head_hash ?? GENESIS_HASH;
  const batch = 500;
  for (let offset = 0; offset < count; offset += batch) {
    const rows = [];
    for (let i = offset; i < Math.min(count, offset + batch); i++) {
      seq++;
      const env = i % 3 === 0 ? null : environments[i % environments.length]!;
      const row = {
        uuid: `bench-${i}`,
        organisation_id: api.organisationId,
        project_id: env ? env.projectId : projects[i % projects.length]!,
        environment_id: env ? env.id : null,
        log: i % 2 === 0 ? `Flag state updated for feature: feature_${i % 500}` : `New version published for feature: feature_${i % 500}`,
        author_user_id: null,
        author_api_key_id: null,
        related_object_type: i % 2 === 0 ? 'FEATURE_STATE' : 'EF_VERSION',
        related_object_id: i % 2 === 0 ? i : null,
        related_object_uuid: null,
        is_system_event: false,
        created_at: new Date(start + i * 60_000).toISOString(),
        chain_seq: seq,
      };
      const hash = computeAuditHash(prev, row);
      rows.push({ ...row, prev_hash: prev, hash });
      prev = hash;
    }
    await k.insertInto('audit_log').values(rows).execute();
  }
  await k.updateTable('organisations').set({ audit_chain_length: seq, audit_head_hash: prev }).where('id', '=', api.organisationId).execute();
}

async function benchAuditList(dialect: DialectName, entries: number, iterations: number): Promise<BenchMetric[]> {
  const api = await new TestApi(dialect).start();
  const fx = eventsFixtures(api);
  try {
    const projects = [await fx.project('P1'), await fx.project('P2'), await fx.project('P3')];
    const environments: { id: number; projectId: number }[] = [];
    for (const projectId of projects) for (const name of ['Dev', 'Prod']) environments.push({ id: (await fx.environment(projectId, name)).id, projectId });
    const seedStart = performance.now();
    await seedAudit(api, entries, projects, environments);
    const seeded = performance.now() - seedStart;
    if (dialect === 'postgres') await sql`analyze`.execute(api.testDb.db.kysely);

    const cases: [string, Record<string, string | number>][] = [
      ['first page (100)', {}],
      ['by project', { project: projects[1]! }],
      ['by environment', { environments: environments[3]!.id }],
      ['search', { search: 'feature_42' }],
      ['one week', { from: '2026-02-01T00:00:00.000Z', to: '2026-02-08T00:00:00.000Z' }],
      ['page 500 of 100', { page: 500 }],
    ];
    const metrics: BenchMetric[] = [{ name: `${dialect}: seed ${entries} chained audit entries`, value: round(seeded / 1000, 2), unit: 's' }];
    for (const [label, query] of cases) {
      const times: number[] = [];
      for (let i = 0; i < iterations + 5; i++) {
        const t0 = performance.now();
        const r = await api.op('listAuditLogs', { query });
        const t = performance.now() - t0;
        if (r.status !== 200) throw new Error(`audit list ${label} answered ${r.status}`);
        if (i >= 5) times.push(t);
      }
      times.sort((a, b) => a - b);
      metrics.push({ name: `${dialect}: audit list ${label} p50`, value: round(percentile(times, 50), 2), unit: 'ms' });
      metrics.push({ name: `${dialect}: audit list ${label} p99`, value: round(percentile(times, 99), 2), unit: 'ms' });
    }
    const t0 = performance.now();
    const integrity = await api.op('getAuditLogIntegrity', { params: { organisation_pk: api.organisationId } });
    if (!integrity.body.is_valid) throw new Error('seeded chain does not verify');
    metrics.push({ name: `${dialect}: verify chain of ${integrity.body.checked_entries} entries`, value: round(performance.now() - t0), unit: 'ms' });
    return metrics;
  } finally {
    await api.stop();
  }
}

/** The events section of `npm run bench`. */
export async function runEventsBench(options: EventsBenchOptions): Promise<BenchMetric[]> {
  const quick = options.quick ?? false;
  const metrics: BenchMetric[] = [];
  for (const dialect of options.dialects) {
    metrics.push(...(await benchFanOut(dialect, quick ? 200 : 2000, quick ? 4 : 10, 50)));
    metrics.push(...(await benchAuditList(dialect, quick ? 10_000 : 100_000, quick ? 20 : 100)));
  }
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runEventsBench({ dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(70)} ${String(m.value).padStart(10)} ${m.unit}`);
}
