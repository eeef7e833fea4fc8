import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The server's configuration, read once from the environment. The only file of the server that reads `process.env`. */
export const ConfigSchema = Type.Object({
  port: Type.Integer({ minimum: 0, maximum: 65535, description: 'PORT: HTTP port (default 8000).' }),
  host: Type.String({ minLength: 1, description: 'HOST: interface to bind (default 127.0.0.1; 0.0.0.0 for a team server).' }),
  dataDir: Type.String({ minLength: 1, description: 'FLAGDESK_DATA_DIR: folder of the SQLite database (default ./data).' }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'DATABASE_URL: PostgreSQL connection string; SQLite when unset.' })),
  adminEmail: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'FLAGDESK_ADMIN_EMAIL: first admin, created on an empty database.' })),
  adminPassword: Type.Optional(Type.String({ minLength: 8, description: 'FLAGDESK_ADMIN_PASSWORD: password of the first admin (8+ characters).' })),
  adminOrganisation: Type.String({ minLength: 1, description: 'FLAGDESK_ADMIN_ORGANISATION: name of the first organisation.' }),
  logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { description: 'LOG_LEVEL (default info).' }),
  logFormat: Type.Union([Type.Literal('json'), Type.Literal('pretty')], {
    description: 'FLAGDESK_LOG_FORMAT: `json` (one object per line, for log collectors) or `pretty` (readable lines); default pretty when stdout is a terminal and NODE_ENV is not production, else json.',
  }),
  metricsToken: Type.Optional(
    Type.String({ minLength: 16, description: 'FLAGDESK_METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>` (from any address); unset, /metrics answers loopback callers only.' }),
  ),
  bodyLimitBytes: Type.Integer({ minimum: 1024, description: 'FLAGDESK_BODY_LIMIT_BYTES: largest accepted request body (default 1 MiB).' }),
  rendererDir: Type.String({ description: 'FLAGDESK_RENDERER_DIR: built web dashboard to serve at / (default ./out/renderer).' }),
  shutdownTimeoutMs: Type.Integer({ minimum: 0, description: 'FLAGDESK_SHUTDOWN_TIMEOUT_MS: longest wait for in-flight work on SIGTERM (default 10000).' }),
  smtpUrl: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$', description: 'FLAGDESK_SMTP_URL: `smtp://user:pass@host:port` (or smtps://); without it, emails are kept in the database and logged.' })),
  emailFrom: Type.String({ minLength: 3, description: 'FLAGDESK_EMAIL_FROM: From address of emails (default `Flagdesk <flagdesk@localhost>`).' }),
  workerLeaseMs: Type.Integer({ minimum: 1000, description: 'FLAGDESK_WORKER_LEASE_MS: how long a background job or webhook delivery claimed by an instance that died stays with it before another instance takes it over (default 60000).' }),
  webhookTimeoutMs: Type.Integer({ minimum: 100, description: 'FLAGDESK_WEBHOOK_TIMEOUT_MS: longest wait for a webhook receiver to answer (default 10000).' }),
});
export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function intOr(raw: string | undefined, fallback: number): number | string {
  if (raw === undefined || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

/**
 * Builds and validates the config; throws ConfigError naming each bad variable. `isTerminal` (stdout is a
 * TTY) picks the default log format.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, isTerminal: boolean = process.stdout.isTTY === true): Config {
  const candidate = {
    port: intOr(env.PORT, 8000),
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(env.FLAGDESK_DATA_DIR || './data'),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.FLAGDESK_ADMIN_EMAIL ? { adminEmail: env.FLAGDESK_ADMIN_EMAIL } : {}),
    ...(env.FLAGDESK_ADMIN_PASSWORD ? { adminPassword: env.FLAGDESK_ADMIN_PASSWORD } : {}),
    adminOrganisation: env.FLAGDESK_ADMIN_ORGANISATION || 'Default Organisation',
    logLevel: env.LOG_LEVEL || 'info',
    logFormat: env.FLAGDESK_LOG_FORMAT || (isTerminal && env.NODE_ENV !== 'production' ? 'pretty' : 'json'),
    ...(env.FLAGDESK_METRICS_TOKEN ? { metricsToken: env.FLAGDESK_METRICS_TOKEN } : {}),
    bodyLimitBytes: intOr(env.FLAGDESK_BODY_LIMIT_BYTES, 1024 * 1024),
    rendererDir: resolve(env.FLAGDESK_RENDERER_DIR || './out/renderer'),
    shutdownTimeoutMs: intOr(env.FLAGDESK_SHUTDOWN_TIMEOUT_MS, 10_000),
    ...(env.FLAGDESK_SMTP_URL ? { smtpUrl: env.FLAGDESK_SMTP_URL } : {}),
    emailFrom: env.FLAGDESK_EMAIL_FROM || 'Flagdesk <flagdesk@localhost>',
    workerLeaseMs: intOr(env.FLAGDESK_WORKER_LEASE_MS, 60_000),
    webhookTimeoutMs: intOr(env.FLAGDESK_WEBHOOK_TIMEOUT_MS, 10_000),
  };
  const names: Record<string, string> = {
    port: 'PORT', host: 'HOST', dataDir: 'FLAGDESK_DATA_DIR', databaseUrl: 'DATABASE_URL',
    adminEmail: 'FLAGDESK_ADMIN_EMAIL', adminPassword: 'FLAGDESK_ADMIN_PASSWORD', adminOrganisation: 'FLAGDESK_ADMIN_ORGANISATION',
    logLevel: 'LOG_LEVEL', logFormat: 'FLAGDESK_LOG_FORMAT', metricsToken: 'FLAGDESK_METRICS_TOKEN', bodyLimitBytes: 'FLAGDESK_BODY_LIMIT_BYTES', rendererDir: 'FLAGDESK_RENDERER_DIR',
    shutdownTimeoutMs: 'FLAGDESK_SHUTDOWN_TIMEOUT_MS', smtpUrl: 'FLAGDESK_SMTP_URL', emailFrom: 'FLAGDESK_EMAIL_FROM',
    workerLeaseMs: 'FLAGDESK_WORKER_LEASE_MS', webhookTimeoutMs: 'FLAGDESK_WEBHOOK_TIMEOUT_MS',
  };
  const problems = [...Value.Errors(ConfigSchema, candidate)].map((e) => {
    const key = e.path.replace(/^\//, '');
    return `${names[key] ?? key}: ${e.message} (got ${JSON.stringify((candidate as Record<string, unknown>)[key])})`;
  });
  if (Boolean(candidate.adminEmail) !== Boolean(candidate.adminPassword)) {
    problems.push('FLAGDESK_ADMIN_EMAIL and FLAGDESK_ADMIN_PASSWORD must be set together');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  return candidate as Config;
}
