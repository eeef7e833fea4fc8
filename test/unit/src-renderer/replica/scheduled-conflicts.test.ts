import { afterEach, describe, expect, test } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { notifyScheduledVersionConflicts, watchScheduledVersionConflicts } from '../../../../src-renderer/replica/scheduled-conflicts.js';
import { formatDateTime } from '../../../../src-renderer/ui/format.js';
import { content, environmentDoc, featureDoc, versionDoc } from '../replica-fixtures.js';

/*
 * A scheduled version the server could not publish (it conflicts with a newer one) arrives by
 * replication as an update to `conflict`: its author is notified once; other users' versions and
 * conflicts already in the replica are not.
 */

let db: ReplicaDatabase | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

const scope = { environmentId: 101, featureId: 1000 };
const scheduled = (id: string, createdByUserId: number) =>
  versionDoc(id, scope, content(true, id), { status: 'scheduled', liveFrom: '2026-12-01T09:00:00.000Z', createdByUserId, publishedByUserId: null });

describe('scheduled changes that did not go live', () => {
  test('notify the user who scheduled them, once, when the conflict arrives', async () => {
    db = await createReplicaDatabase({ name: `sched${Date.now()}`, storage: getRxStorageMemory() });
    await db.versions.bulkInsert([scheduled('mine', 7), scheduled('theirs', 8), versionDoc('old-conflict', scope, content(true, 'x'), { status: 'conflict', createdByUserId: 7 })]);
    const notified: string[] = [];
    const subscription = watchScheduledVersionConflicts(db, 7, (v) => notified.push(v.id));

    await (await db.versions.findOne('theirs').exec())!.incrementalPatch({ status: 'conflict', seq: 5 });
    await (await db.versions.findOne('mine').exec())!.incrementalPatch({ status: 'conflict', seq: 6 });
    await (await db.versions.findOne('mine').exec())!.incrementalPatch({ seq: 7 });
    await (await db.versions.findOne('old-conflict').exec())!.incrementalPatch({ seq: 8 });
    expect(notified).toEqual(['mine']);
    subscription.unsubscribe();
  });

  test('the desktop notification names the feature, environment and time', async () => {
    db = await createReplicaDatabase({ name: `sched${Date.now()}b`, storage: getRxStorageMemory() });
    await db.features.insert(featureDoc(1000, 10, 'checkout_banner'));
    await db.environments.insert(environmentDoc(101, 10, 'Production', true));
    await db.versions.insert(scheduled('mine', 7));
    const shown: { title: string; body: string }[] = [];
    const subscription = notifyScheduledVersionConflicts(db, 7, { notifications: { show: async (n) => (shown.push(n), { ok: true, value: undefined }) as never } });
    await (await db.versions.findOne('mine').exec())!.incrementalPatch({ status: 'conflict', seq: 2 });
    await expect.poll(() => shown.length).toBe(1);
    expect(shown[0]).toEqual({
      title: 'A scheduled change did not go live',
      body: `checkout_banner in Production: the change scheduled for ${formatDateTime('2026-12-01T09:00:00.000Z')} conflicts with a newer version. Open Flagdesk to resolve it.`,
    });
    subscription.unsubscribe();
  });
});
