import { join } from 'node:path';
import pino from 'pino';
import type { Config } from './config.js';
import { buildApp, type BuiltApp } from './build-app.js';
import { openDatabase, type Db } from '../platform/database/database.js';
import { migrateToLatest } from '../platform/migrations/migrate.js';
import { systemClock, type Clock } from '../platform/clock/clock.js';
import { createOrganisationWithAdmin, isDatabaseEmpty } from '../modules/organisations/organisation-bootstrap.js';

export interface RunningServer extends BuiltApp {
  db: Db;
  url: string;
  /**
   * Stops accepting requests, lets in-flight requests finish (sockets still open after `graceMs` are
   * closed), lets the running job batch finish, and closes the database.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Opens the database, migrates, bootstraps the first admin if configured, and listens. */
export async function startServer(config: Config, clock: Clock = systemClock): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel });
  const db = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'flagdesk.sqlite') });
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');

  if (await isDatabaseEmpty(db)) {
    if (config.adminEmail && config.adminPassword) {
      await createOrganisationWithAdmin(db, clock, { email: config.adminEmail, password: config.adminPassword, organisationName: config.adminOrganisation });
      logger.info({ email: config.adminEmail, organisation: config.adminOrganisation }, 'created the first organisation and its admin');
    } else {
      logger.warn(
        'The database has no users yet. Create the first admin with:\n' +
          '  npm run cli -- create-admin --email you@example.com --password <8+ chars> [--organisation "My Org"]\n' +
          'or restart with FLAGDESK_ADMIN_EMAIL and FLAGDESK_ADMIN_PASSWORD set.',
      );
    }
  }

  const built = await buildApp({
    db, clock, logger, bodyLimitBytes: config.bodyLimitBytes, rendererDir: config.rendererDir,
    email: { smtpUrl: config.smtpUrl, from: config.emailFrom },
    databaseUrl: config.databaseUrl,
  });
  const address = await built.app.listen({ port: config.port, host: config.host });
  built.services.jobs.start();
  const url = address.replace('[::1]', '127.0.0.1');
  let stopping: Promise<void> | undefined;
  return {
    ...built,
    db,
    url,
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
      })();
      return stopping;
    },
  };
}

export { systemClock };
