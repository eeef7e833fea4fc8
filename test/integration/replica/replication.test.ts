import { rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as Y from 'yjs';
import { indexedDB, IDBKeyRange } from 'fake-indexeddb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { startServerProcess, tempDataDir, type ServerProcess } from '../../support/server-process.js';
import { adminApi, eventually } from '../../e2e/e2e-fixtures.js';
import { SYNC_COLLECTION_NAMES } from '../../../src-shared/contracts/sync/collections.js';
import type { DraftDoc, IntentDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import { createDraftDoc, readDraftDoc, setEnabled, setValue } from '../../../src-shared/domain/versioning/draft-doc.js';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../src-renderer/replica/replica-db.js';
import { markDraftPending } from '../../../src-renderer/replica/pending-drafts.js';
import { startReplica } from '../../../src-renderer/replica/replication.js';
import type { Replica } from '../../../src-renderer/replica/replica.js';
import type { SyncStatus } from '../../../src-renderer/replica/sync-status.js';

/*
 * The replica's replication and lifecycle (issue 6, items 3-4) against a real server process: the first
 * replication of every collection, a live change through the stream, the server stopped (offline, local
 * draft and publish queued), restarted on the same port and data (online, the draft pushed, the publish
 * run and its result replicated back), and a publish made stale by a newer overlapping version coming
 * back as a conflict. RxDB runs on the Dexie storage over fake-indexeddb, as the renderer runs over IndexedDB.
 */

const ADMIN = { email: 'admin@replica.test', password: 'a long replica password' };
const stringValue = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });

interface Env {
  id: number;
  api_key: string;
}

describe('the replica replicating against a real server process', () => {
  const dataDir = tempDataDir();
  let server: ServerProcess;
  let port = '';
  let token = '';
  let userId = 0;
  let project = 0;
  let env: Env;
  const features: Record<string, number> = {};
  let db: ReplicaDatabase;
  let replica: Replica;

  const serverEnv = () => ({ FLAGDESK_DATA_DIR: dataDir, FLAGDESK_ADMIN_EMAIL: ADMIN.email, FLAGDESK_ADMIN_PASSWORD: ADMIN.password, FLAGDESK_ADMIN_ORGANISATION: 'Replica Org', PORT: port || '0' });
  const call = <T>(method: string, path: string, body?: unknown) => adminApi<T>(server, token, method, path, body);
  const status = () => replica.status.getState();
  const until = (what: string, ok: (s: SyncStatus) => boolean) => eventually(async () => (ok(status()) ? status() : undefined), what);
  const docsOf = async (name: (typeof SYNC_COLLECTION_NAMES)[number]) => (await db.collections[name].find().exec()).map((d) => d.toJSON() as { id: string });

  /** The version of a feature live on the replica: its latest published one. */
  async function liveVersion(featureId: number): Promise<VersionDoc> {
    const versions = (await db.versions.find({ selector: { environmentId: env.id, featureId } }).exec()).map((d) => d.toJSON() as VersionDoc);
    const published = versions.filter((v) => v.status === 'published').sort((a, b) => (b.liveSeq ?? 0) - (a.liveSeq ?? 0));
    return published[0]!;
  }

  /** A draft written on the replica as the draft editor does: a Yjs document on the live version, marked pending. */
  async function writeLocalDraft(featureId: number, edit: (doc: Y.Doc) => void): Promise<DraftDoc> {
    const live = await liveVersion(featureId);
    const doc = createDraftDoc(live.content as never);
    edit(doc);
    const now = new Date().toISOString();
    const draft: DraftDoc = {
      id: randomUUID(), seq: 0, organisationId: live.organisationId, projectId: live.projectId, environmentId: env.id, featureId, description: null, baseVersionUuid: live.id,
      state: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'), content: readDraftDoc(doc) as never, createdByUserId: userId, createdAt: now, updatedAt: now, error: null,
    };
    await db.drafts.insert(draft);
    await markDraftPending(db, draft.id);
    return draft;
  }

  async function queuePublish(draft: DraftDoc): Promise<IntentDoc> {
    const intent: IntentDoc = {
      id: randomUUID(), seq: 0, kind: 'publish', organisationId: draft.organisationId, projectId: draft.projectId, environmentId: draft.environmentId, featureId: draft.featureId,
      versionUuid: draft.id, changeRequestId: null, liveFrom: null, createdAt: new Date().toISOString(), status: 'pending', result: null,
    };
    await db.intents.insert(intent);
    return intent;
  }

  const intentOnReplica = (id: string, done: (i: IntentDoc) => boolean) =>
    eventually(async () => {
      const doc = (await db.intents.findOne(id).exec())?.toJSON() as IntentDoc | undefined;
      return doc && done(doc) ? doc : undefined;
    }, `intent ${id} answered on the replica`);

  beforeAll(async () => {
    server = await startServerProcess(serverEnv());
    port = new URL(server.url).port;
    token = (await adminApi<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', ADMIN)).key;
    userId = (await call<{ id: number }>('GET', '/api/v1/auth/users/me/')).id;
    const organisation = (await call<{ results: { id: number; name: string }[] }>('GET', '/api/v1/organisations/')).results.find((o) => o.name === 'Replica Org')!;
    project = (await call<{ id: number }>('POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id })).id;
    env = await call<Env>('POST', '/api/v1/environments/', { name: 'Production', project });
    for (const [name, initial_value] of [['checkout_banner', 'Welcome'], ['price_experiment', '10']] as const) {
      features[name] = (await call<{ id: number }>('POST', `/api/v1/projects/${project}/features/`, { name, initial_value, default_enabled: false })).id;
    }
    await call('POST', `/api/v1/projects/${project}/segments/`, { name: 'beta_users', rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'beta' }] }] }] });
    await call('POST', `/api/v1/environments/${env.api_key}/enable-v2-versioning/`);
    await eventually(async () => ((await call<{ versioning_status: string }>('GET', `/api/v1/environments/${env.api_key}/versioning-status/`)).versioning_status === 'v2' ? true : undefined), 'v2');
    // A draft made on the server side (REST), so the drafts collection has something to pull too.
    await call('POST', `/api/v1/environments/${env.id}/features/${features.price_experiment}/versions/`, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });

    db = await createReplicaDatabase({ name: `replica_${Date.now()}`, storage: getRxStorageDexie({ indexedDB, IDBKeyRange }) });
    replica = startReplica({ db, baseUrl: server.url, fetch, getToken: () => token, userId, retryMs: 300 });
  });

  afterAll(async () => {
    await replica?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the first replication brings every collection the server has for the user', async () => {
    await replica.awaitInitialReplication();
    expect(status().initial).toEqual({ done: SYNC_COLLECTION_NAMES.length, total: SYNC_COLLECTION_NAMES.length, finished: true });
    expect(status().connection).toBe('online');
    expect(status().lastSyncedAt).not.toBeNull();
    // Remembered, so the next start (offline too) reads this replica at once.
    await vi.waitFor(async () => expect(await db.getLocal('replicated-once')).not.toBeNull());
    for (const name of SYNC_COLLECTION_NAMES) {
      const onServer = await call<{ documents: { id: string; _deleted: boolean }[] }>('GET', `/api/v1/sync/${name}/pull/?checkpoint=0&limit=1000`);
      const expected = onServer.documents.filter((d) => !d._deleted).map((d) => d.id).sort();
      expect((await docsOf(name)).map((d) => d.id).sort(), name).toEqual(expected);
    }
    expect((await docsOf('features')).length).toBe(2);
    expect((await docsOf('versions')).length).toBe(2);
    expect((await docsOf('drafts')).length).toBe(1);
    expect((await docsOf('segments')).length).toBe(1);
  });

  test('a change on the server arrives through the stream', async () => {
    await call('POST', `/api/v1/projects/${project}/features/`, { name: 'arrives_live', initial_value: null, default_enabled: false });
    await eventually(async () => (await db.features.findOne({ selector: { name: 'arrives_live' } }).exec()) ?? undefined, 'the new feature on the replica');
  });

  test('offline, a draft and its publish wait; back online, the draft is pushed and published and the result replicates back', async () => {
    await server.stop();
    await until('offline', (s) => s.connection === 'offline');
    expect(status().lastError).toMatch(/could not be reached|unavailable/i);

    const draft = await writeLocalDraft(features.checkout_banner!, (doc) => {
      setEnabled(doc, null, true);
      setValue(doc, null, stringValue('Offline edit'));
    });
    const intent = await queuePublish(draft);
    await until('1 pending draft and 1 pending intent', (s) => s.pendingDrafts === 1 && s.pendingIntents === 1);
    expect(status().connection).toBe('offline');

    server = await startServerProcess(serverEnv());
    await until('online', (s) => s.connection === 'online');
    const answered = await intentOnReplica(intent.id, (i) => i.status !== 'pending');
    expect(answered.status).toBe('done');
    expect(answered.result).toMatchObject({ code: 'OK', versionUuid: draft.id });

    // The draft became a published version: its tombstone removes it from drafts, the version arrives.
    await eventually(async () => ((await db.drafts.findOne(draft.id).exec()) === null ? true : undefined), 'the draft tombstone');
    const version = await eventually(async () => (await db.versions.findOne(draft.id).exec())?.toJSON() as VersionDoc | undefined, 'the published version');
    expect(version.status).toBe('published');
    expect(version.content.environmentDefault).toMatchObject({ enabled: true, value: stringValue('Offline edit') });
    const onServer = await call<{ enabled: boolean; feature_segment: unknown }[]>('GET', `/api/v1/environments/${env.id}/features/${features.checkout_banner}/versions/${draft.id}/featurestates/`);
    expect(onServer.find((s) => s.feature_segment === null)).toMatchObject({ enabled: true });
    await until('nothing pending', (s) => s.pendingDrafts === 0 && s.pendingIntents === 0 && s.conflicts === 0);
  });

  test('a publish of a draft made stale by a newer overlapping version comes back as a conflict and is counted', async () => {
    const draft = await writeLocalDraft(features.price_experiment!, (doc) => setValue(doc, null, stringValue('mine')));
    // The server has the draft (pushed) before anyone else publishes.
    await eventually(
      () => call(`GET`, `/api/v1/environments/${env.id}/features/${features.price_experiment}/versions/${draft.id}/`).catch(() => undefined),
      'the draft on the server',
    );
    await call('POST', `/api/v1/environments/${env.id}/features/${features.price_experiment}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, enabled: false, feature_state_value: stringValue('theirs') }],
      publish_immediately: true,
    });
    const intent = await queuePublish(draft);
    const answered = await intentOnReplica(intent.id, (i) => i.status !== 'pending');
    expect(answered.status).toBe('conflict');
    expect(answered.result?.conflicts?.length).toBeGreaterThan(0);
    await until('1 conflict, nothing pending', (s) => s.conflicts === 1 && s.pendingIntents === 0 && s.pendingDrafts === 0);
    // Never a silent overwrite: the live value is the other admin's.
    const live = await eventually(async () => {
      const v = await liveVersion(features.price_experiment!);
      return (v.content.environmentDefault.value as { string_value?: string }).string_value === 'theirs' ? v : undefined;
    }, "the other admin's version live on the replica");
    expect(live.id).not.toBe(draft.id);
  });

  test("a resync (the user's access changed) pulls every collection again from the start and removes what the server no longer shows", async () => {
    const feature = await db.features.findOne({ selector: { name: 'arrives_live' } }).exec();
    // Gone from this replica only: a pull from the last checkpoint would never bring it back.
    await feature!.remove();
    // And one the server no longer shows this user (as after losing access to its project).
    await db.projects.insert({ id: '999999', seq: 1, pk: 999999, organisationId: 1, name: 'No longer visible', hideDisabledFlags: false, createdAt: '2026-11-01T00:00:00.000Z' });
    await call('POST', '/api/v1/organisations/', { name: 'Second Org' });
    await eventually(async () => (await db.organisations.findOne({ selector: { name: 'Second Org' } }).exec()) ?? undefined, 'the new organisation on the replica');
    await eventually(async () => (await db.features.findOne({ selector: { name: 'arrives_live' } }).exec()) ?? undefined, 'the feature pulled again');
    await eventually(async () => ((await db.projects.findOne('999999').exec()) === null ? true : undefined), 'the project the server no longer shows removed from the device');
    expect((await db.projects.find().exec()).length).toBeGreaterThan(0);
    // Pushes still go through after the restart (it offers every local document again, tombstones too).
    const draft = await writeLocalDraft(features.checkout_banner!, (doc) => setValue(doc, null, stringValue('After resync')));
    const intent = await queuePublish(draft);
    expect((await intentOnReplica(intent.id, (i) => i.status !== 'pending')).status).toBe('done');
    await until('nothing pending', (s) => s.pendingDrafts === 0 && s.pendingIntents === 0);
  });
});
