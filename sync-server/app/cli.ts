import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfig, ConfigError } from './config.js';
import { openDatabase } from '../platform/database/database.js';
import { migrateToLatest } from '../platform/migrations/migrate.js';
import { systemClock } from '../platform/clock/clock.js';
import { createOrganisationWithAdmin } from '../modules/organisations/organisation-bootstrap.js';
import { AppError } from '../../src-shared/errors/app-error.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-admin --email <email> --password <password> [--organisation <name>]
      Create an organisation and its first admin user (uses DATABASE_URL or FLAGDESK_DATA_DIR).
  migrate
      Apply database migrations and exit.
`;

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const db = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDir, 'flagdesk.sqlite') });
  try {
    await migrateToLatest(db);
    if (command === 'migrate') {
      process.stdout.write('Database is up to date.\n');
      return 0;
    }
    if (command === 'create-admin') {
      const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, password: { type: 'string' }, organisation: { type: 'string' } } });
      if (!values.email || !values.password) {
        process.stderr.write(`create-admin needs --email and --password\n\n${USAGE}`);
        return 2;
      }
      const r = await createOrganisationWithAdmin(db, systemClock, { email: values.email, password: values.password, organisationName: values.organisation ?? config.adminOrganisation });
      process.stdout.write(`Created organisation ${r.organisationId} with admin ${values.email}. Sign in at the web dashboard or POST /api/v1/auth/login/.\n`);
      return 0;
    }
    process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof AppError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
