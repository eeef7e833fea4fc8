import { expect } from 'vitest';
import { urlFor } from './api-harness.js';
import { routeTable, type OperationId } from '../../src-shared/contracts/http/route-table.js';
import type { Db } from '../../sync-server/platform/database/database.js';
import { createSqlVersionsStore } from '../../sync-server/modules/versions/versions.store.sql.js';
import { parseContent, statesOfContent } from '../../sync-server/modules/versions/version-content-rows.js';
import { hashVersionContent } from '../../src-shared/domain/versioning/version-content.js';

/*
 * Publish load against real server processes over HTTP, and the invariants (ADR 0005) the data must keep
 * whatever happens to the servers: the kill -9 test and the two-instance test share them.
 */

export const LOAD_ADMIN = { email: 'crash@example.com', password: 'crash-password' };
export const LOAD_FEATURES = 3;
const SEGMENTS = 4;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small Admin API client; answers the status and body, throwing only on network errors. */
export function client(base: string) {
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
      token = (await ok('login', {}, LOAD_ADMIN)).key;
    },
  };
}
export type Client = ReturnType<typeof client>;

export interface World {
  organisation: number;
  environment: { id: number; api_key: string };
  features: number[];
  segments: number[];
}

export async function seed(api: Client): Promise<World> {
  const organisation = (await api.ok('listOrganisations')).results[0].id as number;
  const project = (await api.ok('createProject', {}, { name: 'Crash', organisation })).id as number;
  const environment = await api.ok('createEnvironment', {}, { name: 'Production', project });
  const features: number[] = [];
  for (let i = 0; i < LOAD_FEATURES; i++) features.push((await api.ok('createFeature', { project_pk: project }, { name: `flag_${i}`, initial_value: 'start' })).id);
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
export interface Acknowledged {
  published: Set<string>;
  scheduled: Set<string>;
  drafts: Set<string>;
  requests: number;
}

/**
 * One worker of the load: random version commands on random features until the server goes away (or
 * `maxCommands` were sent).
 * Refusals (a conflict, an override that already exists) are part of the load; a 5xx is not.
 */
export async function worker(api: Client, w: World, ack: Acknowledged, serverErrors: string[], maxCommands = Infinity): Promise<void> {
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
    for (let n = 0; n < maxCommands; n++) {
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
export async function checkInvariants(db: Db, w: World, ack: Acknowledged): Promise<{ published: number; drafts: number }> {
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

