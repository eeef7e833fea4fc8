/**
 * Benchmarks of the SDK endpoints (issues 2 and 15), against real single-process servers seeded through the
 * Admin API (500 features × 5 segment overrides), at 50 connections, in interleaved rounds (medians):
 * - `GET /api/v1/flags/` beside a bare Fastify route serving the same bytes in its own process (the ratio
 *   is the figure; target ≥ 0.9) and the server CPU per request of each;
 * - `POST /api/v1/identities/` of 1,000 identities with 5 traits each (the same traits on every call, as
 *   SDKs send them), and with `transient: true`: req/s, p99, server CPU per request (target ≤ 0.4 ms);
 * - `GET /api/v1/identities/`, the environment document after a write against a cached read;
 * - server RSS idle and peak under load (targets ≤ 150 / ≤ 250 MiB).
 * With `BENCH_BASELINE_DIR` (another checkout, e.g. the commit before a change), a second server from
 * there runs on the same database and takes part in every round: before/after in the same run.
 * Run alone with `npx tsx test/bench/sections/sdk.bench.ts [sqlite|postgres] [--quick]`.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { tempDataDir } from '../../support/server-process.js';
import { BASELINE_DIR, benchDatabase, ROOT, startBenchServer, type BenchServer } from '../support/bench-server.js';
import { inParallel, load, median, percentile, round, signIn, treeRssMiB, type LoadRequest, type LoadResult } from '../support/measure.js';
import { identifyBodies, seedSdkEnvironment } from '../support/seed-sdk.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

async function startBare(bodyFile: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/bench/support/bare-server.ts', bodyFile, 'application/json; charset=utf-8'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveUrl(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

type Series = Record<string, LoadResult[]>;

function pushSeries(series: Series, name: string, result: LoadResult): void {
  (series[name] ??= []).push(result);
}

/** Medians of one series: req/s, p99 and CPU per request. */
function seriesMetrics(label: string, what: string, results: LoadResult[] | undefined): BenchMetric[] {
  if (!results || results.length === 0) return [];
  return [
    { name: `${label}: ${what} req/s (median of ${results.length})`, value: round(median(results.map((r) => r.rps)), 0), unit: 'req/s' },
    { name: `${label}: ${what} p99 (median)`, value: median(results.map((r) => r.p99)), unit: 'ms' },
    { name: `${label}: ${what} server CPU per request (median)`, value: round(median(results.map((r) => r.cpuMicros)), 0), unit: 'µs' },
  ];
}

function ratioMetric(label: string, name: string, a: LoadResult[] | undefined, b: LoadResult[] | undefined): BenchMetric[] {
  if (!a || !b || a.length === 0 || a.length !== b.length) return [];
  const ratios = a.map((r, i) => r.rps / b[i]!.rps);
  return [
    { name: `${label}: ${name}, median of rounds`, value: round(median(ratios), 2), unit: 'x' },
    { name: `${label}: ${name}, each round`, value: NaN, unit: ratios.map((r) => round(r, 2)).join(' ') },
  ];
}

async function benchDialect(dialect: DialectName, quick: boolean): Promise<BenchMetric[]> {
  const features = quick ? 100 : 500;
  const overrides = 5;
  const database = await benchDatabase(dialect, 'sdk');
  const server = await startBenchServer(database.env);
  let baseline: BenchServer | undefined;
  const label = `${dialect}, ${features}×${overrides}`;
  const metrics: BenchMetric[] = [];
  try {
    const t0 = performance.now();
    const seeded = await seedSdkEnvironment(server.url, features, overrides, dialect === 'postgres' ? 1 : 8).catch((error: unknown) => {
      throw new Error(`seeding on ${dialect} failed: ${error instanceof Error ? error.message : String(error)}\nserver output:\n${server.output().slice(-4000)}`);
    });
    metrics.push({ name: `${label}: seeding through the Admin API`, value: round((performance.now() - t0) / 1000), unit: 's' });
    if (BASELINE_DIR) baseline = await startBenchServer(database.env, { root: BASELINE_DIR });
    const sdkHeaders = { 'x-environment-key': seeded.environmentKey };

    // Warm the document cache, then keep the exact bytes for the baseline.
    const flags = await fetch(`${server.url}/api/v1/flags/`, { headers: sdkHeaders });
    const body = Buffer.from(await flags.arrayBuffer());
    if (!flags.ok) throw new Error(`GET /api/v1/flags/ → ${flags.status}`);
    const bodyFile = join(tempDataDir(), 'flags.json');
    writeFileSync(bodyFile, body);
    metrics.push({ name: `${label}: /api/v1/flags/ body`, value: round(body.length / 1024), unit: 'KiB' });
    metrics.push({ name: `${label}: server RSS idle (${server.entry.split(' ').pop()})`, value: treeRssMiB(server.pid), unit: 'MiB' });
    if (baseline) metrics.push({ name: `${label}: baseline server RSS idle`, value: treeRssMiB(baseline.pid), unit: 'MiB' });

    // Every identity once, so the rounds measure identify calls of known identities with unchanged traits.
    const identifyPool: LoadRequest[] = identifyBodies(1000, overrides).map((b) => ({ method: 'POST', path: '/api/v1/identities/', body: b }));
    const transientPool: LoadRequest[] = identifyBodies(1000, overrides, { transient: true }).map((b) => ({ method: 'POST', path: '/api/v1/identities/', body: b }));
    const identifyHeaders = { ...sdkHeaders, 'content-type': 'application/json' };
    await inParallel(identifyPool, 16, async (request) => {
      const r = await fetch(`${server.url}/api/v1/identities/`, { method: 'POST', headers: identifyHeaders, body: request.body! });
      if (!r.ok) throw new Error(`POST /api/v1/identities/ → ${r.status}`);
      await r.arrayBuffer();
    });

    // Alternating rounds, compared round by round: on a shared machine the load from other work drifts.
    const rounds = quick ? 2 : 5;
    const roundSec = quick ? 2 : 4;
    const series: Series = {};
    let peakRss = 0;
    const sampled = async <T>(fn: () => Promise<T>): Promise<T> => {
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssMiB(server.pid))), 250);
      try {
        return await fn();
      } finally {
        clearInterval(sampler);
      }
    };
    const bare = await startBare(bodyFile);
    try {
      for (let i = 0; i < rounds; i++) {
        pushSeries(series, 'flags', await sampled(() => load(`${server.url}/api/v1/flags/`, { headers: sdkHeaders, durationSec: roundSec, pid: server.pid })));
        pushSeries(series, 'bare', await load(`${bare.url}/api/v1/flags/`, { durationSec: roundSec, pid: bare.pid }));
        pushSeries(series, 'identify', await sampled(() => load(server.url, { headers: identifyHeaders, durationSec: roundSec, requests: identifyPool, pid: server.pid })));
        if (baseline) {
          pushSeries(series, 'baseFlags', await load(`${baseline.url}/api/v1/flags/`, { headers: sdkHeaders, durationSec: roundSec, pid: baseline.pid }));
          pushSeries(series, 'baseIdentify', await load(baseline.url, { headers: identifyHeaders, durationSec: roundSec, requests: identifyPool, pid: baseline.pid }));
        }
        pushSeries(series, 'transient', await sampled(() => load(server.url, { headers: identifyHeaders, durationSec: roundSec, requests: transientPool, pid: server.pid })));
      }
    } finally {
      bare.stop();
    }
    metrics.push(...seriesMetrics(label, 'GET /api/v1/flags/', series.flags));
    metrics.push(...seriesMetrics(label, 'bare Fastify, same bytes', series.bare));
    metrics.push(...ratioMetric(label, 'flags / bare ratio (target ≥ 0.9)', series.flags, series.bare));
    metrics.push(...seriesMetrics(label, 'POST /api/v1/identities/ 5 traits', series.identify));
    metrics.push(...seriesMetrics(label, 'POST /api/v1/identities/ transient', series.transient));
    metrics.push(...seriesMetrics(label, 'baseline GET /api/v1/flags/', series.baseFlags));
    metrics.push(...seriesMetrics(label, 'baseline POST /api/v1/identities/ 5 traits', series.baseIdentify));
    metrics.push(...ratioMetric(label, 'identify / baseline identify (target ≥ 4)', series.identify, series.baseIdentify));
    metrics.push(...ratioMetric(label, 'identify / bare ratio', series.identify, series.bare));
    metrics.push({ name: `${label}: server RSS peak under load`, value: peakRss, unit: 'MiB' });

    const identities = Array.from({ length: 1000 }, (_, i): LoadRequest => ({ path: `/api/v1/identities/?identifier=user-${i}` }));
    const ident = await load(server.url, { headers: sdkHeaders, durationSec: roundSec, requests: identities, pid: server.pid });
    metrics.push(...seriesMetrics(label, 'GET /api/v1/identities/ (1,000 identities)', [ident]));
    const errors = Object.values(series).flat().reduce((sum, r) => sum + r.errors, ident.errors);
    metrics.push({ name: `${label}: transport errors (all loads)`, value: errors, unit: 'count' });
    metrics.push(...(await benchDocumentRebuild(server.url, seeded, label, quick)));
    return metrics;
  } finally {
    await baseline?.stop();
    await server.stop();
    await database.drop();
  }
}

/** Each round changes a flag through the Admin API, then reads the document once (a rebuild) and once more (cached). */
async function benchDocumentRebuild(base: string, seeded: { environmentKey: string; serverKey: string; featureStateId: number }, label: string, quick: boolean): Promise<BenchMetric[]> {
  const api = await signIn(base);
  const rebuild: number[] = [];
  const cached: number[] = [];
  const docHeaders = { 'x-environment-key': seeded.serverKey };
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    await api('PATCH', `/api/v1/environments/${seeded.environmentKey}/featurestates/${seeded.featureStateId}/`, { enabled: i % 2 === 0 });
    let t = performance.now();
    const first = await fetch(`${base}/api/v1/environment-document/`, { headers: docHeaders });
    await first.arrayBuffer();
    rebuild.push(performance.now() - t);
    t = performance.now();
    const second = await fetch(`${base}/api/v1/environment-document/`, { headers: docHeaders });
    await second.arrayBuffer();
    cached.push(performance.now() - t);
    if (!first.ok || !second.ok) throw new Error(`GET /api/v1/environment-document/ → ${first.status}/${second.status}`);
  }
  rebuild.sort((a, b) => a - b);
  cached.sort((a, b) => a - b);
  return [
    { name: `${label}: environment document after a write (rebuild) p50`, value: round(percentile(rebuild, 50)), unit: 'ms' },
    { name: `${label}: environment document cached p50`, value: round(percentile(cached, 50)), unit: 'ms' },
  ];
}

/** The SDK section of `npm run bench`. */
export async function runSdkBench(options: BenchRunOptions): Promise<BenchMetric[]> {
  const metrics: BenchMetric[] = [];
  for (const dialect of options.dialects) metrics.push(...(await benchDialect(dialect, options.quick)));
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runSdkBench({ dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(80)} ${String(m.value).padStart(10)} ${m.unit}`);
}
