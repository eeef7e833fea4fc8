import { loadConfig, ConfigError } from './config.js';
import { startServer } from './server.js';
import { firstAdminHint } from './startup-hints.js';

/** Built by `npm run build` into out/server/main.js (run with plain node), or run from source by tsx in development. */
const IS_BUILT = import.meta.url.endsWith('.js');

/** `node out/server/main.js` (`npm run server:prod`) or `npm run server`: start, and on SIGTERM/SIGINT drain in-flight requests and workers, then exit 0. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer(config);
  const shutdown = (signal: string) => {
    process.stdout.write(`${signal} received: draining in-flight work...\n`);
    const timer = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting\n`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    server.stop(Math.floor(config.shutdownTimeoutMs / 2)).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`error during shutdown: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // Announced only once the signal handlers are in place: a SIGTERM right after it drains, never kills.
  // One write, so a reader that waits for the "listening on" line gets the hints with it.
  const lines = [
    `Flagdesk server listening on ${server.url} (${server.db.kind}${config.databaseUrl ? '' : `, data in ${config.dataDir}`})`,
    `Web dashboard: ${server.url}/   API docs: ${server.url}/api/v1/docs/`,
    ...(server.needsFirstAdmin ? firstAdminHint(IS_BUILT ? 'node out/server/cli.js' : 'npm run cli --') : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`Flagdesk server failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
