/**
 * The `peer` section (issue 15 item 6): Unleash beside Flagdesk on the same machine, each on its own
 * PostgreSQL database, 500 features, 50 connections, in interleaved rounds (ratios are the figures):
 * Flagdesk `GET /api/v1/flags/` against Unleash `GET /api/client/features`, Flagdesk
 * `POST /api/v1/identities/` (5 traits) against Unleash's frontend API, and 10 concurrent writers on
 * different features (Flagdesk v2 publishes against Unleash strategy updates).
 *
 * Needs `UNLEASH_DIR`: a folder where `npm install unleash-server` was run (the bench starts it from there
 * with `unleash-server`'s programmatic `start`). Without it the section says it skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchDatabase, startBenchServer } from '../support/bench-server.js';
import { inParallel, load, median, round, signIn, type LoadRequest, type LoadResult } from '../support/measure.js';
import { identifyBodies, seedSdkEnvironment } from '../support/seed-sdk.js';
import type { BenchMetric, BenchRunOptions } from './sections.js';

const TOKENS = { admin: '*:*.flagdesk-bench-admin', client: 'default:development.flagdesk-bench-client', frontend: 'default:development.flagdesk-bench-frontend' };

interface Unleash {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startUnleash(dir: string, databaseUrl: string): Promise<Unleash> {
  const script = join(dir, 'flagdesk-bench-unleash.cjs');
  writeFileSync(
    script,
    `const { start } = require('unleash-server');
start({
  db: { connectionString: process.env.DATABASE_URL, ssl: false },
  server: { port: 0, host: '127.0.0.1' },
  authentication: { initApiTokens: [
    { secret: '${TOKENS.admin}', tokenName: 'admin', type: 'admin', projects: ['*'], environment: '*' },
    { secret: '${TOKENS.client}', tokenName: 'client', type: 'client', projects: ['default'], environment: 'development' },
    { secret: '${TOKENS.frontend}', tokenName: 'frontend', type: 'frontend', projects: ['default'], environment: 'development' },
  ] },
  getLogger: () => ({ debug() {}, info() {}, warn() {}, error: console.error, fatal: console.error }),
}).then((u) => console.log('listening on http://127.0.0.1:' + u.server.address().port));
`,
  );
  const child: ChildProcess = spawn(process.execPath, [script], { cwd: dir, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once('exit', (code) => fail(new Error(`unleash exited with ${code}:\n${out.slice(-2000)}`)));
  });
  return { url, pid: child.pid!, stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill('SIGTERM')))) };
}

async function unleashApi(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(base + path, { method, headers: { authorization: TOKENS.admin, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!r.ok) throw new Error(`unleash ${method} ${path} → ${r.status} ${(await r.text()).slice(0, 200)}`);
  return r.status === 204 ? undefined : r.json().catch(() => undefined);
}

/** 500 features, each with a flexible rollout and 5 constraint strategies (like Flagdesk's 5 segment overrides). */
async function seedUnleash(base: string, features: number): Promise<string[]> {
  const names = Array.from({ length: features }, (_, i) => `feature_${String(i).padStart(4, '0')}`);
  await inParallel(names, 4, async (name) => {
    await unleashApi(base, 'POST', '/api/admin/projects/default/features', { name });
    for (let s = 0; s < 5; s++) {
      await unleashApi(base, 'POST', `/api/admin/projects/default/features/${name}/environments/development/strategies`, {
        name: 'flexibleRollout',
        constraints: [{ contextName: 'plan', operator: 'IN', values: [`plan-${s}`] }],
        parameters: { rollout: String(10 + s), stickiness: 'default', groupId: name },
      });
    }
    await unleashApi(base, 'POST', `/api/admin/projects/default/features/${name}/environments/development/on`);
  });
  return names;
}

async function writes(count: number, writers: number, write: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await inParallel(Array.from({ length: count }, (_, i) => i), writers, async (i) => void (await write(i)));
  return count / ((performance.now() - t) / 1000);
}

export async function runPeerBench(options: BenchRunOptions): Promise<BenchMetric[]> {
  const dir = process.env.UNLEASH_DIR ? resolve(process.env.UNLEASH_DIR) : undefined;
  if (!dir || !existsSync(join(dir, 'node_modules/unleash-server'))) {
    const why = dir ? `no node_modules/unleash-server under UNLEASH_DIR=${dir}` : 'UNLEASH_DIR is not set';
    console.error(`bench: peer skipped: ${why} (npm install unleash-server in a folder and point UNLEASH_DIR at it)`);
    return [{ name: `peer: skipped (${why})`, value: NaN, unit: 'skipped' }];
  }
  const features = options.quick ? 100 : 500;
  const ours = await benchDatabase('postgres', 'peer_flagdesk');
  const theirs = await benchDatabase('postgres', 'peer_unleash');
  const server = await startBenchServer(ours.env);
  const unleash = await startUnleash(dir, theirs.env.DATABASE_URL!);
  try {
    const seeded = await seedSdkEnvironment(server.url, features, 5, 1);
    const names = await seedUnleash(unleash.url, features);
    const sdkHeaders = { 'x-environment-key': seeded.environmentKey };
    const identify: LoadRequest[] = identifyBodies(1000, 5).map((body) => ({ method: 'POST', path: '/api/v1/identities/', body }));
    const frontend: LoadRequest[] = Array.from({ length: 1000 }, (_, i) => ({ path: `/api/frontend?userId=user-${i}&properties[plan]=plan-${i % 5}&properties[country]=de` }));
    await load(server.url, { headers: { ...sdkHeaders, 'content-type': 'application/json' }, connections: 16, durationSec: 2, requests: identify });
    const api = await signIn(server.url);
    await api('POST', `/api/v1/environments/${seeded.environmentKey}/enable-v2-versioning/`);
    for (let i = 0; (await api<{ versioning_status: string }>('GET', `/api/v1/environments/${seeded.environmentKey}/versioning-status/`)).versioning_status !== 'v2'; i++) {
      if (i > 600) throw new Error('enable v2 did not finish');
      await new Promise((r) => setTimeout(r, 200));
    }

    const sec = options.quick ? 2 : 4;
    const s: Record<string, LoadResult[]> = { flags: [], client: [], ident: [], front: [] };
    const w: Record<string, number[]> = { ours: [], theirs: [] };
    for (let r = 0; r < (options.quick ? 2 : 5); r++) {
      s.flags!.push(await load(`${server.url}/api/v1/flags/`, { headers: sdkHeaders, durationSec: sec, pid: server.pid }));
      s.client!.push(await load(`${unleash.url}/api/client/features`, { headers: { authorization: TOKENS.client }, durationSec: sec, pid: unleash.pid }));
      s.ident!.push(await load(server.url, { headers: { ...sdkHeaders, 'content-type': 'application/json' }, durationSec: sec, requests: identify, pid: server.pid }));
      s.front!.push(await load(unleash.url, { headers: { authorization: TOKENS.frontend }, durationSec: sec, requests: frontend, pid: unleash.pid }));
      w.ours!.push(
        await writes(50, 10, (i) =>
          api('POST', `/api/v1/environments/${seeded.environmentId}/features/${seeded.featureIds[i % 10]}/versions/`, {
            publish_immediately: true,
            feature_states_to_update: [{ feature_segment: null, enabled: i % 2 === 0, feature_state_value: { type: 'unicode', string_value: `r${r}-${i}`, integer_value: null, boolean_value: null } }],
          }),
        ),
      );
      w.theirs!.push(await writes(50, 10, (i) => unleashApi(unleash.url, 'POST', `/api/admin/projects/default/features/${names[i % 10]}/environments/development/${i % 2 === 0 ? 'on' : 'off'}`)));
    }
    const ratio = (a: number[], b: number[]) => round(median(a.map((x, i) => x / b[i]!)), 2);
    const rps = (x: LoadResult[]) => x.map((r) => r.rps);
    return [
      { name: `peer, ${features} features: Flagdesk GET /api/v1/flags/ (median)`, value: round(median(rps(s.flags!)), 0), unit: 'req/s' },
      { name: `peer, ${features} features: Unleash GET /api/client/features (median)`, value: round(median(rps(s.client!)), 0), unit: 'req/s' },
      { name: `peer: flags / Unleash client features, median of rounds`, value: ratio(rps(s.flags!), rps(s.client!)), unit: 'x' },
      { name: `peer, ${features} features: Flagdesk POST /api/v1/identities/ (median)`, value: round(median(rps(s.ident!)), 0), unit: 'req/s' },
      { name: `peer, ${features} features: Unleash GET /api/frontend (median)`, value: round(median(rps(s.front!)), 0), unit: 'req/s' },
      { name: `peer: identities / Unleash frontend API, median of rounds`, value: ratio(rps(s.ident!), rps(s.front!)), unit: 'x' },
      { name: `peer: Flagdesk v2 publishes/s, 10 writers (median)`, value: round(median(w.ours!), 1), unit: '/s' },
      { name: `peer: Unleash toggles/s, 10 writers (median)`, value: round(median(w.theirs!), 1), unit: '/s' },
      { name: `peer: concurrent writes Flagdesk / Unleash, median of rounds`, value: ratio(w.ours!, w.theirs!), unit: 'x' },
    ];
  } finally {
    await unleash.stop();
    await server.stop();
    await ours.drop();
    await theirs.drop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const metrics = await runPeerBench({ dialects: ['postgres'], quick: process.argv.includes('--quick') });
  for (const m of metrics) console.log(`${m.name.padEnd(80)} ${String(m.value).padStart(10)} ${m.unit}`);
}
