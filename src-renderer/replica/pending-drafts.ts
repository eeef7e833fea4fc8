import type { ReplicaDatabase } from './replica-db.js';

/*
 * Drafts edited on this replica and not yet taken by the server, kept in a local document so the list
 * survives a reload while offline. The draft editor marks a draft after each local write; replication.ts
 * clears a mark once RxDB says the draft's current state reached the server (awaitDocumentPushed), so a
 * mark set while a push was already running is not lost.
 */
const PENDING_DRAFTS = 'pending-drafts';

export async function pendingDraftIds(db: ReplicaDatabase): Promise<string[]> {
  const doc = await db.getLocal<{ ids: string[] }>(PENDING_DRAFTS);
  return doc?.get('ids') ?? [];
}

/**
 * Marks are read, changed and written back; two of those running at once would lose one change (a mark
 * set while another is cleared). So every change to the list of a database runs after the previous one.
 */
const queues = new WeakMap<ReplicaDatabase, Promise<unknown>>();
function serially<T>(db: ReplicaDatabase, change: () => Promise<T>): Promise<T> {
  const next = (queues.get(db) ?? Promise.resolve()).then(change, change);
  queues.set(db, next.catch(() => undefined));
  return next;
}

export function markDraftPending(db: ReplicaDatabase, id: string): Promise<void> {
  return serially(db, async () => {
    const ids = await pendingDraftIds(db);
    if (!ids.includes(id)) await db.upsertLocal(PENDING_DRAFTS, { ids: [...ids, id] });
  });
}

export function clearPendingDrafts(db: ReplicaDatabase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  return serially(db, async () => {
    const gone = new Set(ids);
    const current = await pendingDraftIds(db);
    const left = current.filter((id) => !gone.has(id));
    if (left.length !== current.length) await db.upsertLocal(PENDING_DRAFTS, { ids: left });
  });
}

/** Emits the pending ids now and after every change. */
export function pendingDraftIds$(db: ReplicaDatabase) {
  return db.getLocal$<{ ids: string[] }>(PENDING_DRAFTS);
}
