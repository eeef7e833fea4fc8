/**
 * Benchmarks of the local replica (issue 6 item 7), in Chromium against a real server process:
 * - initial replication: from clicking "Sign in" until the sync indicator says the replica's first
 *   replication finished, into a fresh replica (a new browser context, so an empty IndexedDB), with one v2
 *   environment of 2,000 features × 10 versions (target < 10 s);
 * - publish → shown elsewhere: from sending a publish through the Admin API (from Node) until the new
 *   value shows in the feature list of a signed-in page (target < 1 s), the median of several publishes.
 * Seeding: the features and their v1 environment defaults by bulk SQL, the environment moved to v2 by its
 * own enable-v2 job (so every live version is the server's), then 9 older published versions per feature
 * by bulk SQL (the change-feed triggers record them for the sync pull as for any write).
 * Run alone with `npx tsx test/bench/sections/replication.bench.ts [sqlite|postgres] [--quick]`.
 */
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { openDatabase, type Db, type DialectName } from '../../../sync-server/platform/database/database.js';
import { ensureRendererBuilt, launchChromium } from '../../support/browser.js';
import { createTestDb, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { DashboardPage } from '../../support/pages/dashboard.page.js';
import { SignInPage } from '../../support/pages/sign-in.page.js';
import { SyncIndicator } from '../../support/pages/sync-indicator.page.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

export type ReplicationBenchOptions = Pick<BenchRunOptions, 'dialects'> & Partial<Pick<BenchRunOptions, 'quick'>>;

const ADMIN = { email: 'bench@replication.test', password: 'a long bench password' };
const VERSIONS_PER_FEATURE = 10;
const INITIAL_TARGET_MS = 10_000;
const PUBLISH_TARGET_MS = 1_000;

const median = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};

interface Seeded {
  server: ServerProcess;
  db: Db;
  token: string;
  environment: { id: number; api_key: string; name: string };
  featureIds: number[];
  /** Removes the data (server stopped first). */
  cleanUp(): Promise<void>;
}

async function api<T>(server: ServerProcess, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Token ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

async function insertChunked<R>(rows: R[], chunk: number, insert: (rows: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) await insert(rows.slice(i, i + chunk));
}

/** A server process on its own database with one v2 environment of `features` features × 10 versions. */
async function seed(dialect: DialectName, features: number, rendererDir: string): Promise<Seeded> {
  const dataDir = tempDataDir();
  let pg: TestDb | undefined;
  if (dialect === 'postgres') pg = await createTestDb('postgres');
  const server = await startServerProcess({
    FLAGDESK_DATA_DIR: dataDir,
    ...(pg ? { DATABASE_URL: pg.location } : {}),
    FLAGDESK_ADMIN_EMAIL: ADMIN.email,
    FLAGDESK_ADMIN_PASSWORD: ADMIN.password,
    FLAGDESK_ADMIN_ORGANISATION: 'Bench Org',
    FLAGDESK_RENDERER_DIR: rendererDir,
    FLAGDESK_SHUTDOWN_TIMEOUT_MS: '2000',
  });
  // The bench writes through its own connection to the server's database (SQLite in WAL mode takes a
  // second connection; the server process keeps serving).
  const db = pg?.db ?? openDatabase({ sqliteFile: join(dataDir, 'flagdesk.sqlite') });
  const cleanUp = async () => {
    await server.stop();
    if (pg) await pg.drop();
    else await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const token = (await api<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', ADMIN)).key;
    const organisation = (await api<{ results: { id: number }[] }>(server, token, 'GET', '/api/v1/organisations/')).results[0]!;
    const project = await api<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Bench', organisation: organisation.id });
    const environment = await api<{ id: number; api_key: string; name: string }>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    const k = db.kysely;
    const now = new Date().toISOString();
    await db.transaction(async (trx) => {
      await insertChunked(
        Array.from({ length: features }, (_, i) => ({
          uuid: `bench-f-${environment.id}-${i}`, project_id: project.id, name: `bench_feature_${String(i).padStart(4, '0')}`, type: 'STANDARD' as const, initial_value: null,
          default_enabled: false, description: null, is_archived: false, is_server_key_only: false, created_at: now,
        })),
        500,
        (chunk) => trx.insertInto('features').values(chunk).execute(),
      );
    });
    const featureIds = (await k.selectFrom('features').select('id').where('project_id', '=', project.id).orderBy('id').execute()).map((r) => r.id);
    await db.transaction(async (trx) => {
      await insertChunked(
        featureIds.map((featureId, i) => ({
          uuid: `bench-fs-${environment.id}-${featureId}`, feature_id: featureId, environment_id: environment.id, identity_id: null, feature_segment_id: null,
          enabled: i % 2 === 0, value_type: 'unicode' as const, string_value: `value-${i}`, integer_value: null, boolean_value: null, version: 1, live_from: now,
          environment_feature_version_uuid: null, created_at: now, updated_at: now,
        })),
        300,
        (chunk) => trx.insertInto('feature_states').values(chunk).execute(),
      );
    });

    await api(server, token, 'POST', `/api/v1/environments/${environment.api_key}/enable-v2-versioning/`);
    for (let attempt = 0; ; attempt++) {
      const status = await api<{ versioning_status: string; last_error: string | null }>(server, token, 'GET', `/api/v1/environments/${environment.api_key}/versioning-status/`);
      if (status.versioning_status === 'v2') break;
      if (status.versioning_status === 'failed') throw new Error(`enable v2 failed: ${status.last_error}`);
      if (attempt > 1200) throw new Error('enable v2 did not finish in 2 minutes');
      await new Promise((r) => setTimeout(r, 100));
    }

    // Older history: 9 published versions per feature before its initial (live) version, one minute apart.
    const initial = await k
      .selectFrom('environment_feature_versions')
      .select(['uuid', 'feature_id', 'content_json', 'content_hash', 'live_from'])
      .where('environment_id', '=', environment.id)
      .execute();
    if (initial.length !== features) throw new Error(`expected ${features} initial versions, found ${initial.length}`);
    const older = initial.flatMap((v) => {
      const liveMs = new Date(v.live_from ?? now).getTime();
      return Array.from({ length: VERSIONS_PER_FEATURE - 1 }, (_, i) => {
        const at = new Date(liveMs - (VERSIONS_PER_FEATURE - 1 - i) * 60_000).toISOString();
        const uuid = `bench-v-${v.feature_id}-${i}`;
        return {
          uuid, environment_id: environment.id, feature_id: v.feature_id, status: 'published' as const, description: null, content_json: v.content_json, content_hash: v.content_hash,
          draft_state: null, base_version_uuid: i === 0 ? null : `bench-v-${v.feature_id}-${i - 1}`, previous_version_uuid: i === 0 ? null : `bench-v-${v.feature_id}-${i - 1}`,
          conflict_json: null, change_request_id: null, live_from: at, live_seq: null, published_at: at, created_by_user_id: null, created_by_api_key_id: null,
          published_by_user_id: null, published_by_api_key_id: null, created_at: at, updated_at: at,
        };
      });
    });
    await db.transaction(async (trx) => {
      await insertChunked(older, 500, (chunk) => trx.insertInto('environment_feature_versions').values(chunk).execute());
    });
    const count = await k.selectFrom('environment_feature_versions').select((eb) => eb.fn.countAll<number>().as('n')).where('environment_id', '=', environment.id).executeTakeFirstOrThrow();
    if (Number(count.n) !== features * VERSIONS_PER_FEATURE) throw new Error(`seeded ${count.n} versions, expected ${features * VERSIONS_PER_FEATURE}`);
    return { server, db, token, environment, featureIds, cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Signs in on a fresh page; resolves with the time from "Sign in" to the first replication finished. */
async function signInAndReplicate(browser: Browser, server: ServerProcess): Promise<{ page: Page; close(): Promise<void>; ms: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const signIn = new SignInPage(page);
  await signIn.open(server.url);
  await signIn.form.getByLabel('Email').fill(ADMIN.email);
  await signIn.form.getByLabel('Password').fill(ADMIN.password);
  const t0 = performance.now();
  await signIn.form.getByRole('button', { name: 'Sign in' }).click();
  await new SyncIndicator(page).waitForInitialReplication(120_000);
  const ms = performance.now() - t0;
  return { page, ms, close: () => context.close() };
}

/** Time from a publish through the Admin API to the value showing in the feature list of `page`, per publish. */
async function publishToShown(page: Page, seeded: Seeded, rounds: number): Promise<number[]> {
  const dashboard = new DashboardPage(page);
  const featureId = seeded.featureIds[Math.floor(seeded.featureIds.length / 2)]!;
  const featureName = `bench_feature_${String(seeded.featureIds.indexOf(featureId)).padStart(4, '0')}`;
  await dashboard.open('Projects', 'Bench');
  await dashboard.open('Environments', 'Production');
  await dashboard.featureTable('Production').waitFor();
  await dashboard.searchFeatures(featureName);
  await dashboard.featureTable('Production').getByRole('button', { name: featureName, exact: true }).waitFor();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const value = `published-${i}-${Date.now()}`;
    // The page notes the wall-clock time at which the value appears (same machine clock as Node's).
    await page.evaluate((expected) => {
      const w = window as unknown as { __shownAt?: number };
      delete w.__shownAt;
      const observer = new MutationObserver(() => {
        if (document.querySelector('table[aria-label^="Features in "] tbody')?.textContent?.includes(expected)) {
          w.__shownAt = Date.now();
          observer.disconnect();
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    }, value);
    const sentAt = Date.now();
    await api(seeded.server, seeded.token, 'POST', `/api/v1/environments/${seeded.environment.id}/features/${featureId}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, enabled: true, feature_state_value: { type: 'unicode', string_value: value } }],
      publish_immediately: true,
    });
    const shownAt = await page.waitForFunction(() => (window as unknown as { __shownAt?: number }).__shownAt, undefined, { timeout: 30_000, polling: 50 });
    samples.push(Number(await shownAt.jsonValue()) - sentAt);
  }
  return samples;
}

export async function runReplicationBench(options: ReplicationBenchOptions): Promise<BenchMetric[]> {
  const quick = options.quick ?? false;
  const features = quick ? 200 : 2000;
  const signIns = quick ? 1 : 3;
  const publishes = quick ? 3 : 9;
  // A copy of the build: a rebuild of out/renderer while the section runs must not change what is measured.
  const rendererDir = join(tempDataDir(), 'renderer');
  cpSync(ensureRendererBuilt(), rendererDir, { recursive: true });
  const metrics: BenchMetric[] = [];
  const browser = await launchChromium();
  try {
    for (const dialect of options.dialects) {
      const seedStart = performance.now();
      const seeded = await seed(dialect, features, rendererDir);
      const size = `${features.toLocaleString('en')} features × ${VERSIONS_PER_FEATURE} versions`;
      metrics.push({ name: `${dialect}: seed ${size} (SQL + enable-v2 job)`, value: Math.round(performance.now() - seedStart), unit: 'ms' });
      try {
        const initial: number[] = [];
        let watcher: Awaited<ReturnType<typeof signInAndReplicate>> | undefined;
        for (let i = 0; i < signIns; i++) {
          const run = await signInAndReplicate(browser, seeded.server);
          initial.push(run.ms);
          if (i === signIns - 1) watcher = run;
          else await run.close();
        }
        // The target is for the full size; a quick run's smaller project says nothing about it.
        const initialTarget = quick ? '' : ` (target < ${INITIAL_TARGET_MS} ms)`;
        metrics.push({ name: `${dialect}: initial replication of ${size}, median of ${signIns}${initialTarget}`, value: Math.round(median(initial)), unit: 'ms' });
        metrics.push({ name: `${dialect}: initial replication of ${size}, slowest`, value: Math.round(Math.max(...initial)), unit: 'ms' });
        try {
          const shown = await publishToShown(watcher!.page, seeded, publishes);
          metrics.push({ name: `${dialect}: publish → shown on another page, median of ${publishes} (target < ${PUBLISH_TARGET_MS} ms)`, value: Math.round(median(shown)), unit: 'ms' });
          metrics.push({ name: `${dialect}: publish → shown on another page, slowest`, value: Math.round(Math.max(...shown)), unit: 'ms' });
        } finally {
          await watcher?.close();
        }
      } finally {
        await seeded.cleanUp();
      }
    }
  } finally {
    await browser.close();
    rmSync(dirname(rendererDir), { recursive: true, force: true });
  }
  return metrics;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const dialects = args.filter((a): a is DialectName => a === 'sqlite' || a === 'postgres');
  const metrics = await runReplicationBench({ dialects: dialects.length > 0 ? dialects : ['sqlite', 'postgres'], quick: args.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(90)} ${String(m.value).padStart(10)} ${m.unit}`);
}
