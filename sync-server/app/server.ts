import { join } from 'node:path';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { createServerMetrics } from '../platform/metrics/server-metrics.js';
import { buildApp, type BuiltApp } from './build-app.js';
import { openDatabase, type Db } from '../platform/database/database.js';
import { migrateToLatest } from '../platform/migrations/migrate.js';
import { markServerRunning } from '../platform/database/server-lock.js';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import { bootstrapFirstAdmin, isDatabaseEmpty } from '../modules/organisations/organisation-bootstrap.js';

export interface RunningServer extends BuiltApp {
  db: Db;
  url: string;
  /** The database has no users and no FLAGDESK_ADMIN_* was set: the entry point prints how to create the first admin. */
  needsFirstAdmin: boolean;
  /**
   * Stops accepting requests, lets in-flight requests finish (sockets still open after `graceMs` are
   * closed), lets the running job batch finish, and closes the database.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Opens the database, migrates, bootstraps the first admin if configured, and listens. */
export async function startServer(config: Config, clock: Clock = systemClock): Promise<RunningServer> {
  const logger = createLogger(config);
  const sqliteFile = join(config.dataDir, 'flagdesk.sqlite');
  const db = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile });
  // `restore` refuses to replace the SQLite file of a running server.
  const unmark = config.databaseUrl ? () => {} : markServerRunning(sqliteFile);
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  let needsFirstAdmin = false;
  if (config.adminEmail && config.adminPassword) {
    // Idempotent across instances starting together: one creates them, the others find them.
    const { created } = await bootstrapFirstAdmin(db, clock, { email: config.adminEmail, password: config.adminPassword, organisationName: config.adminOrganisation });
    if (created) logger.info({ email: config.adminEmail, organisation: config.adminOrganisation }, 'created the first organisation and its admin');
  } else if (await isDatabaseEmpty(db)) {
    needsFirstAdmin = true;
  }

  const built = await buildApp({
    db, clock, logger, bodyLimitBytes: config.bodyLimitBytes, rendererDir: config.rendererDir,
    email: { smtpUrl: config.smtpUrl, from: config.emailFrom },
    databaseUrl: config.databaseUrl,
    // A delivery in flight is held for its timeout plus the lease: it cannot outlast the timeout while its worker lives.
    jobLeaseMs: config.workerLeaseMs,
    webhooks: { timeoutMs: config.webhookTimeoutMs, leaseMs: config.webhookTimeoutMs + config.workerLeaseMs },
    metrics: createServerMetrics({ withProcessMetrics: true }),
    metricsToken: config.metricsToken,
    // A terminal is read by a person: two lines per request (the dashboard makes many) would bury
    // everything else. Log collectors get every request; /metrics counts them either way.
    logRequests: config.logFormat === 'json',
  });
  const address = await built.app.listen({ port: config.port, host: config.host });
  built.services.jobs.start();
  const url = address.replace('[::1]', '127.0.0.1');
  let stopping: Promise<void> | undefined;
  return {
    ...built,
    db,
    url,
    needsFirstAdmin,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        // Stop taking requests and let in-flight ones finish, then let the running job batch finish.
        // Keep-alive sockets that never send another request must not hold the process: after the grace
        // period they are closed.
        const force = setTimeout(() => built.app.server.closeAllConnections(), graceMs);
        await built.app.close();
        clearTimeout(force);
        await built.services.impactJobs.close();
        await built.services.jobs.stop();
        await db.close();
        unmark();
      })();
      return stopping;
    },
  };
}

export { systemClock };
