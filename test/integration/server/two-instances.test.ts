import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { RoundRobinProxy } from '../../support/round-robin-proxy.js';
import { eventually, HttpClient } from '../../support/http-client.js';
import { openDatabase, type Db } from '../../../sync-server/platform/database/database.js';

// Real server processes on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 300_000, hookTimeout: 300_000 });

/** The pids under `pid` (tsx runs the server in a child process), deepest first. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const walk = (p: number): number[] => (children.get(p) ?? []).flatMap((c) => [...walk(c), c]);
  return walk(pid);
}

/** SIGKILL to the server and every process under it: the instance dies mid-work, nothing is drained. */
async function killInstance(server: ServerProcess): Promise<void> {
  const pids = [...descendants(server.child.pid!), server.child.pid!];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.stop('SIGKILL');
}

const ADMIN = { FLAGDESK_ADMIN_EMAIL: 'ops@example.com', FLAGDESK_ADMIN_PASSWORD: 'ops-password' };
// Short leases so a dead instance's work is taken over within seconds instead of a minute.
const INSTANCE_ENV = { ...ADMIN, FLAGDESK_WORKER_LEASE_MS: '2000', FLAGDESK_WEBHOOK_TIMEOUT_MS: '10000' };

/**
 * Issue 13 item 3, the README's team section as written: several instances on one PostgreSQL database
 * behind one address (a round-robin loopback proxy) share the outbox and the scheduler; each job runs
 * once; an instance killed mid-delivery has its delivery taken over; a version scheduled on an instance
 * that is then killed goes live on the other.
 */
describe.skipIf(!DIALECTS.includes('postgres'))('two server instances on one PostgreSQL database', () => {
  let pgDb: TestDb;
  let url: string;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let proxy: RoundRobinProxy;
  let rx: WebhookReceiver;
  let db: Db;
  const api = new HttpClient('');
  let env: { id: number; api_key: string };
  let feature: number;
  let stateId: number;

  const startInstance = () => startServerProcess({ DATABASE_URL: url, ...INSTANCE_ENV }, 90_000);
  const backends = () => [a, b].filter((s): s is ServerProcess => s !== undefined).map((s) => s.url);
  const flagValue = async (envKey: string) => (await api.sdk('getSdkFlags', envKey)).find((f: any) => f.feature.id === feature)?.feature_state_value;

  beforeAll(async () => {
    pgDb = await createTestDb('postgres');
    await pgDb.db.close(); // the server processes open their own pools
    url = pgDb.location;
    // One after the other: the first migrates and creates the admin, the second finds both done.
    a = await startInstance();
    b = await startInstance();
    proxy = await new RoundRobinProxy(backends()).start();
    api.base = proxy.url;
    rx = await new WebhookReceiver().start();
    db = openDatabase({ databaseUrl: url, poolSize: 2 });

    await api.login('ops@example.com', 'ops-password');
    const organisation = (await api.call('listOrganisations')).results[0].id as number;
    const project = (await api.call('createProject', {}, { name: 'Shop', organisation })).id as number;
    env = await api.call('createEnvironment', {}, { name: 'Production', project });
    feature = (await api.call('createFeature', { project_pk: project }, { name: 'checkout' })).id as number;
    stateId = (await api.call('listEnvironmentFeatureStates', { environment_api_key: env.api_key }, undefined, `?feature=${feature}`)).results[0].id as number;
    await api.call('createEnvironmentWebhook', { api_key: env.api_key }, { url: rx.url, secret: 'k' });
  });

  afterAll(async () => {
    if (a) await killInstance(a);
    if (b) await killInstance(b);
    await proxy?.stop();
    await rx?.stop();
    await db?.close();
    await pgDb?.drop();
  });

  test('writes through one address reach both instances, and every webhook delivery and the v2 migration job run exactly once', async () => {
    for (let i = 1; i <= 8; i++) await api.call('partialUpdateEnvironmentFeatureState', { environment_api_key: env.api_key, id: stateId }, { feature_state_value: `v${i}` });
    expect([...proxy.served.keys()].sort()).toEqual(backends().sort());

    await api.call('enableV2Versioning', { api_key: env.api_key });
    await eventually(async () => ((await api.call('getVersioningStatus', { api_key: env.api_key })).versioning_status === 'v2' ? true : undefined));

    const flagUpdates = await eventually(async () => {
      const received = rx.ofType('FLAG_UPDATED');
      return received.length >= 8 ? received : undefined;
    });
    // Give a second (wrong) delivery of any event the chance to arrive before counting.
    await eventually(async () => ((await pendingWork()) === 0 ? true : undefined));
    const keys = rx.requests.map((r) => r.headers['x-flagdesk-idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(flagUpdates.map((r) => r.json.data.new_state.feature_state_value)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8']);
    const migrationJobs = await db.kysely.selectFrom('jobs').select(['status', 'attempts']).where('kind', '=', 'versioning.enable-v2').execute();
    expect(migrationJobs).toEqual([{ status: 'done', attempts: 1 }]);
    expect(await flagValue(env.api_key)).toBe('v8');
  });

  test('a scheduled version goes live exactly once, on whichever instance sees it due first', async () => {
    rx.clear();
    const liveFrom = new Date(Date.now() + 3000).toISOString();
    const draft = await api.call('createFeatureVersion', { environment_pk: env.id, feature_pk: feature }, { feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'scheduled' } }] });
    const scheduled = await api.call('publishFeatureVersion', { environment_pk: env.id, feature_pk: feature, uuid: draft.uuid }, { live_from: liveFrom });
    expect(scheduled.status).toBe('scheduled');

    await eventually(async () => ((await flagValue(env.api_key)) === 'scheduled' ? true : undefined));
    await eventually(async () => (rx.ofType('NEW_VERSION_PUBLISHED').length >= 1 && (await pendingWork()) === 0 ? true : undefined));
    // Both instances' schedulers ran passes after live_from; the version was published by one of them only.
    expect(rx.ofType('NEW_VERSION_PUBLISHED').map((r) => r.json.data.uuid)).toEqual([draft.uuid]);
    const audit = await db.kysely.selectFrom('audit_log').select('id').where('related_object_uuid', '=', draft.uuid).execute();
    expect(audit).toHaveLength(1);
  });

  test('an instance killed in the middle of a webhook delivery has it taken over by the other, with the same idempotency key and body', async () => {
    // Only A runs while the delivery is claimed, so A is the instance that holds it.
    await b!.stop('SIGTERM');
    b = undefined;
    proxy.setBackends(backends());
    rx.clear();
    rx.behaviour = 'hang';
    await api.call('createFeatureVersion', { environment_pk: env.id, feature_pk: feature }, { publish_immediately: true, feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'during-kill' } }] });
    await rx.waitFor(1);
    const lost = rx.requests[0]!;
    rx.behaviour = 200;
    await killInstance(a!);
    a = undefined;

    b = await startInstance();
    proxy.setBackends(backends());
    await eventually(async () => (rx.requests.some((r, i) => i > 0 && r.headers['x-flagdesk-idempotency-key'] === lost.headers['x-flagdesk-idempotency-key']) ? true : undefined));
    const retried = rx.requests.slice(1).find((r) => r.headers['x-flagdesk-idempotency-key'] === lost.headers['x-flagdesk-idempotency-key'])!;
    expect(retried.raw).toBe(lost.raw);
    expect(retried.headers['x-flagdesk-attempt']).toBe('2');
    await eventually(async () => ((await pendingWork()) === 0 ? true : undefined));
    const attempts = await db.kysely
      .selectFrom('webhook_delivery_attempts')
      .select(['worker_id', 'outcome'])
      .where('delivery_id', '=', (qb) => qb.selectFrom('webhook_deliveries').select('id').where('idempotency_key', '=', String(lost.headers['x-flagdesk-idempotency-key'])))
      .execute();
    // The killed instance never recorded its attempt; the survivor recorded one success.
    expect(attempts.map((r) => r.outcome)).toEqual(['succeeded']);
  });

  test('a version scheduled on an instance that is then killed goes live on the other', async () => {
    a = await startInstance();
    proxy.setBackends(backends());
    const onA = new HttpClient(a.url);
    onA.token = api.token;
    const liveFrom = new Date(Date.now() + 3000).toISOString();
    const draft = await onA.call('createFeatureVersion', { environment_pk: env.id, feature_pk: feature }, { feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'while-a-is-down' } }] });
    expect((await onA.call('publishFeatureVersion', { environment_pk: env.id, feature_pk: feature, uuid: draft.uuid }, { live_from: liveFrom })).status).toBe('scheduled');
    await killInstance(a);
    a = undefined;
    proxy.setBackends(backends());

    await eventually(async () => ((await flagValue(env.api_key)) === 'while-a-is-down' ? true : undefined));
    const version = await api.call('getEnvironmentFeatureVersion', { uuid: draft.uuid });
    expect(version).toMatchObject({ status: 'published', is_live: true, live_from: liveFrom });
  });

  /** Jobs and webhook deliveries not yet finished (pending, running or delivering). */
  async function pendingWork(): Promise<number> {
    const jobs = await db.kysely.selectFrom('jobs').select('id').where('status', 'in', ['pending', 'running']).execute();
    const deliveries = await db.kysely.selectFrom('webhook_deliveries').select('id').where('status', 'in', ['pending', 'delivering', 'failed']).execute();
    return jobs.length + deliveries.length;
  }
});
