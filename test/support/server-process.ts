import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
/**
 * Node itself runs the TypeScript entry, with tsx as a loader: the spawned process *is* the server (the
 * `tsx` wrapper would run it in a child node process that a SIGKILL to the wrapper leaves running).
 */
const NODE_TSX = [process.execPath, '--import', 'tsx'] as const;

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal to the server's process group and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Servers still running and folders made by `tempDataDir`, removed when the test file ends (or the process exits). */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Signals the whole process group of a server started here (it leads its own group: `detached`). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

/** Stops every server a test left running (SIGKILL) and removes the temporary folders of this test file. */
export async function cleanUpServerProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
      signalGroup(child, 'SIGKILL');
      await exited;
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once('exit', () => {
  for (const child of running) signalGroup(child, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
if (process.env.VITEST) {
  // Every test file that starts servers (or asks for data folders) leaves nothing behind.
  const { afterAll } = await import('vitest');
  afterAll(cleanUpServerProcesses);
}

/** A fresh temporary folder, removed when the test file ends. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flagdesk-'));
  tempDirs.add(dir);
  return dir;
}

/** Starts `sync-server/app/main.ts` as a real process on an ephemeral port and waits until it listens. */
export async function startServerProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(NODE_TSX[0], [...NODE_TSX.slice(1), 'sync-server/app/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => {
      signalGroup(child, 'SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      signalGroup(child, signal);
      return exited;
    },
  };
}

/** Runs the CLI (`npm run cli -- …`) synchronously. */
export function runCli(args: string[], env: Record<string, string>): { status: number | null; output: string } {
  const r = spawnSync(NODE_TSX[0], [...NODE_TSX.slice(1), 'sync-server/app/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Runs the server entry expecting it to exit (e.g. on bad config). */
export function runServerExpectingExit(env: Record<string, string>): { status: number | null; output: string } {
  const r = spawnSync(NODE_TSX[0], [...NODE_TSX.slice(1), 'sync-server/app/main.ts'], { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
