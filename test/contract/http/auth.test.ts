import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';

describe('auth routes', () => {
  const api = new TestApi();
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('login returns a token that authenticates later requests', async () => {
    const login = await api.op('login', { body: { email: 'Admin@Example.com', password: 'admin-password' }, auth: '' });
    expect(login.status).toBe(200);
    const me = await api.op('getCurrentUser', { auth: `Token ${login.body.key}` });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'admin@example.com', first_name: '', last_name: '' });
  });

  test('login with a wrong password is a 400 that does not say which part was wrong', async () => {
    const r = await api.op('login', { body: { email: 'admin@example.com', password: 'nope' }, auth: '' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'Unable to log in with provided credentials.' });
    const unknown = await api.op('login', { body: { email: 'ghost@example.com', password: 'nope' }, auth: '' });
    expect(unknown.body.message).toBe(r.body.message);
  });

  test('login names the missing field', async () => {
    const r = await api.op('login', { body: { email: 'admin@example.com' }, auth: '' });
    expect(r.status).toBe(400);
    expect(r.body.details.issues).toEqual([{ path: 'body/password', message: "must have required property 'password'" }]);
  });

  test('malformed JSON is a 400 VALIDATION_FAILED, not a 500', async () => {
    const r = await api.op('login', { rawBody: '{"email":', auth: '' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('VALIDATION_FAILED');
  });

  test('an oversized body is refused with 413', async () => {
    const r = await api.op('login', { body: { email: 'a@b.c', password: 'x'.repeat(2 * 1024 * 1024) }, auth: '' });
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  test('getCurrentUser without credentials is 401', async () => {
    const r = await api.op('getCurrentUser', { auth: '' });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('UNAUTHENTICATED');
    const bad = await api.op('getCurrentUser', { auth: 'Token not-a-token' });
    expect(bad.status).toBe(401);
  });

  test('logout revokes the token', async () => {
    const key = await api.login('admin@example.com', 'admin-password');
    expect((await api.op('logout', { auth: `Token ${key}` })).status).toBe(204);
    expect((await api.op('getCurrentUser', { auth: `Token ${key}` })).status).toBe(401);
    expect((await api.op('logout', { auth: '' })).status).toBe(401);
  });

  test('unknown routes answer 404 in the error shape', async () => {
    const r = await api.request('GET', '/api/v1/nope/');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });
});

describe('health and docs', () => {
  const api = new TestApi();
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('the OpenAPI document lists every operation', async () => {
    const r = await api.request('GET', '/api/v1/docs/json', { auth: '' });
    expect(r.status).toBe(200);
    const ops = Object.values(r.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(expect.arrayContaining(['login', 'logout', 'getCurrentUser', 'getHealth']));
    const ui = await api.request('GET', '/api/v1/docs/', { auth: '' });
    expect(ui.status).toBe(200);
  });
});
