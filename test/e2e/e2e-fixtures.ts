import type { ServerProcess } from '../support/server-process.js';

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
