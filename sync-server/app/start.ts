import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { loadConfig, ConfigError, type Config } from './config.js';
import { startServer, type RunningServer } from './server.js';
import { firstAdminHint } from './startup-hints.js';

/**
 * `npm start`: builds the app when out/ is incomplete, starts the server (the same config and startup as
 * `npm run server`), then opens the desktop app on it. Where the Electron binary is not installed, it says
 * so and keeps serving the web dashboard. SIGINT/SIGTERM stop both.
 */

const ROOT = resolve(import.meta.dirname, '../..');
/** The files `electron-vite build` produces that Electron and the web dashboard load. */
const BUILD_OUTPUTS = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
/** Main's command-line switch for the server to open (src-main/app/config.ts). */
const SERVER_URL_ARGUMENT = '--flagdesk-server-url=';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function ensureBuilt(): void {
  const missing = BUILD_OUTPUTS.filter((file) => !existsSync(join(ROOT, file)));
  if (missing.length === 0) return;
  say('Building the app (first start only, a few seconds)...');
  // The build's own report (chunk sizes, a chunk-size warning) is noise to someone starting the app; it
  // is shown only when the build fails.
  const result = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build', '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`electron-vite build failed (exit ${result.status ?? result.signal})`);
  }
}

/**
 * The Electron executable if it is installed, found without `require('electron')`: since Electron 42
 * that require downloads the binary on first use, which fails (slowly) on machines without internet access.
 */
function findElectronBinary(): { path: string } | { missing: string } {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { missing: `the Electron binary was never downloaded (no ${pathFile})` };
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `${binary} does not exist` };
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  ensureBuilt();
  const config = readConfig();
  const server: RunningServer = await startServer(config);
  say(`Flagdesk server listening on ${server.url} (${server.db.kind}${config.databaseUrl ? '' : `, data in ${config.dataDir}`})`);
  // Printed last, after the dashboard's address: what to do next.
  const sayFirstAdminHint = () => {
    if (server.needsFirstAdmin) for (const line of firstAdminHint('npm run cli --')) say(line);
  };

  let desktop: ChildProcess | undefined = undefined;
  let stopping = false;
  const stop = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    say(`${reason}: stopping...`);
    const timer = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    if (desktop && desktop.exitCode === null && desktop.signalCode === null) desktop.kill('SIGTERM');
    try {
      await server.stop(Math.floor(config.shutdownTimeoutMs / 2));
      process.exit(exitCode);
    } catch (error) {
      process.stderr.write(`error during shutdown: ${String(error)}\n`);
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT received', 0));
  process.once('SIGTERM', () => void stop('SIGTERM received', 0));

  const electron = findElectronBinary();
  if ('missing' in electron) {
    say(`The desktop app is not available on this machine: ${electron.missing}.`);
    say('  (install it with `npx install-electron` where github.com can be reached; the server keeps running)');
    say(`Web dashboard: ${server.url}/   API docs: ${server.url}/api/v1/docs/`);
    sayFirstAdminHint();
    say('Press Ctrl+C to stop.');
    return;
  }
  say(`Opening the desktop app (${electron.path})`);
  say(`Web dashboard: ${server.url}/`);
  sayFirstAdminHint();
  desktop = spawn(electron.path, [ROOT, `${SERVER_URL_ARGUMENT}${server.url}`], { cwd: ROOT, stdio: 'inherit' });
  desktop.once('error', (error) => {
    say(`The desktop app could not start (${error.message}); the web dashboard stays at ${server.url}/`);
  });
  // Closing the app's window ends `npm start`, as quitting any desktop app does.
  desktop.once('exit', (code) => void stop(`desktop app exited (${code ?? 'signal'})`, 0));
}

main().catch((error: unknown) => {
  process.stderr.write(`Flagdesk failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
