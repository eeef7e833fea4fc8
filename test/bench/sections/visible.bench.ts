/**
 * Write to visible (issue 15 item 5): a v2 publish through the Admin API (`createFeatureVersion` with
 * `publish_immediately`), then `GET /api/v1/flags/` polled on the same server process and, on PostgreSQL,
 * on a second process on the same database, until the new value shows. Reported from the publish's
 * answer (what a script that publishes and then reads would see) and from its request (the whole write).
 * Targets: p99 ≤ 50 ms on the same instance, ≤ 250 ms on the other.
 * Run alone with `npx tsx test/bench/sections/visible.bench.ts [sqlite|postgres] [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { benchDatabase, startBenchServer, type BenchServer } from '../support/bench-server.js';
import { percentile, round, signIn } from '../support/measure.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

/** Polls the flags of `server` until `feature` has `value`; resolves with the time it showed (performance.now()). */
async function visibleAt(server: BenchServer, key: string, feature: string, value: string, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const r = await fetch(`${server.url}/api/v1/flags/`, { headers: { 'x-environment-key': key } });
    const flags = (await r.json()) as { feature: { name: string }; feature_state_value: unknown }[];
    if (flags.find((f) => f.feature.name === feature)?.feature_state_value === value) return performance.now();
  }
  throw new Error(`${feature}=${value} not visible on ${server.url} after ${timeoutMs} ms`);
}

async function benchDialect(dialect: DialectName, quick: boolean): Promise<BenchMetric[]> {
  const database = await benchDatabase(dialect, 'visible');
  const servers: BenchServer[] = [await startBenchServer(database.env)];
  try {
    const api = await signIn(servers[0]!.url);
    const [organisation] = await api<{ id: number }[] | { results: { id: number }[] }>('GET', '/api/v1/organisations/').then((r) => (Array.isArray(r) ? r : r.results));
    const project = await api<{ id: number }>('POST', '/api/v1/projects/', { name: 'Visible', organisation: organisation!.id });
    const env = await api<{ id: number; api_key: string }>('POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    const features: { id: number; name: string }[] = [];
    for (let i = 0; i < 20; i++) features.push(await api('POST', `/api/v1/projects/${project.id}/features/`, { name: `flag_${i}`, initial_value: 'start', default_enabled: true }));
    await api('POST', `/api/v1/environments/${env.api_key}/enable-v2-versioning/`);
    for (let i = 0; ; i++) {
      const status = await api<{ versioning_status: string }>('GET', `/api/v1/environments/${env.api_key}/versioning-status/`);
      if (status.versioning_status === 'v2') break;
      if (i > 600) throw new Error(`enable v2 did not finish: ${status.versioning_status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // The other instance: same database, its own document cache.
    if (dialect === 'postgres') servers.push(await startBenchServer(database.env));
    for (const s of servers) await visibleAt(s, env.api_key, features[0]!.name, 'start');

    const fromAnswer: number[][] = servers.map(() => []);
    const fromRequest: number[][] = servers.map(() => []);
    const rounds = quick ? 10 : 60;
    for (let i = 0; i < rounds; i++) {
      const feature = features[i % features.length]!;
      const value = `v${i}`;
      const t0 = performance.now();
      await api('POST', `/api/v1/environments/${env.id}/features/${feature.id}/versions/`, {
        publish_immediately: true,
        feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: { type: 'unicode', string_value: value, integer_value: null, boolean_value: null } }],
      });
      const answered = performance.now();
      const seen = await Promise.all(servers.map((s) => visibleAt(s, env.api_key, feature.name, value)));
      seen.forEach((t, s) => {
        fromAnswer[s]!.push(Math.max(0, t - answered));
        fromRequest[s]!.push(t - t0);
      });
    }
    const metrics: BenchMetric[] = [];
    servers.forEach((_, s) => {
      const where = s === 0 ? 'same instance' : 'other instance, same PostgreSQL';
      const target = s === 0 ? 50 : 250;
      const a = [...fromAnswer[s]!].sort((x, y) => x - y);
      const q = [...fromRequest[s]!].sort((x, y) => x - y);
      metrics.push({ name: `${dialect}: publish → visible on /flags/, ${where}, after the answer p50`, value: round(percentile(a, 50), 1), unit: 'ms' });
      metrics.push({ name: `${dialect}: publish → visible on /flags/, ${where}, after the answer p99 (target ≤ ${target})`, value: round(percentile(a, 99), 1), unit: 'ms' });
      metrics.push({ name: `${dialect}: publish → visible on /flags/, ${where}, from the request p99`, value: round(percentile(q, 99), 1), unit: 'ms' });
    });
    return metrics;
  } finally {
    for (const s of servers) await s.stop();
    await database.drop();
  }
}

/** The `visible` section of `npm run bench`. */
export async function runVisibleBench(options: BenchRunOptions): Promise<BenchMetric[]> {
  const metrics: BenchMetric[] = [];
  for (const dialect of options.dialects) metrics.push(...(await benchDialect(dialect, options.quick)));
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runVisibleBench({ dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(90)} ${String(m.value).padStart(10)} ${m.unit}`);
}
