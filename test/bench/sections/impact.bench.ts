/**
 * Impact preview (issue 14): POST …/versions/{uuid}/impact/ over 100,000 identities with 10 traits each,
 * for a draft that adds 5 segment overrides (target: p50 under 1 s on SQLite and on PostgreSQL), with the
 * process's peak RSS while the previews run. Identities and traits are seeded by bulk SQL; the preview is
 * called through the HTTP API of a server built in-process (Fastify `inject`).
 * Run alone with `npx tsx test/bench/sections/impact.bench.ts [sqlite|postgres] [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import { TestApi } from '../../support/api-harness.js';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { at, stringValue, v2World } from '../../support/versions-fixtures.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const MiB = 2 ** 20;

const PLANS = ['free', 'pro', 'team', 'enterprise'];
const COUNTRIES = ['de', 'fr', 'us', 'jp', 'br', 'in'];

/** 10 traits of identity `i`, typed as SDKs send them. */
function traitsOf(i: number): [string, unknown][] {
  return [
    ['plan', PLANS[i % PLANS.length]],
    ['country', COUNTRIES[i % COUNTRIES.length]],
    ['age', 18 + (i % 60)],
    ['beta', i % 7 === 0],
    ['app_version', `3.${i % 10}.${i % 4}`],
    ['seats', i % 250],
    ['email', `user${i}@example.com`],
    ['signup_day', `2026-${String(1 + (i % 12)).padStart(2, '0')}-01`],
    ['score', (i % 1000) / 10],
    ['device', i % 2 === 0 ? 'ios' : 'android'],
  ];
}

async function seedPopulation(api: TestApi, environmentId: number, count: number): Promise<void> {
  const k = api.testDb.db.kysely;
  const now = api.clock.now().toISOString();
  const chunk = 2000;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const ids = await k
      .insertInto('identities')
      .values(Array.from({ length: n }, (_, j) => ({ uuid: `bench-${environmentId}-${start + j}`, identifier: `user-${start + j}`, environment_id: environmentId, created_at: now })))
      .returning('id')
      .execute();
    const traits = ids.flatMap((row, j) => traitsOf(start + j).map(([key, value]) => ({ identity_id: row.id, trait_key: key, value_json: JSON.stringify(value), created_at: now })));
    // SQLite caps bound parameters per statement: 4 columns × 200 rows.
    for (let t = 0; t < traits.length; t += 200) await k.insertInto('traits').values(traits.slice(t, t + 200)).execute();
  }
}

async function benchDialect(dialect: DialectName, quick: boolean): Promise<BenchMetric[]> {
  const population = quick ? 10_000 : 100_000;
  const rounds = quick ? 3 : 7;
  const api = await new TestApi(dialect).start();
  try {
    const w = await v2World(api);
    const rules = [
      { operator: 'EQUAL', property: 'plan', value: 'pro' },
      { operator: 'IN', property: 'country', value: 'de,fr' },
      { operator: 'GREATER_THAN', property: 'age', value: '60' },
      { operator: 'EQUAL', property: 'beta', value: 'true' },
      { operator: 'PERCENTAGE_SPLIT', property: '', value: '10' },
    ];
    const segments: number[] = [];
    for (const [i, condition] of rules.entries()) {
      const r = await api.op('createSegment', { params: { project_pk: w.project }, body: { name: `bench-${i}`, rules: [{ type: 'ALL', rules: [{ type: 'ANY', rules: [], conditions: [condition] }], conditions: [] }] } });
      if (r.status !== 201) throw new Error(`createSegment → ${r.status} ${JSON.stringify(r.body)}`);
      segments.push(r.body.id);
    }
    const seedStart = performance.now();
    await seedPopulation(api, w.env.id, population);
    const seedMs = performance.now() - seedStart;
    const draft = await api.op('createFeatureVersion', {
      params: at(w),
      body: { feature_states_to_create: segments.map((segment, i) => ({ feature_segment: { segment }, enabled: true, feature_state_value: stringValue(`variant-${i}`) })) },
    });
    if (draft.status !== 201) throw new Error(`draft → ${draft.status}`);

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const samples: number[] = [];
    let changed = 0;
    for (let i = 0; i < rounds + 1; i++) {
      const t = performance.now();
      const r = await api.op('previewFeatureVersionImpact', { params: at(w, { uuid: draft.body.uuid }), body: { wait_ms: 30000 } });
      if (r.status !== 200 || r.body.identities_evaluated !== population) throw new Error(`preview → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      if (i > 0) samples.push(performance.now() - t);
      changed = r.body.changed_any;
    }
    clearInterval(sampler);
    const sorted = samples.sort((a, b) => a - b);
    const label = `${dialect}: preview over ${population.toLocaleString('en-US')} identities × 10 traits, 5 overrides`;
    return [
      { name: `${label} p50`, value: round(percentile(sorted, 50)), unit: 'ms' },
      { name: `${label} max`, value: round(sorted[sorted.length - 1] ?? NaN), unit: 'ms' },
      { name: `${dialect}: identities the preview finds changed`, value: changed, unit: 'identities' },
      { name: `${dialect}: RSS before the previews`, value: round(rssBefore / MiB), unit: 'MiB' },
      { name: `${dialect}: peak RSS during the previews`, value: round(peak / MiB), unit: 'MiB' },
      { name: `${dialect}: seeding the population (SQL)`, value: round(seedMs / 1000, 1), unit: 's' },
    ];
  } finally {
    await api.stop();
  }
}

export async function runImpactBench(options: Pick<BenchRunOptions, 'dialects'> & Partial<Pick<BenchRunOptions, 'quick'>>): Promise<BenchMetric[]> {
  const out: BenchMetric[] = [];
  for (const dialect of options.dialects) out.push(...(await benchDialect(dialect, options.quick ?? false)));
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dialects = process.argv.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runImpactBench({ dialects: dialects.length ? dialects : ['sqlite', 'postgres'], quick: process.argv.includes('--quick') });
  for (const m of metrics) console.log(`${m.name}: ${m.value} ${m.unit}`);
}
