import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildApp, type BuiltApp } from '../../../sync-server/app/build-app.js';
import { createTestDb, type TestDb } from '../../support/databases.js';

let testDb: TestDb;
let built: BuiltApp;
let rendererDir: string;

beforeAll(async () => {
  rendererDir = mkdtempSync(join(tmpdir(), 'flagdesk-renderer-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Flagdesk</title>');
  writeFileSync(join(rendererDir, 'app.js'), 'export {};');
  testDb = await createTestDb('sqlite');
  built = await buildApp({ db: testDb.db, rendererDir });
});
afterAll(async () => {
  await built.app.close();
  await testDb.drop();
  rmSync(rendererDir, { recursive: true, force: true });
});

test('the web dashboard is served at / with a strict Content-Security-Policy that also forbids framing', async () => {
  for (const url of ['/', '/app.js']) {
    const r = await built.app.inject({ method: 'GET', url });
    expect(r.statusCode).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  }
});

test('the API answers without the dashboard policy, and the interactive API docs still load', async () => {
  const health = await built.app.inject({ method: 'GET', url: '/health' });
  expect(health.headers['content-security-policy']).toBeUndefined();
  const docs = await built.app.inject({ method: 'GET', url: '/api/v1/docs/' });
  expect([200, 302]).toContain(docs.statusCode);
  expect(String(docs.headers['content-security-policy'] ?? '')).not.toContain("script-src 'self';");
  const spec = await built.app.inject({ method: 'GET', url: '/api/v1/docs/json' });
  expect(spec.statusCode).toBe(200);
  expect(JSON.parse(spec.body).openapi).toBe('3.1.0');
});
