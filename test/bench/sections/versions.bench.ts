/**
 * Benchmarks of Feature Versioning v2 (issue 3 item 13), through the HTTP API of a server built in-process
 * (Fastify `inject`, so the figures are the server's time without the network):
 * - publish latency p50/p99: POST …/versions/{uuid}/publish/ of a draft changing a feature with 5 segment
 *   overrides (merge, rows, audit, webhooks outbox, revision bump in one transaction);
 * - listing a feature with 10,000 versions: GET …/versions/ first page p50/p99 (target p99 < 20 ms),
 *   plain and under a feature_history_visibility_days window; the rows are seeded by bulk SQL;
 * - time to enable v2 on an environment of 2,000 features (POST …/enable-v2-versioning/, the job run to
 *   the end, polled through …/versioning-status/);
 * - environment-document rebuild after a publish on that environment, against a cached read.
 * Run alone with `npx tsx test/bench/sections/versions.bench.ts [sqlite|postgres] [--quick]`.
 */
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { TestApi } from '../../support/api-harness.js';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { createSdkEnvironment, sdkOp, type SdkEnvironment } from '../../support/sdk-fixtures.js';
import { at, insertSegment, stringValue, v2World, type V2World } from '../../support/versions-fixtures.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

export type VersionsBenchOptions = Pick<BenchRunOptions, 'dialects'> & Partial<Pick<BenchRunOptions, 'quick'>>;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

function summary(label: string, samples: number[]): BenchMetric[] {
  const sorted = [...samples].sort((a, b) => a - b);
  return [
    { name: `${label} p50`, value: round(percentile(sorted, 50), 2), unit: 'ms' },
    { name: `${label} p99`, value: round(percentile(sorted, 99), 2), unit: 'ms' },
  ];
}

async function expectOk<T = any>(r: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const res = await r;
  if (res.status >= 300) throw new Error(`${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

/** Inserts rows in chunks (SQLite caps the bound parameters of one statement). */
async function insertChunked<R>(rows: R[], chunk: number, insert: (rows: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await insert(rows.slice(i, i + chunk));
}

/** Publish latency: drafts (untimed) changing the environment default of a feature with 5 overrides, each published (timed). */
async function benchPublish(api: TestApi, label: string, rounds: number): Promise<BenchMetric[]> {
  const w = await v2World(api, { segments: 5 });
  await expectOk(
    api.op('createFeatureVersion', {
      params: at(w),
      body: { publish_immediately: true, feature_states_to_create: w.segments.map((segment, i) => ({ feature_segment: { segment }, enabled: i % 2 === 0, feature_state_value: stringValue(`s${i}`) })) },
    }),
    'seed overrides',
  );
  const samples: number[] = [];
  for (let i = 0; i < rounds + 5; i++) {
    const d = await expectOk<{ uuid: string }>(api.op('createFeatureVersion', { params: at(w), body: { feature_states_to_update: [{ feature_segment: null, enabled: i % 2 === 0, feature_state_value: stringValue(`v${i}`) }] } }), 'draft');
    const t = performance.now();
    await expectOk(api.op('publishFeatureVersion', { params: at(w, { uuid: d.uuid }) }), 'publish');
    if (i >= 5) samples.push(performance.now() - t);
  }
  return summary(`${label}: publish a version (feature with 5 overrides)`, samples);
}

/** 10,000 published versions of one feature, seeded by SQL in one chain, then the first page listed. */
async function benchList(api: TestApi, label: string, versions: number, requests: number): Promise<BenchMetric[]> {
  const w: V2World = await v2World(api);
  const k = api.testDb.db.kysely;
  const initial = await k.selectFrom('environment_feature_versions').select(['content_json', 'content_hash']).where('environment_id', '=', w.env.id).where('feature_id', '=', w.feature).executeTakeFirstOrThrow();
  // Older than the initial version (live now), one second apart, so the initial version stays live.
  const nowMs = api.clock.now().getTime();
  const rows = Array.from({ length: versions }, (_, i) => {
    const at = new Date(nowMs - (versions - i) * 1000).toISOString();
    return {
      uuid: `bench-${w.env.id}-${i}`,
      environment_id: w.env.id,
      feature_id: w.feature,
      status: 'published' as const,
      description: null,
      content_json: initial.content_json,
      content_hash: initial.content_hash,
      draft_state: null,
      base_version_uuid: i === 0 ? null : `bench-${w.env.id}-${i - 1}`,
      previous_version_uuid: i === 0 ? null : `bench-${w.env.id}-${i - 1}`,
      conflict_json: null,
      change_request_id: null,
      live_from: at,
      live_seq: i + 2,
      published_at: at,
      created_by_user_id: null,
      created_by_api_key_id: null,
      published_by_user_id: null,
      published_by_api_key_id: null,
      created_at: at,
      updated_at: at,
    };
  });
  const seedStart = performance.now();
  await api.testDb.db.transaction(async (trx) => {
    await insertChunked(rows, 500, (chunk) => trx.insertInto('environment_feature_versions').values(chunk).execute());
  });
  const seedMs = performance.now() - seedStart;
  // The steady state of a grown history: autovacuum has set the visibility map and statistics (PostgreSQL).
  if (api.dialect === 'postgres') await sql`VACUUM ANALYZE environment_feature_versions`.execute(k);

  const measure = async (query: Record<string, string | number | boolean> = {}) => {
    const samples: number[] = [];
    for (let i = 0; i < requests + 20; i++) {
      const t = performance.now();
      const page = await expectOk<{ count: number; results: unknown[] }>(api.op('listFeatureVersions', { params: at(w), query }), 'list versions');
      if (i >= 20) samples.push(performance.now() - t);
      if (page.count < 1 || page.results.length === 0) throw new Error('empty versions page');
    }
    return samples;
  };
  const metrics: BenchMetric[] = [{ name: `${label}: seed ${versions} versions (bulk SQL)`, value: Math.round(seedMs), unit: 'ms' }];
  metrics.push(...summary(`${label}: list ${versions} versions, first page`, await measure()));
  metrics.push(...summary(`${label}: list ${versions} versions, page 50`, await measure({ page: 50 })));
  await expectOk(api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { feature_history_visibility_days: 1 } }), 'history window');
  try {
    metrics.push(...summary(`${label}: list ${versions} versions, first page, 1-day history window`, await measure()));
  } finally {
    await expectOk(api.op('updateOrganisationPlanLimits', { params: { id: api.organisationId }, body: { feature_history_visibility_days: null } }), 'history window off');
  }
  return metrics;
}

/** An environment of `features` features (every tenth with a segment override), seeded by SQL as v1 data. */
async function seedLargeEnvironment(api: TestApi, features: number): Promise<{ env: SdkEnvironment; featureIds: number[] }> {
  const env = await createSdkEnvironment(api, `bench-${features}-${Date.now()}`);
  const k = api.testDb.db.kysely;
  const now = api.clock.now().toISOString();
  const segment = await insertSegment(api, env.projectId, 'bench-segment');
  await api.testDb.db.transaction(async (trx) => {
    await insertChunked(
      Array.from({ length: features }, (_, i) => ({
        uuid: `bench-f-${env.environmentId}-${i}`, project_id: env.projectId, name: `bench_feature_${i}`, type: 'STANDARD' as const, initial_value: null, default_enabled: false,
        description: null, is_archived: false, is_server_key_only: false, created_at: now,
      })),
      500,
      (chunk) => trx.insertInto('features').values(chunk).execute(),
    );
  });
  const featureIds = (await k.selectFrom('features').select('id').where('project_id', '=', env.projectId).orderBy('id').execute()).map((r) => r.id);
  await api.testDb.db.transaction(async (trx) => {
    const state = (featureId: number, i: number, featureSegmentId: number | null) => ({
      uuid: `bench-fs-${env.environmentId}-${featureId}-${featureSegmentId ?? 'd'}`, feature_id: featureId, environment_id: env.environmentId, identity_id: null, feature_segment_id: featureSegmentId,
      enabled: i % 2 === 0, value_type: 'unicode' as const, string_value: `value-${i}`, integer_value: null, boolean_value: null, version: 1, live_from: now, environment_feature_version_uuid: null,
      created_at: now, updated_at: now,
    });
    await insertChunked(featureIds.map((id, i) => state(id, i, null)), 300, (chunk) => trx.insertInto('feature_states').values(chunk).execute());
    const overridden = featureIds.filter((_, i) => i % 10 === 0);
    await insertChunked(
      overridden.map((id) => ({ uuid: `bench-fseg-${env.environmentId}-${id}`, feature_id: id, segment_id: segment, environment_id: env.environmentId, priority: 0, environment_feature_version_uuid: null, created_at: now })),
      500,
      (chunk) => trx.insertInto('feature_segments').values(chunk).execute(),
    );
    const fsegs = await trx.selectFrom('feature_segments').select(['id', 'feature_id']).where('environment_id', '=', env.environmentId).execute();
    await insertChunked(fsegs.map((f, i) => state(f.feature_id, i + 1, f.id)), 300, (chunk) => trx.insertInto('feature_states').values(chunk).execute());
  });
  return { env, featureIds };
}

/** Enabling v2 on the large environment (route + job to the end), then document rebuilds after publishes. */
async function benchEnableAndDocument(api: TestApi, label: string, features: number, rebuilds: number): Promise<BenchMetric[]> {
  const { env, featureIds } = await seedLargeEnvironment(api, features);
  const metrics: BenchMetric[] = [];
  const t = performance.now();
  await expectOk(api.op('enableV2Versioning', { params: { api_key: env.clientKey } }), 'enable v2');
  for (;;) {
    const status = await expectOk<{ versioning_status: string; last_error: string | null }>(api.op('getVersioningStatus', { params: { api_key: env.clientKey } }), 'versioning status');
    if (status.versioning_status === 'v2') break;
    if (status.versioning_status === 'failed') throw new Error(`enable v2 failed: ${status.last_error}`);
    await api.built.services.jobs.runOnce();
  }
  metrics.push({ name: `${label}: enable v2 on ${features} features (route + job)`, value: Math.round(performance.now() - t), unit: 'ms' });

  const rebuild: number[] = [];
  const cached: number[] = [];
  const document = async () => {
    const r = await sdkOp(api, 'getEnvironmentDocument', env.serverKey);
    if (r.status !== 200) throw new Error(`environment document → ${r.status}`);
    return r.body as { feature_states: unknown[] };
  };
  const first = await document();
  if (first.feature_states.length !== features) throw new Error(`document holds ${first.feature_states.length} feature states, expected ${features}`);
  for (let i = 0; i < rebuilds; i++) {
    const featureId = featureIds[(i * 37) % featureIds.length]!;
    await expectOk(
      api.op('createFeatureVersion', {
        params: { environment_pk: env.environmentId, feature_pk: featureId },
        body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: i % 2 === 1, feature_state_value: stringValue(`rebuild-${i}`) }] },
      }),
      'publish before rebuild',
    );
    let t0 = performance.now();
    await document();
    rebuild.push(performance.now() - t0);
    t0 = performance.now();
    await document();
    cached.push(performance.now() - t0);
  }
  metrics.push(...summary(`${label}: environment document after a publish (rebuild, ${features} features)`, rebuild));
  metrics.push(...summary(`${label}: environment document cached (${features} features)`, cached));
  return metrics;
}

export async function runVersionsBench(options: VersionsBenchOptions): Promise<BenchMetric[]> {
  const quick = options.quick ?? false;
  const metrics: BenchMetric[] = [];
  for (const dialect of options.dialects) {
    const api = await new TestApi(dialect).start();
    // Tail latencies depend on what else the machine runs; the load puts the p99 figures in context.
    metrics.push({ name: `${dialect}: machine load average (1 min) at start`, value: round(loadavg()[0] ?? NaN, 2), unit: `on ${cpus().length} cpus` });
    try {
      metrics.push(...(await benchPublish(api, dialect, quick ? 20 : 200)));
      metrics.push(...(await benchList(api, dialect, 10_000, quick ? 50 : 300)));
      metrics.push(...(await benchEnableAndDocument(api, dialect, quick ? 500 : 2000, quick ? 5 : 20)));
    } finally {
      await api.stop();
    }
  }
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runVersionsBench({ dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(80)} ${String(m.value).padStart(10)} ${m.unit}`);
}
