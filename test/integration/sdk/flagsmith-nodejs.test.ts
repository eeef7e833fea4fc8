/**
 * The official Flagsmith Node SDK against a real Flagdesk server process: data is created through the
 * Admin API over HTTP, then the SDK evaluates flags remotely (`/flags/`, `/identities/`) and locally
 * (from `/environment-document/` with a server-side key). Both modes must give the flags the Flagsmith
 * rules say, and the same flags as each other, identity by identity.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Flagsmith, type Flags } from 'flagsmith-nodejs';
import { pino } from 'pino';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';

const ADMIN = { email: 'sdk-admin@example.com', password: 'sdk-admin-password' };
const silent = pino({ level: 'silent' });

type Traits = Record<string, string | number | boolean>;

/** enabled/value of every flag, by feature name. */
function summary(flags: Flags): Record<string, { enabled: boolean; value: unknown }> {
  return Object.fromEntries(flags.allFlags().map((f) => [f.featureName, { enabled: f.enabled, value: f.value }]));
}

describe.each(DIALECTS)('flagsmith-nodejs against a server process on %s', (dialect) => {
  let server: ServerProcess;
  let testDb: TestDb | undefined;
  let token = '';
  let clientKey = '';
  let serverKey = '';
  let apiUrl = '';
  const clients: Flagsmith[] = [];

  async function admin<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  function sdk(options: { key?: string; local?: boolean } = {}): Flagsmith {
    const client = new Flagsmith({
      environmentKey: options.key ?? serverKey,
      apiUrl,
      enableLocalEvaluation: options.local ?? false,
      // Refreshes are driven by the test (updateEnvironment), not by a timer.
      environmentRefreshIntervalSeconds: 3600,
      requestTimeoutSeconds: 10,
      logger: silent as never,
    });
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    let storage: Record<string, string>;
    if (dialect === 'sqlite') {
      storage = { FLAGDESK_DATA_DIR: tempDataDir() };
    } else {
      testDb = await createTestDb('postgres');
      await testDb.db.close(); // the server process opens its own pool
      storage = { DATABASE_URL: testDb.location };
    }
    server = await startServerProcess({ ...storage, FLAGDESK_ADMIN_EMAIL: ADMIN.email, FLAGDESK_ADMIN_PASSWORD: ADMIN.password });
    apiUrl = `${server.url}/api/v1/`;
    token = (await admin<{ key: string }>('POST', '/api/v1/auth/login/', ADMIN)).key;

    const [organisation] = await admin<{ results: { id: number }[] }>('GET', '/api/v1/organisations/').then((r) => r.results);
    const project = await admin<{ id: number }>('POST', '/api/v1/projects/', { name: 'Shop', organisation: organisation!.id });
    const environment = await admin<{ id: number; api_key: string }>('POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    clientKey = environment.api_key;
    serverKey = (await admin<{ key: string }>('POST', `/api/v1/environments/${clientKey}/api-keys/`, { name: 'backend' })).key;

    const feature = (name: string, body: Record<string, unknown>) =>
      admin<{ id: number; multivariate_options: { id: number; string_value: string | null }[] }>('POST', `/api/v1/projects/${project.id}/features/`, { name, ...body });
    const banner = await feature('banner', { initial_value: 'hello', default_enabled: true });
    const limit = await feature('limit', { initial_value: '10', default_enabled: true });
    const darkMode = await feature('dark_mode', { initial_value: 'true', default_enabled: false });
    await feature('secret', { initial_value: 'server only', default_enabled: true, is_server_key_only: true });
    const checkout = await feature('checkout', {
      initial_value: 'control',
      default_enabled: true,
      multivariate_options: [
        { type: 'unicode', string_value: 'variant-a', default_percentage_allocation: 30 },
        { type: 'unicode', string_value: 'variant-b', default_percentage_allocation: 30 },
      ],
    });

    const segment = (name: string, conditions: Record<string, unknown>[]) =>
      admin<{ id: number }>('POST', `/api/v1/projects/${project.id}/segments/`, { name, rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions }], conditions: [] }] });
    const override = async (
      featureId: number,
      segmentId: number,
      priority: number,
      state: { enabled: boolean; type: 'unicode' | 'int' | 'bool'; value: unknown; multivariate?: { multivariate_feature_option: number; percentage_allocation: number }[] },
    ) => {
      const fs = await admin<{ id: number }>('POST', '/api/v1/features/feature-segments/', { feature: featureId, segment: segmentId, environment: environment.id, priority });
      const column = state.type === 'unicode' ? 'string_value' : state.type === 'int' ? 'integer_value' : 'boolean_value';
      await admin('POST', '/api/v1/features/featurestates/', {
        feature: featureId,
        environment: environment.id,
        feature_segment: fs.id,
        enabled: state.enabled,
        feature_state_value: { type: state.type, [column]: state.value },
        ...(state.multivariate ? { multivariate_feature_state_values: state.multivariate } : {}),
      });
    };
    const power = await segment('power users', [{ operator: 'GREATER_THAN_INCLUSIVE', property: 'orders', value: 10 }]);
    const beta = await segment('beta', [{ operator: 'EQUAL', property: 'plan', value: 'beta' }]);
    const half = await segment('half', [{ operator: 'PERCENTAGE_SPLIT', value: 50 }]);
    await override(banner.id, power.id, 0, { enabled: true, type: 'unicode', value: 'power banner' });
    await override(banner.id, beta.id, 1, { enabled: false, type: 'unicode', value: 'beta banner' });
    await override(darkMode.id, beta.id, 0, { enabled: true, type: 'bool', value: true });
    await override(limit.id, half.id, 0, { enabled: true, type: 'int', value: 99 });
    // A segment override with its own weights: its members are split between the variants by them.
    const gold = await segment('gold', [{ operator: 'EQUAL', property: 'plan', value: 'gold' }]);
    const option = (value: string) => checkout.multivariate_options.find((o) => o.string_value === value)!.id;
    await override(checkout.id, gold.id, 0, {
      enabled: true,
      type: 'unicode',
      value: 'gold control',
      multivariate: [
        { multivariate_feature_option: option('variant-a'), percentage_allocation: 10 },
        { multivariate_feature_option: option('variant-b'), percentage_allocation: 70 },
      ],
    });

    const vip = await admin<{ id: number }>('POST', `/api/v1/environments/${clientKey}/identities/`, { identifier: 'vip' });
    await admin('POST', `/api/v1/environments/${clientKey}/identities/${vip.id}/featurestates/`, { feature: banner.id, enabled: true, feature_state_value: 'just for you' });
  });

  afterAll(async () => {
    for (const c of clients) await c.close();
    if (server) await server.stop();
    await testDb?.drop();
  });

  test('remote evaluation: environment flags, hidden server-only features for client keys', async () => {
    const flags = await sdk().getEnvironmentFlags();
    expect(summary(flags)).toEqual({
      banner: { enabled: true, value: 'hello' },
      limit: { enabled: true, value: 10 },
      dark_mode: { enabled: false, value: true },
      secret: { enabled: true, value: 'server only' },
      checkout: { enabled: true, value: 'control' },
    });
    const clientFlags = await sdk({ key: clientKey }).getEnvironmentFlags();
    expect(Object.keys(summary(clientFlags)).sort()).toEqual(['banner', 'checkout', 'dark_mode', 'limit']);
    expect(clientFlags.getFeatureValue('banner')).toBe('hello');
  });

  test('remote evaluation: segment overrides by priority and identity overrides', async () => {
    const remote = sdk();
    expect((await remote.getIdentityFlags('spender', { orders: 12 })).getFeatureValue('banner')).toBe('power banner');
    const both = await remote.getIdentityFlags('both', { orders: 50, plan: 'beta' });
    expect(summary(both).banner).toEqual({ enabled: true, value: 'power banner' });
    expect(summary(both).dark_mode).toEqual({ enabled: true, value: true });
    expect(summary(await remote.getIdentityFlags('tester', { plan: 'beta' })).banner).toEqual({ enabled: false, value: 'beta banner' });
    expect(summary(await remote.getIdentityFlags('vip', { orders: 100 })).banner).toEqual({ enabled: true, value: 'just for you' });
    // Traits sent once are stored: a later call without them still matches the segment.
    expect((await remote.getIdentityFlags('spender')).getFeatureValue('banner')).toBe('power banner');
  });

  test('local evaluation gives the same flags as remote evaluation, identity by identity', async () => {
    const remote = sdk();
    const local = sdk({ local: true });
    expect(summary(await local.getEnvironmentFlags())).toEqual(summary(await remote.getEnvironmentFlags()));

    const cases: [string, Traits][] = [
      ['vip', {}],
      ['vip', { plan: 'beta' }],
      ['spender-2', { orders: 10 }],
      ['beta-2', { plan: 'beta', orders: 3 }],
    ];
    for (let i = 0; i < 40; i++) cases.push([`user-${i}`, i % 3 === 0 ? { orders: i } : i % 3 === 1 ? { plan: 'beta' } : {}]);
    const variants = new Set<unknown>();
    const limits = new Set<unknown>();
    for (const [identifier, traits] of cases) {
      const expected = summary(await remote.getIdentityFlags(identifier, traits, true));
      const actual = summary(await local.getIdentityFlags(identifier, traits));
      expect(actual, `${identifier} ${JSON.stringify(traits)}`).toEqual(expected);
      variants.add(expected.checkout?.value);
      limits.add(expected.limit?.value);
    }
    // The identities above really exercise the multivariate split and the percentage-split segment.
    expect(variants).toEqual(new Set(['variant-a', 'variant-b', 'control']));
    expect(limits).toEqual(new Set([10, 99]));
  });

  test('a segment override carrying multivariate values splits its members the same way remotely and locally', async () => {
    const remote = sdk();
    const local = sdk({ local: true });
    const golden = new Map<unknown, number>();
    for (let i = 0; i < 60; i++) {
      const identifier = `gold-${i}`;
      const expected = summary(await remote.getIdentityFlags(identifier, { plan: 'gold' }, true));
      expect(summary(await local.getIdentityFlags(identifier, { plan: 'gold' })), identifier).toEqual(expected);
      expect(expected.checkout?.enabled).toBe(true);
      golden.set(expected.checkout?.value, (golden.get(expected.checkout?.value) ?? 0) + 1);
    }
    // 10 / 70 / 20: members get the override's variants and its control value, never the default's.
    expect([...golden.keys()].sort()).toEqual(['gold control', 'variant-a', 'variant-b']);
    expect(golden.get('variant-b')).toBeGreaterThan(golden.get('variant-a')!);
  });

  test('the document is served with an ETag; a poll with If-None-Match gets 304 and no body', async () => {
    const url = `${apiUrl}environment-document/`;
    const first = await fetch(url, { headers: { 'x-environment-key': serverKey } });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await first.arrayBuffer();
    const again = await fetch(url, { headers: { 'x-environment-key': serverKey, 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(url, { headers: { 'x-environment-key': clientKey } })).status).toBe(403);
  });

  test('local evaluation sees an Admin API change after refreshing the document', async () => {
    const local = sdk({ local: true });
    expect((await local.getEnvironmentFlags()).getFeatureValue('limit')).toBe(10);
    const states = await admin<{ results: { id: number; feature: number }[] }>('GET', `/api/v1/environments/${clientKey}/featurestates/`);
    const features = await admin<{ results: { id: number; name: string }[] }>('GET', `/api/v1/projects/${(await admin<{ project: number }>('GET', `/api/v1/environments/${clientKey}/`)).project}/features/`);
    const limitId = features.results.find((f) => f.name === 'limit')!.id;
    const state = states.results.find((s) => s.feature === limitId)!;
    await admin('PUT', `/api/v1/environments/${clientKey}/featurestates/${state.id}/`, { feature_state_value: 25 });
    await local.updateEnvironment();
    expect((await local.getEnvironmentFlags()).getFeatureValue('limit')).toBe(25);
    expect((await sdk().getEnvironmentFlags()).getFeatureValue('limit')).toBe(25);
  });
});
