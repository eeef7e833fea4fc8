import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestApi } from '../../support/api-harness.js';
import { DIALECTS } from '../../support/databases.js';
import { createSdkEnvironment, sdkOp } from '../../support/sdk-fixtures.js';
import { createProject } from '../../support/tenancy.js';
import { at, v2World } from '../../support/versions-fixtures.js';

/** The value of one sample of the Prometheus text, e.g. `sample(text, 'flagdesk_outbox_queue_depth', { queue: 'jobs' })`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}

describe.each(DIALECTS)('health, readiness and metrics on %s', (dialect) => {
  const api = new TestApi(dialect);
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  const metrics = async () => {
    const r = await api.op<string>('getMetrics', { auth: '' });
    expect(r.status).toBe(200);
    return r.body;
  };

  test('getHealth answers ok without a user', async () => {
    const r = await api.op('getHealth', { auth: '' });
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: { status: 'ok', database: dialect } });
  });

  test('getReadiness reports the applied migrations, the same the database lists', async () => {
    const rows = await api.testDb.db.kysely.selectFrom('kysely_migration' as never).select('name' as never).execute();
    const names = (rows as { name: string }[]).map((r) => r.name).sort();
    const r = await api.op('getReadiness', { auth: '' });
    expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: { status: 'ready', database: dialect, migrations: { applied: names.length, latest: names[names.length - 1] } } });
  });

  test('getReadiness is UNAVAILABLE naming the migration a database lacks', async () => {
    const other = await new TestApi(dialect).start();
    try {
      const latest = (await other.op('getReadiness', { auth: '' })).body.migrations.latest as string;
      await other.testDb.db.kysely.deleteFrom('kysely_migration' as never).where('name' as never, '=', latest as never).execute();
      const r = await other.op('getReadiness', { auth: '' });
      expect({ status: r.status, code: r.body.code, details: r.body.details }).toEqual({ status: 503, code: 'UNAVAILABLE', details: { reason: 'MIGRATIONS_PENDING', pending: [latest] } });
    } finally {
      await other.stop();
    }
  });

  test('with the database gone, getHealth stays ok (no restart for an outage) and getReadiness is UNAVAILABLE', async () => {
    const other = await new TestApi(dialect).start();
    await other.built.services.jobs.stop();
    await other.testDb.db.close();
    const health = await other.op('getHealth', { auth: '' });
    const ready = await other.op('getReadiness', { auth: '' });
    expect([health.status, ready.status, ready.body.code, ready.body.details]).toEqual([200, 503, 'UNAVAILABLE', { reason: 'DATABASE_UNREACHABLE' }]);
    await other.built.app.close();
    if (dialect === 'postgres') await other.testDb.drop().catch(() => undefined);
  });

  test('getMetrics counts requests by route pattern, never by raw URL', async () => {
    const project = await createProject(api, 'Metered');
    for (let i = 0; i < 3; i++) expect((await api.op('getProject', { params: { id: project.id } })).status).toBe(200);
    await api.request('GET', '/no/such/path/42');
    const r = await api.op<string>('getMetrics', { auth: '' });
    expect([r.status, r.headers['content-type']]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
    expect(sample(r.body, 'flagdesk_http_requests_total', { method: 'GET', route: '/api/v1/projects/:id/', status_code: '200' })).toBe(3);
    expect(sample(r.body, 'flagdesk_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/projects/:id/' })).toBe(3);
    expect(sample(r.body, 'flagdesk_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(r.body).not.toContain(`/api/v1/projects/${project.id}/`);
    expect(r.body).not.toContain('/no/such/path');
  });

  test('getMetrics counts SDK document cache rebuilds and hits', async () => {
    const before = await metrics();
    const env = await createSdkEnvironment(api, 'Cached');
    for (let i = 0; i < 3; i++) expect((await sdkOp(api, 'getSdkFlags', env.clientKey)).status).toBe(200);
    const after = await metrics();
    const delta = (result: string) => sample(after, 'flagdesk_sdk_document_cache_total', { result })! - sample(before, 'flagdesk_sdk_document_cache_total', { result })!;
    expect({ rebuild: delta('rebuild'), hit: delta('hit') }).toEqual({ rebuild: 1, hit: 2 });
  });

  test('getMetrics shows the outbox depth, delivery failures and the scheduler lag', async () => {
    const w = await v2World(api);
    await api.op('createEnvironmentWebhook', { params: { api_key: w.env.api_key }, body: { url: 'http://127.0.0.1:9/hook' } });
    const before = await metrics();
    const draft = await api.op('createFeatureVersion', { params: at(w), body: { feature_states_to_update: [{ feature_segment: null, enabled: true }] } });
    const liveFrom = new Date(api.clock.now().getTime() + 60_000).toISOString();
    expect((await api.op('publishFeatureVersion', { params: at(w, { uuid: draft.body.uuid }), body: { live_from: liveFrom } })).status).toBe(200);
    expect((await api.op('createFeatureVersion', { params: at(w), body: { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, enabled: false }] } })).status).toBe(201);
    (api.clock as unknown as { advanceMs(ms: number): void }).advanceMs(90_000);

    const waiting = await metrics();
    // The immediate publish queued its webhook deliveries; nothing has run them yet.
    expect(sample(waiting, 'flagdesk_outbox_queue_depth', { queue: 'webhooks' })!).toBeGreaterThan(sample(before, 'flagdesk_outbox_queue_depth', { queue: 'webhooks' })!);
    expect(sample(waiting, 'flagdesk_scheduler_lag_seconds')).toBe(30);

    await api.built.services.jobs.runOnce();
    const ran = await metrics();
    expect(sample(ran, 'flagdesk_scheduler_lag_seconds')).toBe(0);
    // Nothing listens on port 9: every attempt failed and waits for its retry.
    expect(sample(ran, 'flagdesk_webhook_delivery_failures_total', { outcome: 'retry' })!).toBeGreaterThan(sample(before, 'flagdesk_webhook_delivery_failures_total', { outcome: 'retry' })!);
  });

  test('getMetrics reports the connection pool on PostgreSQL only', async () => {
    const text = await metrics();
    expect(sample(text, 'flagdesk_db_pool_connections', { state: 'max' })).toBe(dialect === 'postgres' ? 5 : undefined);
  });

  test('getMetrics without a token is PERMISSION_DENIED for a caller off the machine', async () => {
    const r = await api.op('getMetrics', { auth: '', remoteAddress: '10.1.2.3' });
    expect([r.status, r.body.code]).toEqual([403, 'PERMISSION_DENIED']);
  });
});

describe('metrics behind FLAGDESK_METRICS_TOKEN', () => {
  const token = 'a-metrics-token-of-some-length';
  const api = new TestApi('sqlite', { metricsToken: token });
  beforeAll(() => api.start());
  afterAll(() => api.stop());

  test('getMetrics needs the bearer token from every caller, loopback included', async () => {
    const none = await api.op('getMetrics', { auth: '' });
    const wrong = await api.op('getMetrics', { auth: 'Bearer not-the-token' });
    const remote = await api.op<string>('getMetrics', { auth: `Bearer ${token}`, remoteAddress: '10.1.2.3' });
    expect([none.status, none.body.code, wrong.status, wrong.body.code, remote.status]).toEqual([401, 'UNAUTHENTICATED', 401, 'UNAUTHENTICATED', 200]);
    expect(remote.body).toContain('# TYPE flagdesk_http_requests_total counter');
  });
});
