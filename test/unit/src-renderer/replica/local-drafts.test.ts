import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { firstValueFrom, filter } from 'rxjs';
import * as Y from 'yjs';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createReplicaDatabase, type ReplicaDatabase } from '../../../../src-renderer/replica/replica-db.js';
import { createLocalDraft, decodeDraftState, discardLocalDraft, editLocalDraft, findLocalDraft, isDraftStale, keepAsNewDraft, localDraft$ } from '../../../../src-renderer/replica/local-drafts.js';
import { clearPendingDrafts, markDraftPending, pendingDraftIds } from '../../../../src-renderer/replica/pending-drafts.js';
import { base64ToBytes, bytesToBase64 } from '../../../../src-renderer/replica/base64.js';
import { newUuid } from '../../../../src-renderer/replica/uuid.js';
import { conflictForView, draftConflictHandler, mergeStaleDraft } from '../../../../src-renderer/replica/draft-conflicts.js';
import { createDraftDoc, loadDraftDoc, readDraftDoc, setEnabled, setValue, upsertSegmentOverride } from '../../../../src-shared/domain/versioning/draft-doc.js';
import { resolveMergeConflicts } from '../../../../src-shared/domain/versioning/three-way-merge.js';
import type { DraftDoc, EnvironmentDoc, VersionDoc } from '../../../../src-shared/contracts/sync/documents.js';
import type { VersionContent } from '../../../../src-shared/domain/versioning/version-content.js';

const text = (s: string) => ({ type: 'unicode' as const, string_value: s, integer_value: null, boolean_value: null });
const content = (value: string, enabled = true): VersionContent => ({ environmentDefault: { enabled, value: text(value), multivariateWeights: {} }, segmentOverrides: {} });
const environment: Pick<EnvironmentDoc, 'pk' | 'organisationId' | 'projectId'> = { pk: 101, organisationId: 1, projectId: 10 };

function version(id: string, c: VersionContent, liveFrom = '2026-11-01T00:00:00.000Z', baseVersionUuid: string | null = null): VersionDoc {
  return {
    id, seq: 1, organisationId: 1, projectId: 10, environmentId: 101, featureId: 1000, status: 'published', description: null, content: c, contentHash: id,
    baseVersionUuid, previousVersionUuid: null, conflicts: null, liveFrom, liveSeq: 1, publishedAt: liveFrom, publishedByUserId: 1, createdByUserId: 1, createdAt: liveFrom, updatedAt: liveFrom,
  };
}

let db: ReplicaDatabase;
beforeEach(async () => {
  db = await createReplicaDatabase({ name: `drafts${Math.random().toString(36).slice(2)}`, storage: getRxStorageMemory() });
});
afterEach(async () => {
  await db.close();
});

describe('base64 of Yjs updates', () => {
  test('round-trips every byte value, also past one chunk', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) % 256);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
    expect(bytesToBase64(new Uint8Array([0xfb, 0xff]))).toBe(Buffer.from([0xfb, 0xff]).toString('base64'));
  });
});

describe('local drafts', () => {
  test('a draft made offline starts from the live version, and an edit updates its Yjs state, content and pending mark', async () => {
    const live = version('v-live', content('Hello'));
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live });
    expect(draft).toMatchObject({ environmentId: 101, featureId: 1000, organisationId: 1, projectId: 10, baseVersionUuid: 'v-live', seq: 0, createdByUserId: 1, error: null });
    expect(readDraftDoc(decodeDraftState(draft.state))).toEqual(live.content);
    expect(await pendingDraftIds(db)).toEqual([draft.id]);

    const edited = await editLocalDraft(db, draft.id, (doc) => {
      setValue(doc, null, text('Hello offline'));
      upsertSegmentOverride(doc, '7', { enabled: false, value: text('beta'), multivariateWeights: {} });
    });
    expect(edited.content.environmentDefault.value.string_value).toBe('Hello offline');
    expect((edited.content as VersionContent).segmentOverrides['7']).toMatchObject({ enabled: false, priority: 0 });
    const stored = await findLocalDraft(db, 101, 1000);
    expect(readDraftDoc(decodeDraftState(stored!.state))).toEqual(edited.content);
    expect(stored!.content).toEqual(edited.content);
    expect(await findLocalDraft(db, 101, 1001)).toBeNull();
  });

  test('a draft of a feature without a live version starts from its defaults; discarding deletes it', async () => {
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: null, live: null, fallback: content('', false) });
    expect(draft.baseVersionUuid).toBeNull();
    const seen = firstValueFrom(localDraft$(db, 101, 1000).pipe(filter((d) => d === null)));
    await discardLocalDraft(db, draft.id);
    expect(await seen).toBeNull();
  });

  test('a draft is stale once another version is live; the client-side merge lists the overlapping fields', async () => {
    const base = version('v-base', content('Hello'));
    const draft = await editLocalDraft(db, (await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: base })).id, (doc) => {
      setValue(doc, null, text('mine'));
      setEnabled(doc, null, false);
    });
    expect(isDraftStale(draft, base)).toBe(false);
    const newer = version('v-newer', content('theirs'), '2026-11-02T00:00:00.000Z', 'v-base');
    expect(isDraftStale(draft, newer)).toBe(true);
    const stale = mergeStaleDraft(draft, [base, newer], newer)!;
    expect(stale.merge.kind).toBe('conflict');
    const conflicts = stale.merge.kind === 'conflict' ? stale.merge.conflicts.map(conflictForView) : [];
    expect(conflicts).toEqual([{ path: 'environmentDefault.value', field: 'value', segment_id: null, option_id: null, base: text('Hello'), live: text('theirs'), mine: text('mine') }]);
    // Keeping mine keeps the disjoint change (enabled) too.
    expect(resolveMergeConflicts(stale.merge, { 'environmentDefault.value': 'mine' }).environmentDefault).toMatchObject({ enabled: false, value: text('mine') });
    expect(mergeStaleDraft(draft, [base], base)).toBeNull();
  });
});

function draftWith(doc: Y.Doc, extra: Partial<DraftDoc> = {}): DraftDoc & { _deleted: boolean } {
  return {
    id: 'd-1', seq: 1, organisationId: 1, projectId: 10, environmentId: 101, featureId: 1000, description: null, baseVersionUuid: 'v-live',
    state: bytesToBase64(Y.encodeStateAsUpdate(doc)), content: readDraftDoc(doc), createdByUserId: 1, createdAt: 't0', updatedAt: 't0', error: null, _deleted: false, ...extra,
  };
}

describe('a refused draft', () => {
  test('its edits are kept in a new draft from the same base, pushed as new; the refused one is discarded', async () => {
    const draft = await createLocalDraft(db, { environment, featureId: 1000, userId: 1, live: version('v-live', content('Hello')) });
    await editLocalDraft(db, draft.id, (doc) => setValue(doc, null, text('mine, offline')));
    const refused = (await (await db.drafts.findOne(draft.id).exec())!.incrementalPatch({ error: { code: 'PRECONDITION_FAILED', message: 'Version was published.' } })).toMutableJSON();

    const copy = await keepAsNewDraft(db, refused, 2);
    expect(copy.id).not.toBe(draft.id);
    expect(copy).toMatchObject({ baseVersionUuid: 'v-live', error: null, seq: 0, createdByUserId: 2 });
    expect(copy.content.environmentDefault.value).toEqual(text('mine, offline'));
    expect(readDraftDoc(decodeDraftState(copy.state))).toEqual(copy.content);
    expect((await findLocalDraft(db, 101, 1000))?.id).toBe(copy.id);
    expect(await db.drafts.findOne(draft.id).exec()).toBeNull();
    // Both go out: the new draft, and the removal of the refused one.
    expect((await pendingDraftIds(db)).sort()).toEqual([draft.id, copy.id].sort());
  });

  test('marks set and cleared at the same time are not lost', async () => {
    await Promise.all([markDraftPending(db, 'a'), markDraftPending(db, 'b'), markDraftPending(db, 'c')]);
    await Promise.all([clearPendingDrafts(db, ['a']), markDraftPending(db, 'd')]);
    expect((await pendingDraftIds(db)).sort()).toEqual(['b', 'c', 'd']);
  });
});

describe('the drafts conflict handler', () => {
  test('two replicas editing one draft offline converge on both edits, whichever push the server took first', async () => {
    const server = readyDoc();
    const a = readyDoc();
    const b = readyDoc();
    setValue(a, null, text('from A'));
    setEnabled(b, null, false);
    upsertSegmentOverride(b, '8', { enabled: true, value: text('b'), multivariateWeights: {} });

    // A's push is taken as sent; B's arrives assuming the old state: the server merges and answers its master.
    Y.applyUpdate(server, Y.encodeStateAsUpdate(a));
    Y.applyUpdate(server, Y.encodeStateAsUpdate(b));
    const master = draftWith(server, { seq: 3 });
    // B typed once more while its push was in flight.
    setValue(b, '8', text('b2'));
    const resolvedB = await draftConflictHandler.resolve({ realMasterState: master, newDocumentState: draftWith(b, { seq: 1, updatedAt: 't9' }) }, 'test');
    expect(draftConflictHandler.isEqual(resolvedB, master, 'test')).toBe(false);
    // A learns the merged master when it pulls; the last in-flight edit of B reaches it on B's next push.
    Y.applyUpdate(server, base64ToBytes(resolvedB.state));
    const resolvedA = await draftConflictHandler.resolve({ realMasterState: draftWith(server, { seq: 4 }), newDocumentState: draftWith(a) }, 'test');

    const expected = { enabled: false, value: text('from A') };
    expect(resolvedB.content.environmentDefault).toMatchObject(expected);
    expect((resolvedB.content as VersionContent).segmentOverrides['8']).toMatchObject({ value: text('b2') });
    expect(resolvedA.content).toEqual(resolvedB.content);
    expect(resolvedA.state).toBe(draftWith(server, { seq: 4 }).state);
  });

  test('a master that already holds everything is taken as is; a silently deleted master wins', async () => {
    const doc = readyDoc();
    const master = draftWith(doc, { seq: 2 });
    expect(await draftConflictHandler.resolve({ realMasterState: master, newDocumentState: draftWith(doc) }, 'test')).toBe(master);
    const mine = readyDoc();
    setValue(mine, null, text('other'));
    const gone = { ...master, _deleted: true };
    expect(await draftConflictHandler.resolve({ realMasterState: gone, newDocumentState: draftWith(mine) }, 'test')).toBe(gone);
    expect(draftConflictHandler.isEqual(master, { ...master, updatedAt: 'later' }, 'test')).toBe(true);
    // What the server may change on its own is not missed: a base filled in, a description.
    expect(draftConflictHandler.isEqual(master, { ...master, baseVersionUuid: 'v-initial' }, 'test')).toBe(false);
    expect(draftConflictHandler.isEqual(master, { ...master, description: 'From the API' }, 'test')).toBe(false);
  });

  test('a refusal keeps the edits made here, with the refusal on the draft (never a silent loss)', async () => {
    const master = draftWith(readyDoc(), { seq: 2 });
    const mine = readyDoc();
    setValue(mine, null, text('mine, offline'));
    const local = draftWith(mine, { seq: 1 });
    // A segment it names was deleted meanwhile: the server's copy comes back with the refusal.
    const refused = { ...master, error: { code: 'VALIDATION_FAILED', message: 'Segment 8 does not exist.' } };
    const kept = await draftConflictHandler.resolve({ realMasterState: refused, newDocumentState: local }, 'test');
    expect(kept).toMatchObject({ state: local.state, content: local.content, error: refused.error, seq: 2, _deleted: false });
    expect(draftConflictHandler.isEqual(master, refused, 'test')).toBe(false);
    // Published meanwhile: the server answers the draft deleted, with why; the edits stay here.
    const published = { ...local, _deleted: true, error: { code: 'PRECONDITION_FAILED', message: 'Version x was published (published).' } };
    const keptToo = await draftConflictHandler.resolve({ realMasterState: published, newDocumentState: local }, 'test');
    expect(keptToo).toMatchObject({ _deleted: false, state: local.state, error: published.error });
  });
});

// Every replica's copy of the draft comes from the one the server created.
const seed = createDraftDoc(content('Hello'));
function readyDoc(): Y.Doc {
  return loadDraftDoc(Y.encodeStateAsUpdate(seed));
}

describe('client-made ids', () => {
  test('are v4 uuids also where crypto.randomUUID is missing (plain http)', () => {
    const randomUUID = crypto.randomUUID;
    try {
      Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
      const ids = new Set(Array.from({ length: 50 }, () => newUuid()));
      expect(ids.size).toBe(50);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: randomUUID, configurable: true });
    }
  });
});
