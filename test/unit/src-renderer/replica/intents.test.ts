import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { filter, firstValueFrom } from 'rxjs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { createLocalDraft } from '../../../../src-renderer/replica/local-drafts.js';
import {
  allIntents$,
  dismissIntent,
  intentStatusText,
  intentsForFeature$,
  queueApprove,
  queueCommit,
  queuePublish,
  queueSchedule,
  notifyIntentConflicts,
  watchIntentConflicts,
  withoutDismissed,
} from '../../../../src-renderer/replica/intents.js';
import type { ChangeRequestDoc, IntentDoc } from '../../../../src-shared/contracts/sync/documents.js';

const environment = { pk: 101, organisationId: 1, projectId: 10 };
const fallback = { environmentDefault: { enabled: false, value: { type: 'unicode' as const, string_value: null, integer_value: null, boolean_value: null }, multivariateWeights: {} }, segmentOverrides: {} };

let db: ReplicaDatabase;
beforeEach(async () => {
  db = await createReplicaDatabase({ name: `intents${Math.random().toString(36).slice(2)}`, storage: getRxStorageMemory() });
});
afterEach(async () => {
  await db.close();
});

async function answer(id: string, status: IntentDoc['status'], message: string) {
  const doc = await db.intents.findOne(id).exec();
  await doc!.incrementalPatch({ status, seq: 5, result: { code: status === 'done' ? 'OK' : 'PRECONDITION_FAILED', message, versionUuid: null, conflicts: status === 'conflict' ? [] : null, executedAt: '2026-11-25T10:00:00.000Z' } });
}

describe('queued intents', () => {
  test('publish and schedule carry the draft and its scope, pending, with the agreed status texts', async () => {
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: null, fallback });
    const publish = await queuePublish(db, draft);
    expect(publish).toMatchObject({ kind: 'publish', status: 'pending', result: null, seq: 0, environmentId: 101, featureId: 1000, organisationId: 1, projectId: 10, versionUuid: draft.id, liveFrom: null, changeRequestId: null });
    expect(intentStatusText(publish)).toBe('Queued: publishes when the server is reachable.');
    const schedule = await queueSchedule(db, draft, '2026-12-01T09:00:00.000Z');
    expect(schedule).toMatchObject({ kind: 'schedule', liveFrom: '2026-12-01T09:00:00.000Z', versionUuid: draft.id });
    expect(intentStatusText({ ...schedule, status: 'done' })).toBe('Scheduled for 1 Dec 2026, 09:00 UTC.');
    expect(intentStatusText({ ...publish, status: 'done' })).toBe('Published.');
    expect(intentStatusText({ ...publish, status: 'refused', result: { code: 'PERMISSION_DENIED', message: 'You cannot publish here.', versionUuid: null, conflicts: null, executedAt: '' } })).toBe('You cannot publish here.');
    const listed = await firstValueFrom(intentsForFeature$(db, 101, 1000).pipe(filter((l) => l.length === 2)));
    expect(new Set(listed.map((i) => i.id))).toEqual(new Set([publish.id, schedule.id]));
    expect((await firstValueFrom(intentsForFeature$(db, 101, 1001))).length).toBe(0);
  });

  test('approve and commit name the change request', async () => {
    const cr = { id: '5', pk: 5, seq: 1, organisationId: 1, projectId: 10, environmentId: 101, changeRequest: {} } as unknown as ChangeRequestDoc;
    expect(await queueApprove(db, cr)).toMatchObject({ kind: 'approve', changeRequestId: 5, environmentId: 101, featureId: null, versionUuid: null });
    expect(await queueCommit(db, cr)).toMatchObject({ kind: 'commit', changeRequestId: 5 });
  });

  test('a dismissed intent leaves the view on this replica only', async () => {
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: null, fallback });
    const kept = await queuePublish(db, draft);
    const gone = await queuePublish(db, draft);
    await answer(gone.id, 'done', 'Published.');
    await dismissIntent(db, gone.id);
    const shown = await firstValueFrom(withoutDismissed(db, allIntents$(db)).pipe(filter((l) => l.length === 1)));
    expect(shown.map((i) => i.id)).toEqual([kept.id]);
    expect(await db.intents.count().exec()).toBe(2);
  });

  test('a publish seen pending that comes back as a conflict is notified once; one already answered is not', async () => {
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: null, fallback });
    const old = await queuePublish(db, draft);
    await answer(old.id, 'conflict', 'Conflict.');
    const notified: string[] = [];
    const subscription = watchIntentConflicts(db, (i) => notified.push(i.id));
    expect(watchIntentConflicts(db, () => notified.push('twice'))).toBeNull();
    const queued = await queuePublish(db, draft);
    await firstValueFrom(allIntents$(db).pipe(filter((l) => l.length === 2)));
    await answer(queued.id, 'conflict', 'Conflict.');
    await firstValueFrom(allIntents$(db).pipe(filter((l) => l.every((i) => i.status === 'conflict'))));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(notified).toEqual([queued.id]);
    subscription?.unsubscribe();
  });

  test('in the desktop app a conflict becomes a native notification naming the feature; a failing notification is ignored', async () => {
    await db.features.insert({ id: 'f-1000', seq: 1, pk: 1000, organisationId: 1, projectId: 10, name: 'checkout_banner', type: 'STANDARD', initialValue: null, defaultEnabled: false, description: null, isArchived: false, isServerKeyOnly: false, createdAt: 't', multivariateOptions: [] });
    const shown: { title: string; body: string }[] = [];
    let calls = 0;
    notifyIntentConflicts(db, {
      notifications: {
        show: async (input) => {
          calls++;
          if (calls === 1) throw new Error('no notification service');
          shown.push(input);
          return { ok: true as const, value: null };
        },
      },
    });
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: null, fallback });
    for (let i = 0; i < 2; i++) {
      const intent = await queuePublish(db, draft);
      await firstValueFrom(allIntents$(db).pipe(filter((l) => l.some((x) => x.id === intent.id))));
      await answer(intent.id, 'conflict', 'Conflict.');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBe(2);
    expect(shown).toEqual([{ title: 'A queued change conflicts', body: 'checkout_banner: the queued publish conflicts with a newer version. Open Flagdesk to resolve it.' }]);
  });
});
