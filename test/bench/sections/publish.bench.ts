/**
 * Publishes that scale (issue 15 item 4), through the HTTP API of a server built in-process (Fastify
 * `inject`; on PostgreSQL with a real connection pool, so concurrent publishes really overlap):
 * - publish p50 of a feature with 5 segment overrides in an environment of 100 and of 5,000 features,
 *   every 5th feature carrying 5 overrides, publishes alternating between the two environments (the
 *   ratio is the figure, target ≤ 1.5);
 * - publish throughput of 10 concurrent writers on different features against one writer, in
 *   alternating rounds (target ≥ 2.5×).
 * Run alone with `npx tsx test/bench/sections/publish.bench.ts [sqlite|postgres] [--quick]`.
 */
import { pathToFileURL } from 'node:url';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { TestApi } from '../../support/api-harness.js';
import { createSdkEnvironment } from '../../support/sdk-fixtures.js';
import { insertSegment, stringValue } from '../../support/versions-fixtures.js';
import { median, percentile, round } from '../support/measure.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

async function insertChunked<R>(rows: R[], chunk: number, insert: (rows: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await insert(rows.slice(i, i + chunk));
}

async function expectOk<T = any>(r: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

interface Env {
  id: number;
  /** Features with 5 overrides each (every 5th), and the plain ones. */
  overridden: number[];
  plain: number[];
}

/** `features` features, every 5th with 5 segment overrides, seeded by SQL as v1 data, then moved to v2 through the API. */
async function seedEnvironment(api: TestApi, features: number): Promise<Env> {
  const env = await createSdkEnvironment(api, `publish-${features}-${Date.now()}`);
  const k = api.testDb.db.kysely;
  const now = api.clock.now().toISOString();
  const segments: number[] = [];
  for (let s = 0; s < 5; s++) segments.push(await insertSegment(api, env.projectId, `seg-${s}`));
  await insertChunked(
    Array.from({ length: features }, (_, i) => ({
      uuid: `pub-f-${env.environmentId}-${i}`, project_id: env.projectId, name: `feature_${i}`, type: 'STANDARD' as const, initial_value: null, default_enabled: false,
      description: null, is_archived: false, is_server_key_only: false, created_at: now,
    })),
    500,
    (chunk) => k.insertInto('features').values(chunk).execute(),
  );
  const ids = (await k.selectFrom('features').select('id').where('project_id', '=', env.projectId).orderBy('id').execute()).map((r) => r.id);
  const state = (featureId: number, i: number, featureSegmentId: number | null) => ({
    uuid: `pub-fs-${env.environmentId}-${featureId}-${featureSegmentId ?? 'd'}`, feature_id: featureId, environment_id: env.environmentId, identity_id: null, feature_segment_id: featureSegmentId,
    enabled: i % 2 === 0, value_type: 'unicode' as const, string_value: `value-${i}`, integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null,
    created_at: now, updated_at: now,
  });
  await insertChunked(ids.map((id, i) => state(id, i, null)), 300, (chunk) => k.insertInto('feature_states').values(chunk).execute());
  const overridden = ids.filter((_, i) => i % 5 === 0);
  const fsegRows = overridden.flatMap((id) => segments.map((segment, priority) => ({ uuid: `pub-fseg-${env.environmentId}-${id}-${priority}`, feature_id: id, segment_id: segment, environment_id: env.environmentId, priority, environment_feature_version_uuid: null, created_at: now })));
  await insertChunked(fsegRows, 500, (chunk) => k.insertInto('feature_segments').values(chunk).execute());
  const fsegs = await k.selectFrom('feature_segments').select(['id', 'feature_id']).where('environment_id', '=', env.environmentId).execute();
  await insertChunked(fsegs.map((f, i) => state(f.feature_id, i + 1, f.id)), 300, (chunk) => k.insertInto('feature_states').values(chunk).execute());

  await expectOk(api.op('enableV2Versioning', { params: { api_key: env.clientKey } }), 'enable v2');
  for (;;) {
    const status = await expectOk<{ versioning_status: string; last_error: string | null }>(api.op('getVersioningStatus', { params: { api_key: env.clientKey } }), 'versioning status');
    if (status.versioning_status === 'v2') break;
    if (status.versioning_status === 'failed') throw new Error(`enable v2 failed: ${status.last_error}`);
    await api.built.services.jobs.runOnce();
  }
  return { id: env.environmentId, overridden, plain: ids.filter((_, i) => i % 5 !== 0) };
}

const changeDefault = (i: number) => ({ feature_states_to_update: [{ feature_segment: null, enabled: i % 2 === 0, feature_state_value: stringValue(`v${i}`) }] });

/** One publish (timed) of a fresh draft (untimed) of the feature. */
async function timedPublish(api: TestApi, env: Env, feature: number, i: number): Promise<number> {
  const params = { environment_pk: env.id, feature_pk: feature };
  const d = await expectOk<{ uuid: string }>(api.op('createFeatureVersion', { params, body: changeDefault(i) }), 'draft');
  const t = performance.now();
  await expectOk(api.op('publishFeatureVersion', { params: { ...params, uuid: d.uuid } }), 'publish');
  return performance.now() - t;
}

/** Publishes per second of `writers` concurrent writers, each publishing `each` versions (draft and publish in one request) of its own feature. */
async function throughput(api: TestApi, env: Env, features: number[], each: number, round: number): Promise<number> {
  const t = performance.now();
  await Promise.all(
    features.map(async (feature) => {
      for (let i = 0; i < each; i++) {
        await expectOk(api.op('createFeatureVersion', { params: { environment_pk: env.id, feature_pk: feature }, body: { ...changeDefault(round * 1000 + i), publish_immediately: true } }), 'publish now');
      }
    }),
  );
  return (features.length * each) / ((performance.now() - t) / 1000);
}

async function benchDialect(dialect: DialectName, quick: boolean): Promise<BenchMetric[]> {
  const api = await new TestApi(dialect).start();
  const sizes = quick ? [100, 1000] : [100, 5000];
  const label = `${dialect}, every 5th feature with 5 overrides`;
  try {
    await expectOk(api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { max_segment_overrides_per_environment: 1_000_000 } }), 'plan limits');
    const t0 = performance.now();
    const small = await seedEnvironment(api, sizes[0]!);
    const large = await seedEnvironment(api, sizes[1]!);
    const metrics: BenchMetric[] = [{ name: `${label}: seeding ${sizes.join(' + ')} features (SQL, then enable v2)`, value: round((performance.now() - t0) / 1000), unit: 's' }];

    const samples = new Map<Env, number[]>([[small, []], [large, []]]);
    const rounds = quick ? 10 : 40;
    for (let i = 0; i < rounds + 3; i++) {
      for (const env of [small, large]) {
        const ms = await timedPublish(api, env, env.overridden[i % env.overridden.length]!, i);
        if (i >= 3) samples.get(env)!.push(ms);
      }
    }
    const p50 = (env: Env) => percentile([...samples.get(env)!].sort((a, b) => a - b), 50);
    metrics.push({ name: `${label}: publish p50, ${sizes[0]} features (feature with 5 overrides)`, value: round(p50(small), 2), unit: 'ms' });
    metrics.push({ name: `${label}: publish p50, ${sizes[1]} features`, value: round(p50(large), 2), unit: 'ms' });
    metrics.push({ name: `${label}: publish p50 ${sizes[1]} / ${sizes[0]} (target ≤ 1.5)`, value: round(p50(large) / p50(small), 2), unit: 'x' });

    const one: number[] = [];
    const ten: number[] = [];
    const each = quick ? 3 : 8;
    for (let r = 0; r < (quick ? 2 : 4); r++) {
      one.push(await throughput(api, small, small.plain.slice(0, 1), each * 5, r));
      ten.push(await throughput(api, small, small.plain.slice(1, 11), each, r));
    }
    const ratios = one.map((o, i) => ten[i]! / o);
    metrics.push({ name: `${label}: publishes/s, 1 writer (median)`, value: round(median(one), 1), unit: '/s' });
    metrics.push({ name: `${label}: publishes/s, 10 writers on different features (median)`, value: round(median(ten), 1), unit: '/s' });
    metrics.push({ name: `${label}: 10 writers / 1 writer, median of rounds (target ≥ 2.5)`, value: round(median(ratios), 2), unit: 'x' });
    metrics.push({ name: `${label}: 10 writers / 1 writer, each round`, value: NaN, unit: ratios.map((x) => round(x, 2)).join(' ') });
    return metrics;
  } finally {
    await api.stop();
  }
}

/** The `publish` section of `npm run bench` (PostgreSQL is the figure; SQLite serialises writes by design). */
export async function runPublishBench(options: BenchRunOptions): Promise<BenchMetric[]> {
  const metrics: BenchMetric[] = [];
  for (const dialect of options.dialects) metrics.push(...(await benchDialect(dialect, options.quick)));
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runPublishBench({ dialects: dialects.length > 0 ? dialects : ['postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(90)} ${String(m.value).padStart(10)} ${m.unit}`);
}
