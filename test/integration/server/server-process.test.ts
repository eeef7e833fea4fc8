import { afterAll, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { runCli, runServerExpectingExit, startServerProcess, tempDataDir } from '../../support/server-process.js';

// Several real server starts and CLI runs per test on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 300_000 });

async function login(url: string, email: string, password: string): Promise<number> {
  const r = await fetch(`${url}/api/v1/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  return r.status;
}

test('invalid configuration stops the server with a message naming each bad variable', () => {
  const r = runServerExpectingExit({ PORT: 'eighty', FLAGDESK_ADMIN_EMAIL: 'admin@example.com', LOG_LEVEL: 'loud' });
  expect(r.status).toBe(2);
  expect(r.output).toContain('PORT: Expected integer');
  expect(r.output).toContain('LOG_LEVEL');
  expect(r.output).toContain('FLAGDESK_ADMIN_EMAIL and FLAGDESK_ADMIN_PASSWORD must be set together');
});

describe.each(DIALECTS)('server process on %s', (dialect) => {
  const dbs: TestDb[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  async function storage(): Promise<Record<string, string>> {
    if (dialect === 'sqlite') return { FLAGDESK_DATA_DIR: tempDataDir() };
    const t = await createTestDb('postgres');
    await t.db.close(); // the server process opens its own pool
    dbs.push({ ...t, drop: t.drop });
    return { DATABASE_URL: t.location };
  }

  test('first start creates the configured admin; SIGTERM exits 0; data survives a restart', async () => {
    const env = { ...(await storage()), FLAGDESK_ADMIN_EMAIL: 'first@example.com', FLAGDESK_ADMIN_PASSWORD: 'first-password' };
    // Info logs show each request the server received ("incoming request").
    const first = await startServerProcess({ ...env, LOG_LEVEL: 'info' });
    expect(await login(first.url, 'first@example.com', 'first-password')).toBe(200);
    const received = () => first.output().split('incoming request').length - 1;
    const before = received();
    // Logins take tens of milliseconds (scrypt): SIGTERM arrives once the server has them all, while it handles them.
    const inFlight = Array.from({ length: 5 }, () =>
      login(first.url, 'first@example.com', 'first-password').catch((e: Error) => `failed: ${e.message}`),
    );
    while (received() < before + 5) await new Promise((r) => setTimeout(r, 2));
    const code = await first.stop('SIGTERM');
    if (code !== 0) throw new Error(`exit ${code}:\n${first.output()}`);
    expect(first.output()).toContain('SIGTERM received');
    // Requests in flight when the signal came were answered, not dropped.
    expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200, 200]);

    const second = await startServerProcess({ ...env, FLAGDESK_ADMIN_PASSWORD: 'ignored-on-a-non-empty-db' });
    expect(await login(second.url, 'first@example.com', 'first-password')).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  test('without admin settings the server explains how to create one, and the CLI does it', async () => {
    const env = await storage();
    const server = await startServerProcess({ ...env, LOG_LEVEL: 'info' });
    expect(server.output()).toContain('npm run cli -- create-admin');
    expect(await server.stop()).toBe(0);

    const bad = runCli(['create-admin', '--email', 'ops@example.com'], env);
    expect(bad.status).toBe(2);
    expect(bad.output).toContain('create-admin needs --email and --password');
    const ok = runCli(['create-admin', '--email', 'ops@example.com', '--password', 'ops-password', '--organisation', 'Ops'], env);
    expect(ok.output).toContain('Created organisation');
    expect(ok.status).toBe(0);
    const again = runCli(['create-admin', '--email', 'ops@example.com', '--password', 'ops-password'], env);
    expect(again.status).toBe(2);
    expect(again.output).toContain('already exists');

    const restarted = await startServerProcess(env);
    expect(await login(restarted.url, 'ops@example.com', 'ops-password')).toBe(200);
    expect(await restarted.stop()).toBe(0);
  });
});
