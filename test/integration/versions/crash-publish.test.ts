import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createTestDb, DIALECTS, type TestDb } from '../../support/databases.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { urlFor } from '../../support/api-harness.js';
import { routeTable, type OperationId } from '../../../src-shared/contracts/http/route-table.js';
import { openDatabase, type Db } from '../../../sync-server/platform/database/database.js';
import { createSqlVersionsStore } from '../../../sync-server/modules/versions/versions.store.sql.js';
import { parseContent, statesOfContent } from '../../../sync-server/modules/versions/version-content-rows.js';
import { hashVersionContent } from '../../../src-shared/domain/versioning/version-content.js';

// Real server processes started several times on a shared, busy machine: generous limits (no timing is asserted).
vi.setConfig({ testTimeout: 900_000, hookTimeout: 120_000 });

const ADMIN = { email: 'crash@example.com', password: 'crash-password' };
const FEATURES = 3;
const SEGMENTS = 4;
const KILL_ROUNDS = 3;

/**
 * The real server's node process and everything under it. `tsx` runs the server in a child node process,
 * so killing only the spawned process would leave the server running: every process of the tree gets
 * SIGKILL, the server itself first.
 */
function processTree(pid: number): number[] {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const out: number[] = [];
  for (const stack = [pid]; stack.length > 0; ) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...children(p));
  }
  return out;
}

async function killHard(server: ServerProcess): Promise<void> {
  for (const pid of processTree(server.child.pid!).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await server.stop('SIGKILL');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small Admin API client; answers the status and body, throwing only on network errors. */
function client(base: string) {
  let token = '';
  async function call(op: OperationId, params: Record<string, string | number> = {}, body?: unknown): Promise<{ status: number; body: any }> {
    const r = await fetch(`${base}${urlFor(op, params)}`, {
      method: routeTable[op].method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Token ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  }
  async function ok(op: OperationId, params: Record<string, string | number> = {}, body?: unknown): Promise<any> {
    const r = await call(op, params, body);
    if (r.status >= 300) throw new Error(`${op} answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  return {
    call,
    ok,
    async login() {
      token = (await ok('login', {}, ADMIN)).key;
    },
  };
}
type Client = ReturnType<typeof client>;

interface World {
  organisation: number;
  environment: { id: number; api_key: string };
  features: number[];
  segments: number[];
}

async function seed(api: Client): Promise<World> {
  const organisation = (await api.ok('listOrganisations')).results[0].id as number;
  const project = (await api.ok('createProject', {}, { name: 'Crash', organisation })).id as number;
  const environment = await api.ok('createEnvironment', {}, { name: 'Production', project });
  const features: number[] = [];
  for (let i = 0; i < FEATURES; i++) features.push((await api.ok('createFeature', { project_pk: project }, { name: `flag_${i}`, initial_value: 'start' })).id);
  const segments: number[] = [];
  for (let i = 0; i < SEGMENTS; i++) {
    const rules = [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'tier', value: `t${i}` }] }], conditions: [] }];
    segments.push((await api.ok('createSegment', { project_pk: project }, { name: `segment_${i}`, rules })).id);
  }
  // Through the enable-v2 route and its background job, polled as a client would.
  await api.ok('enableV2Versioning', { api_key: environment.api_key });
  for (let i = 0; ; i++) {
    const status = await api.ok('getVersioningStatus', { api_key: environment.api_key });
    if (status.versioning_status === 'v2') break;
    if (status.versioning_status === 'failed' || i > 600) throw new Error(`enable v2 did not finish: ${JSON.stringify(status)}`);
    await sleep(100);
  }
  return { organisation, environment: { id: environment.id, api_key: environment.api_key }, features, segments };
}

/** What the load saw acknowledged: versions a 2xx answer reported published (or scheduled, or a draft). */
interface Acknowledged {
  published: Set<string>;
  scheduled: Set<string>;
  drafts: Set<string>;
  requests: number;
}

/**
 * One worker of the load: random version commands on random features until the server goes away.
 * Refusals (a conflict, an override that already exists) are part of the load; a 5xx is not.
 */
async function worker(api: Client, w: World, ack: Acknowledged, serverErrors: string[]): Promise<void> {
  const pick = <T,>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;
  const value = () => ({ type: 'unicode', string_value: `v${Math.random().toString(36).slice(2, 8)}` });
  const changes = () => {
    const body: Record<string, unknown> = { feature_states_to_update: [{ feature_segment: null, enabled: Math.random() < 0.5, feature_state_value: value() }] };
    const roll = Math.random();
    if (roll < 0.4) body.feature_states_to_create = [{ feature_segment: { segment: pick(w.segments) }, enabled: true, feature_state_value: value() }];
    else if (roll < 0.7) body.segment_ids_to_delete_overrides = [pick(w.segments)];
    return body;
  };
  const note = (r: { status: number; body: any }, what: string) => {
    ack.requests++;
    if (r.status >= 500) serverErrors.push(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.status >= 300) return undefined;
    const v = r.body as { uuid: string; status: string };
    (v.status === 'published' ? ack.published : v.status === 'scheduled' ? ack.scheduled : ack.drafts).add(v.uuid);
    return v;
  };
  try {
    for (;;) {
      const feature = pick(w.features);
      const params = { environment_pk: w.environment.id, feature_pk: feature };
      const roll = Math.random();
      if (roll < 0.4) {
        note(await api.call('createFeatureVersion', params, { ...changes(), publish_immediately: true }), 'create+publish');
      } else if (roll < 0.75) {
        const draft = note(await api.call('createFeatureVersion', params, changes()), 'draft');
        if (!draft) continue;
        const liveFrom = Math.random() < 0.25 ? new Date(Date.now() + 500 + Math.random() * 2000).toISOString() : undefined;
        const published = note(await api.call('publishFeatureVersion', { ...params, uuid: draft.uuid }, liveFrom ? { live_from: liveFrom } : {}), 'publish');
        if (published) ack.drafts.delete(published.uuid);
      } else if (roll < 0.85) {
        note(await api.call('createFeatureVersion', params, changes()), 'draft only');
      } else {
        const list = await api.call('listFeatureVersions', params);
        const old = list.status === 200 ? (list.body.results as { uuid: string; status: string }[]).filter((v) => v.status === 'published') : [];
        if (old.length > 0) note(await api.call('restoreFeatureVersion', { ...params, uuid: pick(old).uuid }), 'restore');
      }
    }
  } catch {
    // The server was killed: the connection failed. The load ends here.
  }
}

interface VersionRow {
  uuid: string;
  feature_id: number;
  status: string;
  content_json: string;
  content_hash: string;
  draft_state: string | null;
  previous_version_uuid: string | null;
  live_from: string | null;
  live_seq: number | null;
  published_at: string | null;
}

/**
 * The invariants of ADR 0005 on the data a killed server left: every version is a draft, scheduled or fully
 * published with all its feature states; the published versions of a feature form one chain; nothing
 * belongs to a version that does not exist; every version that went live has its audit entry.
 */
async function checkInvariants(db: Db, w: World, ack: Acknowledged): Promise<{ published: number; drafts: number }> {
  const k = db.kysely;
  const store = createSqlVersionsStore(db);
  const versions = (await k
    .selectFrom('environment_feature_versions')
    .select(['uuid', 'feature_id', 'status', 'content_json', 'content_hash', 'draft_state', 'previous_version_uuid', 'live_from', 'live_seq', 'published_at'])
    .where('environment_id', '=', w.environment.id)
    .execute()) as VersionRow[];
  const byUuid = new Map(versions.map((v) => [v.uuid, v]));

  for (const v of versions) {
    expect(['draft', 'scheduled', 'published', 'conflict'], v.uuid).toContain(v.status);
    const content = parseContent(v.content_json);
    expect(v.content_hash, `content hash of ${v.uuid}`).toBe(hashVersionContent(content));
    // The materialised rows hold exactly the version's content: never half of a publish.
    const rows = await store.versionStates(k, v.uuid);
    const expected = statesOfContent(content).map((s) => ({ segmentId: s.segmentId, priority: s.segmentId === null ? null : s.priority, enabled: s.enabled, value: s.value, weights: Object.fromEntries(s.weights) }));
    const actual = rows.map((s) => ({ segmentId: s.segmentId, priority: s.priority, enabled: s.enabled, value: s.value, weights: Object.fromEntries(s.multivariateValues.map((m) => [m.optionId, m.percentageAllocation])) }));
    expect(actual, `feature states of ${v.status} version ${v.uuid}`).toEqual(expected);
    if (v.status === 'published') {
      expect(v.published_at, `published_at of ${v.uuid}`).not.toBeNull();
      expect(v.live_from).not.toBeNull();
      expect(v.live_seq).not.toBeNull();
      expect(v.draft_state).toBeNull();
      for (const s of rows) expect(s.liveFrom, `live_from of the states of ${v.uuid}`).toBe(v.live_from);
    }
    if (v.status === 'draft') {
      expect(v.draft_state, `draft document of ${v.uuid}`).not.toBeNull();
      expect(v.published_at).toBeNull();
      expect(v.live_seq).toBeNull();
    }
    if (v.status === 'scheduled') expect(v.live_seq).toBeNull();
  }

  // One chain per feature: in go-live order, each version points at the one before it.
  for (const feature of w.features) {
    const chain = versions.filter((v) => v.feature_id === feature && v.status === 'published').sort((a, b) => a.live_seq! - b.live_seq!);
    expect(chain.length, `published versions of feature ${feature}`).toBeGreaterThan(0);
    expect(new Set(chain.map((v) => v.live_seq)).size, `distinct live_seq of feature ${feature}`).toBe(chain.length);
    expect(chain[0]!.previous_version_uuid).toBeNull();
    for (let i = 1; i < chain.length; i++) {
      expect(chain[i]!.previous_version_uuid, `previous of ${chain[i]!.uuid}`).toBe(chain[i - 1]!.uuid);
      expect(chain[i]!.live_from! >= chain[i - 1]!.live_from!, `live_from order at ${chain[i]!.uuid}`).toBe(true);
    }
  }

  // Nothing half-written outside the version rows.
  const states = await k.selectFrom('feature_states').select(['id', 'environment_feature_version_uuid as v', 'feature_segment_id']).where('environment_id', '=', w.environment.id).where('identity_id', 'is', null).execute();
  const segments = await k.selectFrom('feature_segments').select(['id', 'environment_feature_version_uuid as v']).where('environment_id', '=', w.environment.id).execute();
  for (const s of states) expect(s.v !== null && byUuid.has(s.v), `feature state ${s.id} belongs to an existing version`).toBe(true);
  const segmentVersion = new Map(segments.map((s) => [s.id, s.v]));
  for (const s of segments) expect(s.v !== null && byUuid.has(s.v), `feature segment ${s.id} belongs to an existing version`).toBe(true);
  for (const s of states) if (s.feature_segment_id !== null) expect(segmentVersion.get(s.feature_segment_id), `override state ${s.id} and its feature segment`).toBe(s.v);
  const defaults = new Map<string, number>();
  for (const s of states) if (s.feature_segment_id === null) defaults.set(s.v!, (defaults.get(s.v!) ?? 0) + 1);
  for (const v of versions) expect(defaults.get(v.uuid), `environment defaults of ${v.uuid}`).toBe(1);

  // Every version that went live after the move to v2 has its one audit entry, written in its transaction;
  // drafts have none.
  const audit = await k.selectFrom('audit_log').select(['related_object_uuid', 'log']).where('environment_id', '=', w.environment.id).where('related_object_type', '=', 'EF_VERSION').execute();
  const published = new Map<string, number>();
  for (const a of audit) if (a.log.startsWith('New version published')) published.set(a.related_object_uuid!, (published.get(a.related_object_uuid!) ?? 0) + 1);
  for (const v of versions) {
    const isInitial = v.status === 'published' && v.previous_version_uuid === null;
    expect(published.get(v.uuid) ?? 0, `audit entries of ${v.status} version ${v.uuid}`).toBe(v.status === 'published' && !isInitial ? 1 : 0);
  }

  // What a client was told is durable.
  for (const uuid of ack.published) expect(byUuid.get(uuid)?.status, `acknowledged publish ${uuid}`).toBe('published');
  for (const uuid of ack.scheduled) expect(['scheduled', 'published', 'conflict'], `acknowledged schedule ${uuid}`).toContain(byUuid.get(uuid)?.status);
  return { published: versions.filter((v) => v.status === 'published').length, drafts: versions.filter((v) => v.status === 'draft').length };
}

/**
 * Issue 3 item 12: "a server killed (SIGKILL) in the middle of a publish leaves it either fully published
 * or absent". A real server process on a SQLite file (and on PostgreSQL) takes concurrent version commands
 * over HTTP (publishes, drafts, scheduled publishes, restores) and is killed with SIGKILL at a random
 * moment, several times; after each kill the data is checked as the dead server left it, then a server is
 * started again on the same data and must carry on: the audit chain verifies and new publishes chain on.
 */
describe.each(DIALECTS)('a server killed during publishes on %s', (dialect) => {
  let server: ServerProcess | undefined;
  let pgDb: TestDb | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    if (server) await killHard(server);
    await pgDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    server = pgDb = dataDir = undefined;
  });

  test('leaves every version fully published or absent, one chain per feature, and a verifiable audit chain', async () => {
    let storage: Record<string, string>;
    let openSameDb: () => Db;
    if (dialect === 'sqlite') {
      const dir = (dataDir = tempDataDir());
      storage = { FLAGDESK_DATA_DIR: dir };
      openSameDb = () => openDatabase({ sqliteFile: join(dir, 'flagdesk.sqlite') });
    } else {
      pgDb = await createTestDb('postgres');
      await pgDb.db.close(); // the server process opens its own pool
      const url = pgDb.location;
      storage = { DATABASE_URL: url };
      openSameDb = () => openDatabase({ databaseUrl: url, poolSize: 2 });
    }
    const start = async () => {
      server = await startServerProcess({ ...storage, FLAGDESK_ADMIN_EMAIL: ADMIN.email, FLAGDESK_ADMIN_PASSWORD: ADMIN.password }, 180_000);
      const api = client(server.url);
      await api.login();
      return api;
    };

    let api = await start();
    const w = await seed(api);
    const ack: Acknowledged = { published: new Set(), scheduled: new Set(), drafts: new Set(), requests: 0 };
    const serverErrors: string[] = [];

    for (let round = 0; round < KILL_ROUNDS; round++) {
      const before = ack.requests;
      const load = Promise.all(Array.from({ length: 6 }, () => worker(api, w, ack, serverErrors)));
      // Kill at a random moment once the load is well under way (at least 20 commands answered).
      while (ack.requests < before + 20) await sleep(10);
      await sleep(Math.random() * 1000);
      await killHard(server!);
      server = undefined;
      await load;

      const db = openSameDb();
      try {
        const counts = await checkInvariants(db, w, ack);
        expect(counts.published).toBeGreaterThan(FEATURES);
      } finally {
        await db.close();
      }
      api = await start();
    }
    expect(serverErrors).toEqual([]);

    // The restarted server carries on: scheduled versions that fell due while it was down go live (its
    // scheduler finds them by query, D4), new publishes chain on the live versions, the audit chain verifies.
    const watcher = openSameDb();
    try {
      for (let i = 0; ; i++) {
        const due = await watcher.kysely.selectFrom('environment_feature_versions').select('uuid').where('environment_id', '=', w.environment.id).where('status', '=', 'scheduled').where('live_from', '<=', new Date().toISOString()).execute();
        if (due.length === 0) break;
        if (i > 600) throw new Error(`scheduled versions still not live: ${JSON.stringify(due)}`);
        await sleep(100);
      }
    } finally {
      await watcher.close();
    }
    for (const feature of w.features) {
      const r = await api.call('createFeatureVersion', { environment_pk: w.environment.id, feature_pk: feature }, { feature_states_to_update: [{ feature_segment: null, enabled: true }], publish_immediately: true });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ack.published.add(r.body.uuid);
    }
    const integrity = await api.ok('getAuditLogIntegrity', { organisation_pk: w.organisation });
    expect(integrity).toMatchObject({ is_valid: true, first_broken: null });
    expect(integrity.checked_entries).toBe(integrity.chain_length);

    await killHard(server!);
    server = undefined;
    const db = openSameDb();
    try {
      await checkInvariants(db, w, ack);
    } finally {
      await db.close();
    }
  });
});
