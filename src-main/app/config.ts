import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Configuration of the Electron main process, read once at start. The only file of main that reads `process.env`. */
export const MainConfigSchema = Type.Object({
  serverUrl: Type.String({
    pattern: '^https?://[^/\\s]+/?$',
    description:
      'The sync server whose dashboard the window opens: the `--flagdesk-server-url=<url>` argument (how `npm start` passes it), else FLAGDESK_SERVER_URL, else http://127.0.0.1:8000.',
  }),
  userDataDir: Type.Optional(Type.String({ minLength: 1, description: 'FLAGDESK_USER_DATA_DIR: Electron user-data folder (tests pass a fresh one).' })),
  isDevToolsEnabled: Type.Boolean({ description: 'FLAGDESK_DEVTOOLS=1: offer Toggle Developer Tools in the View menu.' }),
});
export type MainConfig = Static<typeof MainConfigSchema> & {
  /** `serverUrl`'s origin: the only origin the window may show and that may call IPC. */
  serverOrigin: string;
};

export class MainConfigError extends Error {
  override readonly name = 'MainConfigError';
}

export const SERVER_URL_ARGUMENT = '--flagdesk-server-url=';

/** Builds and validates main's config; throws MainConfigError naming each bad variable. */
export function loadMainConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv): MainConfig {
  const fromArgument = argv.find((a) => a.startsWith(SERVER_URL_ARGUMENT))?.slice(SERVER_URL_ARGUMENT.length);
  const candidate = {
    serverUrl: fromArgument || env.FLAGDESK_SERVER_URL || 'http://127.0.0.1:8000',
    ...(env.FLAGDESK_USER_DATA_DIR ? { userDataDir: env.FLAGDESK_USER_DATA_DIR } : {}),
    isDevToolsEnabled: env.FLAGDESK_DEVTOOLS === '1',
  };
  const names: Record<string, string> = { serverUrl: fromArgument ? SERVER_URL_ARGUMENT.slice(0, -1) : 'FLAGDESK_SERVER_URL', userDataDir: 'FLAGDESK_USER_DATA_DIR', isDevToolsEnabled: 'FLAGDESK_DEVTOOLS' };
  const problems = [...Value.Errors(MainConfigSchema, candidate)].map((e) => {
    const key = e.path.replace(/^\//, '');
    return `${names[key] ?? key}: ${e.message} (got ${JSON.stringify((candidate as Record<string, unknown>)[key])})`;
  });
  if (problems.length > 0) throw new MainConfigError(`Invalid desktop configuration:\n  - ${problems.join('\n  - ')}`);
  return { ...candidate, serverOrigin: new URL(candidate.serverUrl).origin };
}
