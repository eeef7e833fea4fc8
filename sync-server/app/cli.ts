import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { loadConfig, ConfigError } from './config.js';
import { openDatabase } from '../platform/database/database.js';
import { migrateToLatest } from '../platform/migrations/migrate.js';
import { systemClock } from '../platform/clock/clock.js';
import { createOrganisationWithAdmin } from '../modules/organisations/organisation-bootstrap.js';
import { AppError } from '../../src-shared/errors/app-error.js';
import { backupSqlite, BackupRefused, postgresBackupAdvice, restoreSqlite } from '../platform/database/sqlite-backup.js';
import type { Config } from './config.js';
import { createServices } from './services.js';
import { createFlagsmithClient, FlagsmithSourceError } from '../modules/import/flagsmith-client.js';
import { importFromFlagsmith } from '../modules/import/flagsmith-import.js';
import type { Db } from '../platform/database/database.js';

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-admin --email <email> --password <password> [--organisation <name>]
      Create an organisation and its first admin user (uses DATABASE_URL or FLAGDESK_DATA_DIR).
  migrate
      Apply database migrations and exit.
  backup <file>
      Copy the SQLite database into a new file <file>, consistent, while the server runs (SQLite only;
      on PostgreSQL it prints the pg_dump / pg_restore commands to use).
  restore <file> [--force]
      Replace the SQLite database in FLAGDESK_DATA_DIR with the backup <file>. Refuses while a server runs
      on it; asks for --force when it already holds data.
  import-flagsmith --url <flagsmith url> --token <token> [--source-organisation <id>]
                   [--organisation <flagdesk id>] [--admin-email <email> --admin-password <password>]
      Copy a Flagsmith organisation (projects, environments, features, segments, overrides, identities
      with traits) into Flagdesk through its Admin API. The token is a Flagsmith user token, or
      "Api-Key <key>" for an organisation API key. The import acts as the Flagdesk admin given (default
      FLAGDESK_ADMIN_EMAIL / FLAGDESK_ADMIN_PASSWORD); matched by names, so running it again changes
      nothing that is already there.
`;

/** `import-flagsmith`: resolves who acts in Flagdesk and where to, then hands over to modules/import. */
async function runImport(rest: string[], config: Config, db: Db): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' }, token: { type: 'string' }, 'source-organisation': { type: 'string' }, organisation: { type: 'string' },
      'admin-email': { type: 'string' }, 'admin-password': { type: 'string' },
    },
  });
  const email = values['admin-email'] ?? config.adminEmail;
  const password = values['admin-password'] ?? config.adminPassword;
  if (!values.url || !values.token || !email || !password) {
    process.stderr.write(`import-flagsmith needs --url, --token and a Flagdesk admin (--admin-email and --admin-password)\n\n${USAGE}`);
    return 2;
  }
  for (const name of ['organisation', 'source-organisation'] as const) {
    if (values[name] !== undefined && !/^[1-9]\d*$/.test(values[name])) {
      process.stderr.write(`--${name} must be an organisation id (a positive integer), got "${values[name]}"\n`);
      return 2;
    }
  }
  const services = createServices({ db, clock: systemClock });
  const { key } = await services.auth.login(email, password);
  try {
    const actor = (await services.auth.resolveAuthorization(`Token ${key}`))!;
    let organisation = values.organisation === undefined ? undefined : Number(values.organisation);
    if (organisation === undefined) {
      const mine = (await services.organisations.list(actor, { offset: 0, limit: 2 })).items;
      if (mine.length !== 1) {
        process.stderr.write(`${email} belongs to ${mine.length === 0 ? 'no organisation' : 'several organisations'}; choose one with --organisation <id>\n`);
        return 2;
      }
      organisation = mine[0]!.id;
    }
    const source = createFlagsmithClient({ baseUrl: values.url, token: values.token });
    const sourceOrganisationId = values['source-organisation'] === undefined ? undefined : Number(values['source-organisation']);
    await importFromFlagsmith(source, services, actor, { sourceOrganisationId, targetOrganisationId: organisation, onProgress: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } finally {
    await services.auth.logout(key);
  }
}

/** `backup` / `restore`: they work on the database file, so they never open it through the server's pool. */
async function runFileCommand(command: 'backup' | 'restore', rest: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { force: { type: 'boolean' } } });
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write(`${command} needs exactly one <file>\n\n${USAGE}`);
    return 2;
  }
  if (config.databaseUrl) {
    process.stderr.write(`${postgresBackupAdvice()}\n`);
    return 2;
  }
  const database = join(config.dataDir, 'flagdesk.sqlite');
  if (command === 'backup') {
    const r = await backupSqlite(database, file);
    process.stdout.write(`Backed up ${database} to ${file} (${r.bytes} bytes).\n`);
  } else {
    const r = await restoreSqlite(file, database, { force: values.force === true });
    process.stdout.write(`Restored ${file} into ${database} (${r.migrations} migrations; newer ones run at the next start).\n`);
  }
  return 0;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (command === 'backup' || command === 'restore') return runFileCommand(command, rest, config);
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
    if (command === 'import-flagsmith') return await runImport(rest, config, db);
    process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
    return 2;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof AppError || error instanceof BackupRefused || error instanceof FlagsmithSourceError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
