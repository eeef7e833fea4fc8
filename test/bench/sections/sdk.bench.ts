/**
 * Benchmarks of the SDK endpoints (issue 2):
 * - `GET /api/v1/flags/` req/s and p99 at 50 connections for an environment of 500 features × 5 segment
 *   overrides, beside a bare Fastify route serving the same bytes in its own process in the same run
 *   (the ratio is the figure; the target is ≥ 0.6);
 * - identities endpoint req/s (1,000 identities with a trait that matches a segment);
 * - environment-document rebuild after a write, against a cached read;
 * - server RSS idle and under load.
 * Everything runs against a real server process (`sync-server/app/main.ts`), seeded through the Admin API.
 * Run alone with `npx tsx test/bench/sections/sdk.bench.ts [sqlite|postgres] [--quick]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { PG_ADMIN_URL } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Resident memory of a process and its descendants (tsx runs the server in a child node), in MiB. */
function treeRssMiB(pid: number): number {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  let total = 0;
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      continue;
    }
    stack.push(...children(p));
  }
  return round(total / 1024);
}

/**
 * CPU seconds (user + system) used so far by a process and its descendants. Throughput on a machine shared
 * with other work measures the scheduler as much as the server; CPU time per request does not.
 */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    try {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      stack.push(...readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      continue;
    }
  }
  return ticks / 100; // USER_HZ
}

/** A small Admin API client for seeding. */
function adminClient(base: string, token: string) {
  return async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(base + path, {
      method,
      headers: { authorization: `Token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} → ${r.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

interface Seeded {
  environmentKey: string;
  serverKey: string;
  /** Id of a feature state to toggle between document reads. */
  featureStateId: number;
}

/**
 * Creates the environment through the Admin API. `writers` concurrent Admin writes: on PostgreSQL the
 * bench seeds one write at a time, because concurrent feature-state writes there can deadlock (the audit
 * chain locks the organisation row and the document revision bump the environment row, in opposite
 * orders on different write paths) and a deadlock that outlives the transaction retries is a 500.
 */
async function seed(server: ServerProcess, features: number, overridesPerFeature: number, writers: number): Promise<Seeded> {
  const login = await fetch(`${server.url}/api/v1/auth/login/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }),
  });
  const { key } = (await login.json()) as { key: string };
  const api = adminClient(server.url, key);
  const [organisation] = await api<{ id: number }[] | { results: { id: number }[] }>('GET', '/api/v1/organisations/').then((r) => (Array.isArray(r) ? r : r.results));
  await api('PATCH', `/api/v1/organisations/${organisation!.id}/plan-limits/`, { max_segment_overrides_per_environment: 1_000_000 });
  const project = await api<{ id: number }>('POST', '/api/v1/projects/', { name: 'Bench', organisation: organisation!.id });
  const environment = await api<{ id: number; api_key: string }>('POST', '/api/v1/environments/', { name: 'Production', project: project.id });
  const { key: serverKey } = await api<{ key: string }>('POST', `/api/v1/environments/${environment.api_key}/api-keys/`, { name: 'bench' });

  const segments: { id: number }[] = [];
  for (let s = 0; s < overridesPerFeature; s++) {
    segments.push(
      await api('POST', `/api/v1/projects/${project.id}/segments/`, {
        name: `segment-${s}`,
        project: project.id,
        rules: [{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions: [{ operator: 'EQUAL', property: 'plan', value: `plan-${s}` }, { operator: 'PERCENTAGE_SPLIT', property: '', value: String(10 + s) }] }], conditions: [] }],
      }),
    );
  }
  const featureIds: number[] = [];
  await inParallel(Array.from({ length: features }, (_, i) => i), writers, async (i) => {
    const f = await api<{ id: number }>('POST', `/api/v1/projects/${project.id}/features/`, { name: `feature_${String(i).padStart(4, '0')}`, initial_value: i % 3 === 0 ? String(i) : 'on', default_enabled: i % 2 === 0 });
    featureIds.push(f.id);
  });
  await inParallel(featureIds, writers, async (featureId) => {
    for (const [priority, segment] of segments.entries()) {
      const fseg = await api<{ id: number }>('POST', '/api/v1/features/feature-segments/', { feature: featureId, segment: segment.id, environment: environment.id, priority });
      await api('POST', '/api/v1/features/featurestates/', { feature: featureId, environment: environment.id, feature_segment: fseg.id, enabled: true, feature_state_value: { type: 'unicode', string_value: `override-${priority}` } });
    }
  });
  const states = await api<{ results: { id: number; feature_segment: unknown }[] }>('GET', `/api/v1/environments/${environment.api_key}/featurestates/?feature=${featureIds[0]}`);
  const envDefault = states.results.find((s) => s.feature_segment === null) ?? states.results[0]!;
  return { environmentKey: environment.api_key, serverKey, featureStateId: envDefault.id };
}

async function load(url: string, headers: Record<string, string>, connections: number, durationSec: number, paths?: string[]) {
  const result = await autocannon({
    url,
    connections,
    duration: durationSec,
    headers,
    ...(paths ? { requests: [{ setupRequest: (req: any) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }) }] } : {}),
  });
  // Any wrong answer fails the section; a few transport errors (timeouts on a machine busy with other
  // work) are reported beside the figures instead of discarding the whole run.
  if (result.non2xx > 0 || result.errors > result.requests.total / 1000) {
    throw new Error(`load on ${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors (${result.timeouts} timeouts) in ${result.requests.total} requests`);
  }
  return {
    requests: result.requests.total,
    rps: round(result.requests.average, 0),
    p99: result.latency.p99,
    errors: result.errors,
    bytesPerReq: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
  };
}

async function startBare(bodyFile: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['test/bench/support/bare-server.ts', bodyFile, 'application/json; charset=utf-8'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
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

async function databaseFor(dialect: DialectName): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { env: { FLAGDESK_DATA_DIR: tempDataDir() }, drop: async () => {} };
  const name = `flagdesk_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    env: { DATABASE_URL: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) },
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function benchDialect(dialect: DialectName, quick: boolean): Promise<BenchMetric[]> {
  const features = quick ? 100 : 500;
  const overrides = 5;
  const duration = quick ? 3 : 10;
  const database = await databaseFor(dialect);
  const server = await startServerProcess({ ...database.env, LOG_LEVEL: 'warn', FLAGDESK_ADMIN_EMAIL: 'bench@example.com', FLAGDESK_ADMIN_PASSWORD: 'bench-password' }, 60_000);
  const label = `${dialect}, ${features}×${overrides}`;
  const metrics: BenchMetric[] = [];
  try {
    const t0 = performance.now();
    const seeded = await seed(server, features, overrides, dialect === 'postgres' ? 1 : 8).catch((error: unknown) => {
      // A 500 says only "quote id …": the server's log has the cause.
      throw new Error(`seeding on ${dialect} failed: ${error instanceof Error ? error.message : String(error)}\nserver output:\n${server.output().slice(-4000)}`);
    });
    metrics.push({ name: `${label}: seeding through the Admin API`, value: round((performance.now() - t0) / 1000), unit: 's' });
    const sdkHeaders = { 'x-environment-key': seeded.environmentKey };

    // Warm the document cache, then keep the exact bytes for the baseline.
    const flags = await fetch(`${server.url}/api/v1/flags/`, { headers: sdkHeaders });
    const body = Buffer.from(await flags.arrayBuffer());
    if (!flags.ok) throw new Error(`GET /api/v1/flags/ → ${flags.status}`);
    const bodyFile = join(tempDataDir(), 'flags.json');
    writeFileSync(bodyFile, body);
    metrics.push({ name: `${label}: /api/v1/flags/ body`, value: round(body.length / 1024), unit: 'KiB' });
    metrics.push({ name: `${label}: server RSS idle`, value: treeRssMiB(server.child.pid!), unit: 'MiB' });

    // The real endpoint and the bare route are measured in alternating rounds and compared round by round:
    // on a shared machine the load from other work drifts, and two long runs one after the other would
    // compare different machines. The ratio is the median of the per-round ratios.
    const rounds = quick ? 2 : 5;
    const roundSec = quick ? 2 : Math.max(2, Math.round(duration / 2));
    let peakRss = 0;
    const real: (Awaited<ReturnType<typeof load>> & { cpuMicros: number })[] = [];
    const baseline: (Awaited<ReturnType<typeof load>> & { cpuMicros: number })[] = [];
    /** One load run, with the server's CPU time per request. */
    const measure = async (url: string, headers: Record<string, string>, pid: number) => {
      const cpu0 = treeCpuSeconds(pid);
      const result = await load(url, headers, 50, roundSec);
      return { ...result, cpuMicros: ((treeCpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, result.requests) };
    };
    const bare = await startBare(bodyFile);
    try {
      for (let i = 0; i < rounds; i++) {
        const sampler = setInterval(() => (peakRss = Math.max(peakRss, treeRssMiB(server.child.pid!))), 250);
        try {
          real.push(await measure(`${server.url}/api/v1/flags/`, sdkHeaders, server.child.pid!));
        } finally {
          clearInterval(sampler);
        }
        baseline.push(await measure(`${bare.url}/api/v1/flags/`, {}, bare.pid));
      }
    } finally {
      bare.stop();
    }
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = Math.floor(sorted.length / 2);
      return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    };
    const ratio = median(real.map((r, i) => r.rps / baseline[i]!.rps));
    metrics.push({ name: `${label}: GET /api/v1/flags/ at 50 connections (median of ${rounds} rounds)`, value: round(median(real.map((r) => r.rps)), 0), unit: 'req/s' });
    metrics.push({ name: `${label}: GET /api/v1/flags/ p99 (median)`, value: median(real.map((r) => r.p99)), unit: 'ms' });
    metrics.push({ name: `${label}: bare Fastify, same bytes, 50 connections (median)`, value: round(median(baseline.map((r) => r.rps)), 0), unit: 'req/s' });
    metrics.push({ name: `${label}: bare Fastify p99 (median)`, value: median(baseline.map((r) => r.p99)), unit: 'ms' });
    metrics.push({ name: `${label}: flags / bare ratio, median of rounds (target ≥ 0.6)`, value: round(ratio, 2), unit: 'x' });
    metrics.push({ name: `${label}: flags / bare ratio, each round`, value: NaN, unit: real.map((r, i) => round(r.rps / baseline[i]!.rps, 2)).join(' ') });
    const realCpu = median(real.map((r) => r.cpuMicros));
    const bareCpu = median(baseline.map((r) => r.cpuMicros));
    metrics.push({ name: `${label}: server CPU per GET /api/v1/flags/ (median)`, value: round(realCpu, 0), unit: 'µs' });
    metrics.push({ name: `${label}: bare Fastify CPU per request (median)`, value: round(bareCpu, 0), unit: 'µs' });
    metrics.push({ name: `${label}: bare / flags CPU per request (the ratio when CPU-bound)`, value: round(bareCpu / realCpu, 2), unit: 'x' });
    metrics.push({ name: `${label}: server RSS peak under load`, value: peakRss, unit: 'MiB' });

    const identities = Array.from({ length: 1000 }, (_, i) => `/api/v1/identities/?identifier=user-${i}`);
    await inParallel(identities.slice(0, 1000), 16, async (path, i) => {
      const r = await fetch(`${server.url}/api/v1/identities/`, {
        method: 'POST',
        headers: { ...sdkHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ identifier: `user-${i}`, traits: [{ trait_key: 'plan', trait_value: `plan-${i % overrides}` }] }),
      });
      if (!r.ok) throw new Error(`POST /api/v1/identities/ (${path}) → ${r.status}`);
    });
    const ident = await load(server.url, sdkHeaders, 50, duration, identities);
    metrics.push({ name: `${label}: GET /api/v1/identities/ (1,000 identities) at 50 connections`, value: ident.rps, unit: 'req/s' });
    metrics.push({ name: `${label}: GET /api/v1/identities/ p99`, value: ident.p99, unit: 'ms' });
    const errors = [...real, ...baseline, ident].reduce((sum, r) => sum + r.errors, 0);
    metrics.push({ name: `${label}: transport errors (flags, bare, identities)`, value: errors, unit: 'count' });

    // Document rebuild: each round changes a flag through the Admin API, then reads the document once (a
    // rebuild) and once more (cached).
    const login = await fetch(`${server.url}/api/v1/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password' }) });
    const api = adminClient(server.url, ((await login.json()) as { key: string }).key);
    const rebuild: number[] = [];
    const cached: number[] = [];
    const docHeaders = { 'x-environment-key': seeded.serverKey };
    for (let i = 0; i < (quick ? 5 : 20); i++) {
      await api('PATCH', `/api/v1/environments/${seeded.environmentKey}/featurestates/${seeded.featureStateId}/`, { enabled: i % 2 === 0 });
      let t = performance.now();
      const first = await fetch(`${server.url}/api/v1/environment-document/`, { headers: docHeaders });
      await first.arrayBuffer();
      rebuild.push(performance.now() - t);
      t = performance.now();
      const second = await fetch(`${server.url}/api/v1/environment-document/`, { headers: docHeaders });
      await second.arrayBuffer();
      cached.push(performance.now() - t);
      if (!first.ok || !second.ok) throw new Error(`GET /api/v1/environment-document/ → ${first.status}/${second.status}`);
    }
    rebuild.sort((a, b) => a - b);
    cached.sort((a, b) => a - b);
    metrics.push({ name: `${label}: environment document after a write (rebuild) p50`, value: round(percentile(rebuild, 50)), unit: 'ms' });
    metrics.push({ name: `${label}: environment document cached p50`, value: round(percentile(cached, 50)), unit: 'ms' });
    return metrics;
  } finally {
    await server.stop();
    await database.drop();
  }
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
