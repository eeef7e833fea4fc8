import { startServerProcess, tempDataDir, type ServerProcess } from '../support/server-process.js';
import { ensureRendererBuilt } from '../support/browser.js';

/** Admin API call on the real server, for arranging data the way a script would. */
export async function adminApi<T>(server: ServerProcess, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Token ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** Polls `check` until it returns a value (not undefined), for server-side background work. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Turns Feature Versioning on for an environment through the Admin API and waits until its migration is done. */
export async function enableV2AndWait(server: ServerProcess, token: string, env: { api_key: string; name: string }): Promise<void> {
  await adminApi(server, token, 'POST', `/api/v1/environments/${env.api_key}/enable-v2-versioning/`);
  await eventually(async () => {
    const status = await adminApi<{ versioning_status: string }>(server, token, 'GET', `/api/v1/environments/${env.api_key}/versioning-status/`);
    return status.versioning_status === 'v2' ? true : undefined;
  }, `${env.name} on v2`);
}

export interface DashboardServer {
  server: ServerProcess;
  dataDir: string;
  /** The first admin's session token, for arranging data through the Admin API. */
  token: string;
  organisation: { id: number };
}

/**
 * A real server process on its own data directory, serving the built dashboard, whose first start creates
 * `admin` in `organisationName` (as an operator would with the environment variables); signed in as that admin.
 */
export async function startDashboardServer(admin: { email: string; password: string }, organisationName: string, env: Record<string, string> = {}): Promise<DashboardServer> {
  const rendererDir = ensureRendererBuilt();
  const dataDir = tempDataDir();
  const server = await startServerProcess({
    FLAGDESK_DATA_DIR: dataDir,
    FLAGDESK_ADMIN_EMAIL: admin.email,
    FLAGDESK_ADMIN_PASSWORD: admin.password,
    FLAGDESK_ADMIN_ORGANISATION: organisationName,
    FLAGDESK_RENDERER_DIR: rendererDir,
    ...env,
  });
  const token = (await adminApi<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', admin)).key;
  const organisations = await adminApi<{ results: { id: number; name: string }[] }>(server, token, 'GET', '/api/v1/organisations/');
  const organisation = organisations.results.find((o) => o.name === organisationName);
  if (!organisation) throw new Error(`the server did not create the organisation ${organisationName}`);
  return { server, dataDir, token, organisation: { id: organisation.id } };
}
