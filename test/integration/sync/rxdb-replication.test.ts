import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Subject } from 'rxjs';
import * as Y from 'yjs';
import { indexedDB, IDBKeyRange } from 'fake-indexeddb';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { replicateRxCollection, type RxReplicationState } from 'rxdb/plugins/replication';
import type { RxReplicationPullStreamItem } from 'rxdb';
import { TestApi } from '../../support/api-harness.js';
import { createProject } from '../../support/tenancy.js';
import { at, insertFeature, v2World, type V2World } from '../../support/versions-fixtures.js';
import { toRxJsonSchema } from '../../../src-shared/contracts/sync/rx-schema.js';
import { loadDraftDoc, readDraftDoc, setEnabled } from '../../../src-shared/domain/versioning/draft-doc.js';

/*
 * A real RxDB replica (Dexie over fake-indexeddb, as the renderer runs it over IndexedDB) replicating two
 * collections against an in-process server over HTTP: initial pull, live wake-ups through the SSE stream,
 * and a draft edited on the replica pushed back and merged by the server.
 */

type Checkpoint = { sequence: number };

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('RxDB replica against the sync endpoints', () => {
  const api = new TestApi('sqlite');
  let base = '';
  let w: V2World;
  let db: RxDatabase;
  const replications: RxReplicationState<any, Checkpoint>[] = [];
  const streamAbort = new AbortController();
  const wake = new Subject<RxReplicationPullStreamItem<any, Checkpoint>>();

  /** The replica's side of the stream: every event asks RxDB to pull again. */
  async function listen(): Promise<void> {
    const res = await fetch(`${base}/api/v1/sync/stream/?max_seconds=120`, { headers: { authorization: api.adminToken }, signal: streamAbort.signal });
    const reader = res.body!.getReader();
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      if (new TextDecoder().decode(chunk.value).includes('event: ')) wake.next('RESYNC');
    }
  }

  function replicate(collection: RxCollection, name: string) {
    const state = replicateRxCollection<any, Checkpoint>({
      collection,
      replicationIdentifier: `flagdesk-${name}`,
      live: true,
      pull: {
        batchSize: 3,
        async handler(checkpoint, batchSize) {
          const res = await fetch(`${base}/api/v1/sync/${name}/pull/?checkpoint=${checkpoint?.sequence ?? 0}&limit=${batchSize}`, { headers: { authorization: api.adminToken } });
          if (!res.ok) throw new Error(`pull ${res.status}`);
          return res.json();
        },
        stream$: wake.asObservable(),
      },
      ...(name === 'drafts'
        ? {
            push: {
              async handler(rows) {
                const res = await fetch(`${base}/api/v1/sync/${name}/push/`, { method: 'POST', headers: { authorization: api.adminToken, 'content-type': 'application/json' }, body: JSON.stringify(rows) });
                if (!res.ok) throw new Error(`push ${res.status} ${await res.text()}`);
                return res.json();
              },
            },
          }
        : {}),
    });
    replications.push(state);
    return state;
  }

  beforeAll(async () => {
    await api.start();
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    w = await v2World(api);
    const other = await createProject(api, 'Second');
    for (let i = 0; i < 8; i++) await insertFeature(api, i % 2 ? w.project : other.id, { name: `replicated-${i}` });
    db = await createRxDatabase({ name: `replica${Date.now()}`, storage: getRxStorageDexie({ indexedDB, IDBKeyRange }) });
    await db.addCollections({ features: { schema: toRxJsonSchema('features') as never }, drafts: { schema: toRxJsonSchema('drafts') as never } });
    void listen();
  });
  afterAll(async () => {
    streamAbort.abort();
    for (const r of replications) await r.cancel();
    await db?.close();
    await api.stop();
  });

  test('the replica pulls everything in batches, wakes on a server write, and pushes a draft edit the server merges', async () => {
    const features = replicate(db.collections.features!, 'features');
    const drafts = replicate(db.collections.drafts!, 'drafts');
    await features.awaitInitialReplication();
    await drafts.awaitInitialReplication();
    expect((await db.collections.features!.find().exec()).length).toBe(9);

    // A write on the server reaches the replica through the stream, without polling by the replica.
    const created = await api.op('createFeature', { params: { project_pk: w.project }, body: { name: 'arrives-live' } });
    expect(created.status).toBe(201);
    await eventually(() => db.collections.features!.findOne({ selector: { name: 'arrives-live' } }).exec(), (d) => d !== null, 'the new feature on the replica');

    // A draft made through REST appears on the replica; edited there (Yjs), it is pushed and merged.
    const draft = await api.op('createFeatureVersion', { params: at(w), body: {} });
    expect(draft.status).toBe(201);
    const local = await eventually(() => db.collections.drafts!.findOne(draft.body.uuid).exec(), (d) => d !== null, 'the draft on the replica');
    const doc = loadDraftDoc(new Uint8Array(Buffer.from(local!.state, 'base64')));
    setEnabled(doc, null, true);
    await local!.incrementalPatch({ state: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'), content: readDraftDoc(doc) });
    await drafts.awaitInSync();
    const states = await eventually(
      async () => (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: draft.body.uuid }) })).body as any[],
      (s) => s.find((x) => x.feature_segment === null)?.enabled === true,
      'the merged draft on the server',
    );
    expect(states).toHaveLength(1);
    // The replica ends with the server's version of the draft (its new change sequence).
    await eventually(() => db.collections.drafts!.findOne(draft.body.uuid).exec(), (d) => d !== null && d.seq > local!.seq, 'the server version on the replica');
  });
});
