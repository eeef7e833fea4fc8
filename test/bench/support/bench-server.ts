/**
 * Server processes for the bench: one `node` process per server (no npm or tsx wrapper processes, so RSS
 * and CPU are the server's own), started from this checkout or, for before/after figures in one run,
 * from another checkout of the repository (`BENCH_BASELINE_DIR`, e.g. `git archive <commit> | tar -x`).
 * The production build (`out/server/main.js`) is used when it exists, else the TypeScript entry through
 * `node --import tsx`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { DialectName } from '../../../sync-server/platform/database/database.js';
import { PG_ADMIN_URL } from '../../support/databases.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
/** Another checkout to measure beside this one (before/after in the same run), when set. */
export const BASELINE_DIR = process.env.BENCH_BASELINE_DIR ? resolve(process.env.BENCH_BASELINE_DIR) : undefined;

export interface BenchServer {
  child: ChildProcess;
  pid: number;
  url: string;
  /** `node out/server/main.js` or `node --import tsx sync-server/app/main.ts`. */
  entry: string;
  output(): string;
  stop(): Promise<void>;
}

export interface BenchDatabase {
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A fresh database for one bench run: a SQLite data folder, or a PostgreSQL database of its own. */
export async function benchDatabase(dialect: DialectName, tag: string): Promise<BenchDatabase> {
  if (dialect === 'sqlite') return { env: { FLAGDESK_DATA_DIR: mkdtempSync(join(tmpdir(), 'flagdesk-bench-')) }, drop: async () => {} };
  const name = `flagdesk_bench_${tag}_${process.pid}`;
  const run = async (query: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  await run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await run(`CREATE DATABASE ${name}`);
  return { env: { DATABASE_URL: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) }, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Starts one server process (from `root`) and waits until it listens. */
export async function startBenchServer(env: Record<string, string>, options: { root?: string; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<BenchServer> {
  const root = options.root ?? ROOT;
  const built = join(root, 'out/server/main.js');
  const args = existsSync(built) ? [built] : ['--import', 'tsx', 'sync-server/app/main.ts'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', FLAGDESK_ADMIN_EMAIL: 'bench@example.com', FLAGDESK_ADMIN_PASSWORD: 'bench-password', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    url,
    entry: args.join(' '),
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
