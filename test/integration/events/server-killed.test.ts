import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { urlFor } from '../../support/api-harness.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { routeTable, type OperationId } from '../../../src-shared/contracts/http/route-table.js';
import { openDatabase, type Db } from '../../../sync-server/platform/database/database.js';
import { createManualClock } from '../../../sync-server/platform/clock/clock.js';
import { resolveDeliveryOptions, WebhookDeliveryWorker } from '../../../sync-server/modules/webhooks/webhook-delivery.worker.js';
import { createSqlWebhooksStore } from '../../../sync-server/modules/webhooks/webhooks.store.sql.js';
import { verifySignature } from '../../../sync-server/modules/webhooks/webhook-signature.js';

// Real server processes on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

/**
 * Issue 4, reliability: "a server killed during delivery loses no event (a retry carries the same
 * idempotency key)". A real server process delivers to a receiver that never answers and is killed with
 * SIGKILL mid-request; another instance on the same database takes the deliveries over once the lease
 * has expired (its clock is moved past the lease instead of waiting 70 s) and sends every event, in order,
 * the first one with the same key, body and signature as the lost request.
 */
describe.each(DIALECTS)('a server killed during delivery on %s', (dialect) => {
  let server: ServerProcess | undefined;
  let rx: WebhookReceiver | undefined;
  let db: Db | undefined;
  let pgDb: TestDb | undefined;

  afterEach(async () => {
    await server?.stop('SIGKILL');
    await rx?.stop();
    await db?.close();
    await pgDb?.drop();
    server = rx = db = pgDb = undefined;
  });

  test('loses no event: after the lease expires another instance sends every event in order with the same idempotency keys', async () => {
    let storage: Record<string, string>;
    let openSameDb: () => Db;
    if (dialect === 'sqlite') {
      const dir = tempDataDir();
      storage = { FLAGDESK_DATA_DIR: dir };
      openSameDb = () => openDatabase({ sqliteFile: join(dir, 'flagdesk.sqlite') });
    } else {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close(); // the server process opens its own pool
      const url = pgDb.location;
      pgDb = { ...pgDb, drop: pgDb.drop };
      storage = { DATABASE_URL: url };
      openSameDb = () => openDatabase({ databaseUrl: url, poolSize: 2 });
    }
    server = await startServerProcess({ ...storage, FLAGDESK_ADMIN_EMAIL: 'ops@example.com', FLAGDESK_ADMIN_PASSWORD: 'ops-password' });
    const base = server.url;
    let token = '';
    const call = async (op: OperationId, params: Record<string, string | number>, body?: unknown, query = '') => {
      const r = await fetch(`${base}${urlFor(op, params)}${query}`, {
        method: routeTable[op].method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Token ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await r.json()) as any;
      if (r.status >= 300) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(json)}`);
      return json;
    };
    token = (await call('login', {}, { email: 'ops@example.com', password: 'ops-password' })).key;
    const organisation = (await call('listOrganisations', {})).results[0].id as number;
    const project = (await call('createProject', {}, { name: 'Shop', organisation })).id as number;
    const env = await call('createEnvironment', {}, { name: 'Production', project });
    const feature = (await call('createFeature', { project_pk: project }, { name: 'checkout' })).id as number;
    const state = (await call('listEnvironmentFeatureStates', { environment_api_key: env.api_key }, undefined, `?feature=${feature}`)).results[0].id as number;

    rx = await new WebhookReceiver().start();
    rx.behaviour = 'hang';
    await call('createEnvironmentWebhook', { api_key: env.api_key }, { url: rx.url, secret: 'k' });
    // Three saves, committed before the first request goes out or while it hangs.
    for (const value of ['a', 'b', 'c']) await call('partialUpdateEnvironmentFeatureState', { environment_api_key: env.api_key, id: state }, { feature_state_value: value });
    await rx.waitFor(1);
    expect(rx.requests[0]!.json.sequence).toBe(1);

    await server.stop('SIGKILL');
    server = undefined;
    rx.behaviour = 200;

    // Another instance on the same database, its clock past the dead server's lease (timeout 10 s + 60 s).
    db = openSameDb();
    const clock = createManualClock(new Date(Date.now() + 71_000));
    const store = createSqlWebhooksStore(db);
    const takeover = new WebhookDeliveryWorker(store, clock, resolveDeliveryOptions({ timeoutMs: 5000 }));
    await takeover.tick({ wait: true });

    const [lost, ...sent] = rx.requests;
    expect(sent.map((r) => r.json.sequence)).toEqual([1, 2, 3]);
    expect(sent.map((r) => r.json.data.new_state.feature_state_value)).toEqual(['a', 'b', 'c']);
    expect(sent[0]!.raw).toBe(lost!.raw);
    expect(sent[0]!.headers['x-flagdesk-idempotency-key']).toBe(lost!.headers['x-flagdesk-idempotency-key']);
    expect(sent[0]!.headers['x-flagsmith-signature']).toBe(lost!.headers['x-flagsmith-signature']);
    for (const r of sent) expect(verifySignature(r.raw, 'k', String(r.headers['x-flagsmith-signature']))).toBe(true);
    expect(new Set(sent.map((r) => r.json.idempotency_key)).size).toBe(3);

    const rows = await db.kysely.selectFrom('webhook_deliveries').select(['sequence', 'status', 'attempts']).orderBy('sequence').execute();
    expect(rows.map((r) => [r.sequence, r.status])).toEqual([[1, 'succeeded'], [2, 'succeeded'], [3, 'succeeded']]);
    // The lost attempt counts toward the first delivery's attempts.
    expect(rows[0]!.attempts).toBe(2);
  });
});
