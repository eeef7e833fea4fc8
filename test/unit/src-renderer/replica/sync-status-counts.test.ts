import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { DraftDoc, IntentDoc, VersionDoc } from '../../../../src-shared/contracts/sync/documents.js';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { clearPendingDrafts, markDraftPending } from '../../../../src-renderer/replica/pending-drafts.js';
import { dismissIntent } from '../../../../src-renderer/replica/intents.js';
import { applyChange, isPendingIntent, syncCounts, watchSyncCounts } from '../../../../src-renderer/replica/sync-status-counts.js';
import { createSyncStatusStore, type SyncStatus } from '../../../../src-renderer/replica/sync-status.js';

describe('the count computations', () => {
  test('a change adds a matching document, drops one that no longer matches, and drops a deleted one', () => {
    const ids = new Set<string>();
    applyChange(ids, { documentId: 'a', documentData: { status: 'pending' } }, isPendingIntent);
    applyChange(ids, { documentId: 'b', documentData: { status: 'done' } }, isPendingIntent);
    expect([...ids]).toEqual(['a']);
    applyChange(ids, { documentId: 'a', documentData: { status: 'pending', _deleted: true } }, isPendingIntent);
    expect(ids.size).toBe(0);
    applyChange(ids, { documentId: 'a', documentData: { status: 'pending' } }, isPendingIntent);
    applyChange(ids, { documentId: 'a', documentData: { status: 'done' } }, isPendingIntent);
    expect(ids.size).toBe(0);
  });

  test('conflicts add refused drafts, conflicting intents and conflicting scheduled versions; pending drafts count once each', () => {
    expect(syncCounts({ pendingDraftIds: ['d1', 'd2', 'd1'], intents: { pending: 3, conflict: 1 }, refusedDrafts: 2, conflictingVersions: 4 })).toEqual({ pendingDrafts: 2, pendingIntents: 3, conflicts: 7 });
  });

});

const scope = { organisationId: 1, projectId: 1, environmentId: 1, featureId: 1 };
const content = { environmentDefault: { enabled: false, value: { type: 'unicode', string_value: null, integer_value: null, boolean_value: null }, multivariateWeights: {} }, segmentOverrides: {} };
const T = '2026-06-01T12:00:00.000Z';

function intent(id: string, status: IntentDoc['status']): IntentDoc {
  return { id, seq: 0, kind: 'publish', ...scope, versionUuid: 'v', changeRequestId: null, liveFrom: null, createdAt: T, status, result: null };
}
function draft(id: string, error: DraftDoc['error']): DraftDoc {
  return { id, seq: 1, ...scope, description: null, baseVersionUuid: null, state: '', content: content as never, createdByUserId: 1, createdAt: T, updatedAt: T, error };
}
function version(id: string, status: VersionDoc['status'], publishedAt: string | null = null): VersionDoc {
  return {
    id, seq: 1, ...scope, status, description: null, content: content as never, contentHash: 'h', baseVersionUuid: null, previousVersionUuid: null, conflicts: null, liveFrom: T, liveSeq: null,
    publishedAt, publishedByUserId: null, createdByUserId: 1, createdAt: T, updatedAt: T,
  };
}

describe('the counts of a replica', () => {
  let db: ReplicaDatabase;
  const status = createSyncStatusStore();
  const counts = () => ({ pendingDrafts: status.getState().pendingDrafts, pendingIntents: status.getState().pendingIntents, conflicts: status.getState().conflicts });
  async function until(ok: (s: Pick<SyncStatus, 'pendingDrafts' | 'pendingIntents' | 'conflicts'>) => boolean): Promise<void> {
    for (let i = 0; i < 200 && !ok(counts()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(ok(counts()), JSON.stringify(counts())).toBe(true);
  }

  beforeAll(async () => {
    db = await createReplicaDatabase({ name: `counts${Date.now()}`, storage: getRxStorageMemory() });
  });
  afterAll(async () => {
    await db?.close();
  });

  test('follow the documents already there and every later write', async () => {
    // Already there when watching starts.
    await db.intents.bulkInsert([intent('i1', 'pending'), intent('i2', 'done')]);
    await db.versions.insert(version('v1', 'conflict'));
    const watching = watchSyncCounts(db, status);
    await until((c) => c.pendingIntents === 1 && c.conflicts === 1 && c.pendingDrafts === 0);

    await markDraftPending(db, 'd1');
    await db.drafts.insert(draft('d2', { code: 'PERMISSION_DENIED', message: 'no' }));
    await until((c) => c.pendingDrafts === 1 && c.conflicts === 2);

    // The server answers the intent: pending → conflict.
    await (await db.intents.findOne('i1').exec())!.incrementalPatch({ status: 'conflict' });
    await until((c) => c.pendingIntents === 0 && c.conflicts === 3);

    // Dismissed from the outbox: no longer a conflict to show.
    await dismissIntent(db, 'i1');
    await until((c) => c.conflicts === 2);

    await clearPendingDrafts(db, ['d1']);
    await (await db.drafts.findOne('d2').exec())!.remove();
    await until((c) => c.pendingDrafts === 0 && c.conflicts === 1);

    // A later publish of the same feature (perhaps someone else's) does not drop the conflict unseen…
    await db.versions.insert(version('v2', 'published', '2026-06-02T00:00:00.000Z'));
    await new Promise((r) => setTimeout(r, 300));
    expect(counts().conflicts).toBe(1);
    // …the user dismissing it in the outbox does.
    await dismissIntent(db, 'v1');
    await until((c) => c.conflicts === 0);
    watching.unsubscribe();
  });
});
