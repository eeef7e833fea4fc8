import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { tempDataDir } from '../../support/server-process.js';

/**
 * The production server: `npm run build` bundles sync-server/app/{main,cli}.ts into out/server/*.js, and
 * plain `node out/server/main.js` runs it with only `dependencies` installed (.ci/run also checks that
 * on a copy installed with `npm ci --omit=dev`). This test rebuilds the bundle first, so it never runs a
 * stale one and never skips.
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const BUNDLES = ['out/server/main.js', 'out/server/cli.js'];

beforeAll(() => {
  const r = spawnSync('npm', ['run', '-s', 'build:server'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build:server failed:\n${r.stdout}${r.stderr}`);
});

/** The package a bare import names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

test('the bundles import only Node built-ins and packages listed in dependencies (never a devDependency such as tsx)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const builtins = new Set(builtinModules);
  const imported = new Set<string>();
  for (const file of BUNDLES) {
    const code = readFileSync(join(ROOT, file), 'utf8');
    for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;'"]*?from\s*["']([^"'.][^"']*)["']|(?:^|\n)\s*import\s*["']([^"'.][^"']*)["']|\bimport\(\s*["']([^"'.][^"']*)["']\s*\)/g)) {
      const specifier = m[1] ?? m[2] ?? m[3]!;
      if (!specifier.startsWith('node:') && !builtins.has(specifier)) imported.add(packageOf(specifier));
    }
  }
  expect(imported.size).toBeGreaterThan(5);
  expect([...imported].filter((p) => !(p in pkg.dependencies))).toEqual([]);
});

interface BuiltServer {
  url: string;
  output: () => string;
  stop(): Promise<number | null>;
}

async function startBuilt(env: Record<string, string>): Promise<BuiltServer> {
  const child = spawn(process.execPath, ['--enable-source-maps', 'out/server/main.js'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', FLAGDESK_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`built server did not listen in 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`built server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

describe.each(DIALECTS)('node out/server/main.js on %s', (dialect) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  async function storage(): Promise<Record<string, string>> {
    if (dialect === 'sqlite') {
      const dir = tempDataDir();
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return { FLAGDESK_DATA_DIR: dir };
    }
    const t: TestDb = await createTestDb('postgres');
    await t.db.close(); // the server process opens its own pool
    cleanups.push(() => t.drop());
    return { DATABASE_URL: t.location };
  }

  test('starts, is live and ready, serves a login, the Admin API and the SDK flags, and exits 0 on SIGTERM', async () => {
    const server = await startBuilt({ ...(await storage()), FLAGDESK_ADMIN_EMAIL: 'ops@example.com', FLAGDESK_ADMIN_PASSWORD: 'ops-password' });
    let code: number | null;
    try {
      const json = async (path: string, init: RequestInit = {}) => {
        const r = await fetch(`${server.url}${path}`, init);
        return { status: r.status, body: (await r.json()) as any };
      };
      const post = (path: string, body: unknown, token: string) => json(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Token ${token}` }, body: JSON.stringify(body) });

      expect(await json('/health')).toEqual({ status: 200, body: { status: 'ok', database: dialect } });
      expect(await json('/ready')).toMatchObject({ status: 200, body: { status: 'ready', database: dialect } });
      const login = await json('/api/v1/auth/login/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ops@example.com', password: 'ops-password' }) });
      expect(login.status).toBe(200);
      const token = login.body.key as string;
      const organisation = (await json('/api/v1/organisations/', { headers: { authorization: `Token ${token}` } })).body.results[0].id as number;
      const project = await post('/api/v1/projects/', { name: 'Shop', organisation }, token);
      const environment = await post('/api/v1/environments/', { name: 'Production', project: project.body.id }, token);
      await post(`/api/v1/projects/${project.body.id}/features/`, { name: 'checkout_v2', default_enabled: true }, token);
      const flags = await json('/api/v1/flags/', { headers: { 'x-environment-key': environment.body.api_key } });
      expect({ status: flags.status, names: (flags.body as { feature: { name: string } }[]).map((f) => f.feature.name) }).toEqual({ status: 200, names: ['checkout_v2'] });
      const metrics = await fetch(`${server.url}/metrics`);
      expect([metrics.status, (await metrics.text()).includes('flagdesk_http_requests_total{method="GET",route="/api/v1/flags/",status_code="200"} 1')]).toEqual([200, true]);
    } finally {
      code = await server.stop();
    }
    expect(code).toBe(0);
  });
});
