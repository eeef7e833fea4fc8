import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRxDatabase, type RxCollection, type RxDatabase } from 'rxdb';
import { RxDBLocalDocumentsPlugin } from 'rxdb/plugins/local-documents';
import { addRxPlugin } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { replicateRxCollection } from 'rxdb/plugins/replication';
import { TestApi } from '../../support/api-harness.js';
import { at, v2World, type V2World } from '../../support/versions-fixtures.js';
import { toRxJsonSchema } from '../../../src-shared/contracts/sync/rx-schema.js';
import type { DraftDoc, VersionDoc } from '../../../src-shared/contracts/sync/documents.js';
import { setEnabled, setValue, upsertSegmentOverride } from '../../../src-shared/domain/versioning/draft-doc.js';
import type { VersionContent } from '../../../src-shared/domain/versioning/version-content.js';
import { draftConflictHandler } from '../../../src-renderer/replica/draft-conflicts.js';
import { createLocalDraft, editLocalDraft } from '../../../src-renderer/replica/local-drafts.js';
import type { ReplicaDatabase } from '../../../src-renderer/replica/replica-db.js';

/*
 * Issue 6: two admins editing one draft while offline converge (D7). Two replicas (RxDB databases holding
 * the drafts collection with the replica's conflict handler; a whole replica each would exceed the free
 * build's 13 collections) sync against an in-process server over HTTP. Each sync is one replication run:
 * between runs a replica is offline. The second push assumes an old master; the server merges the Yjs
 * states and answers its master, which the handler merges with the local state.
 */

type Checkpoint = { sequence: number };
const text = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });

describe('two replicas editing one draft offline', () => {
  const api = new TestApi('sqlite');
  let base = '';
  let w: V2World;
  const dbs: RxDatabase[] = [];
  /** Conflicts the server answered, as the replicas' handler saw them. */
  let resolved = 0;
  const countingHandler = { isEqual: draftConflictHandler.isEqual, resolve: (...args: Parameters<typeof draftConflictHandler.resolve>) => (resolved++, draftConflictHandler.resolve(...args)) };

  async function openReplica(name: string): Promise<ReplicaDatabase> {
    const db = await createRxDatabase({ name: `${name}${Date.now()}`, storage: getRxStorageMemory(), localDocuments: true, multiInstance: false });
    await db.addCollections({ drafts: { schema: toRxJsonSchema('drafts') as never, conflictHandler: countingHandler as never } });
    dbs.push(db);
    return db as unknown as ReplicaDatabase;
  }

  /** One replication run of the drafts collection: push what waits, pull what is new, then offline again. */
  async function sync(db: ReplicaDatabase, name: string): Promise<void> {
    const headers = { authorization: api.adminToken, 'content-type': 'application/json' };
    const state = replicateRxCollection<DraftDoc, Checkpoint>({
      collection: db.drafts as unknown as RxCollection<DraftDoc>,
      replicationIdentifier: `drafts-${name}`,
      live: false,
      pull: {
        async handler(checkpoint, batchSize) {
          const res = await fetch(`${base}/api/v1/sync/drafts/pull/?checkpoint=${checkpoint?.sequence ?? 0}&limit=${batchSize}`, { headers });
          if (!res.ok) throw new Error(`pull ${res.status}`);
          return res.json();
        },
      },
      push: {
        async handler(rows) {
          const res = await fetch(`${base}/api/v1/sync/drafts/push/`, { method: 'POST', headers, body: JSON.stringify(rows.map((r) => ({ assumedMasterState: r.assumedMasterState ?? null, newDocumentState: r.newDocumentState }))) });
          if (!res.ok) throw new Error(`push ${res.status} ${await res.text()}`);
          return res.json();
        },
      },
    });
    // A failed request is retried forever: fail the test at the first one instead of waiting.
    const failed = new Promise<never>((_, reject) => state.error$.subscribe((e) => reject(e instanceof Error ? e : new Error(String(e)))));
    try {
      await Promise.race([state.awaitInitialReplication(), failed]);
    } finally {
      await state.cancel();
    }
  }

  async function liveVersion(): Promise<VersionDoc> {
    const res = await fetch(`${base}/api/v1/sync/versions/pull/?checkpoint=0&limit=1000`, { headers: { authorization: api.adminToken } });
    const { documents } = (await res.json()) as { documents: VersionDoc[] };
    return documents.find((v) => v.featureId === w.feature && v.environmentId === w.env.id && v.status === 'published')!;
  }

  const draftOn = async (db: ReplicaDatabase, id: string) => (await db.drafts.findOne(id).exec())?.toMutableJSON() ?? null;

  beforeAll(async () => {
    addRxPlugin(RxDBLocalDocumentsPlugin);
    await api.start();
    base = await api.app.listen({ port: 0, host: '127.0.0.1' });
    w = await v2World(api, { segments: 2 });
  });
  afterAll(async () => {
    for (const db of dbs) await db.close();
    await api.stop();
  });

  test('both edits survive on both replicas and on the server', async () => {
    const one = await openReplica('one');
    const two = await openReplica('two');
    const live = await liveVersion();
    const environment = { pk: w.env.id, organisationId: live.organisationId, projectId: w.project };

    // Replica one makes the draft (offline), then syncs; replica two receives it.
    const draft = await createLocalDraft(one, { environment, featureId: w.feature, userId: null, live });
    await sync(one, 'one');
    await sync(two, 'two');
    expect((await draftOn(two, draft.id))?.content).toEqual(draft.content);

    // Both go offline and edit different fields of the same draft.
    await editLocalDraft(one, draft.id, (doc) => setValue(doc, null, text('from one')));
    await editLocalDraft(two, draft.id, (doc) => {
      setEnabled(doc, null, true);
      upsertSegmentOverride(doc, String(w.segments[0]), { enabled: true, value: text('beta'), multivariateWeights: {} });
    });

    // One reconnects first; two's push then assumes an old master and gets the merged one back.
    await sync(one, 'one');
    const before = resolved;
    await sync(two, 'two');
    expect(resolved).toBe(before + 1);
    await sync(one, 'one');

    const onOne = (await draftOn(one, draft.id))!;
    const onTwo = (await draftOn(two, draft.id))!;
    const content = onTwo.content as VersionContent;
    expect(content.environmentDefault).toMatchObject({ enabled: true, value: text('from one') });
    expect(Object.keys(content.segmentOverrides)).toEqual([String(w.segments[0])]);
    expect(onOne.content).toEqual(onTwo.content);

    const states = (await api.op('listFeatureVersionFeatureStates', { params: at(w, { uuid: draft.id }) })).body as { feature_segment: unknown; enabled: boolean; feature_state_value: unknown }[];
    const serverDefault = states.find((s) => s.feature_segment === null)!;
    expect(serverDefault).toMatchObject({ enabled: true, feature_state_value: text('from one') });
    expect(states).toHaveLength(2);
  });
});
