import { Observable, combineLatest, map, type Subscription } from 'rxjs';
import type { MangoQuerySelector, RxCollection } from 'rxdb';
import type { DraftDoc, IntentDoc, VersionDoc } from '../../src-shared/contracts/sync/documents.js';
import type { ReplicaDatabase } from './replica-db.js';
import { dismissedIntentIds$ } from './intents.js';
import { pendingDraftIds$ } from './pending-drafts.js';
import type { SyncStatus, SyncStatusStore } from './sync-status.js';

/*
 * The indicator's counts, kept up to date from the replica. Each count follows the documents that match
 * a predicate: one query at the start, then every change event of the collection adds or drops the
 * document. Re-running queries instead would rescan all versions after each pulled batch (the change
 * buffer overflows on 1000-document batches), which the initial replication of a large project feels.
 */

export const isPendingIntent = (d: Pick<IntentDoc, 'status'>) => d.status === 'pending';
export const isConflictingIntent = (d: Pick<IntentDoc, 'status'>) => d.status === 'conflict';
/** A draft push the server refused (its `error`); the user decides what to do with it. */
export const isRefusedDraft = (d: Pick<DraftDoc, 'error'>) => d.error !== null && d.error !== undefined;
/** A scheduled version that conflicted with a newer one when it was due to go live (D8). */
export const isConflictingVersion = (d: Pick<VersionDoc, 'status'>) => d.status === 'conflict';

export interface TrackedChange<T> {
  documentId: string;
  documentData: T & { _deleted?: boolean };
}

/** Applies one change to the ids matching `matches` (a deleted document never matches). */
export function applyChange<T>(ids: Set<string>, change: TrackedChange<T>, matches: (doc: T) => boolean): void {
  if (!change.documentData._deleted && matches(change.documentData)) ids.add(change.documentId);
  else ids.delete(change.documentId);
}

export interface CountInputs {
  pendingDraftIds: readonly string[];
  intents: { pending: number; conflict: number };
  refusedDrafts: number;
  conflictingVersions: number;
}

export function syncCounts(i: CountInputs): Pick<SyncStatus, 'pendingDrafts' | 'pendingIntents' | 'conflicts'> {
  return {
    pendingDrafts: new Set(i.pendingDraftIds).size,
    pendingIntents: i.intents.pending,
    conflicts: i.refusedDrafts + i.intents.conflict + i.conflictingVersions,
  };
}

/** The ids of the collection's documents matching `matches`, emitted at the start and after each change. */
function matchingIds<T>(collection: RxCollection<T>, selector: MangoQuerySelector<T>, matches: (doc: T) => boolean): Observable<Set<string>> {
  return new Observable<Set<string>>((subscriber) => {
    const ids = new Set<string>();
    let buffered: TrackedChange<T>[] | null = [];
    // Subscribe before querying so no change is lost; replaying a change already in the result is harmless.
    const changes = collection.$.subscribe((change) => {
      if (buffered) buffered.push(change);
      else {
        const had = ids.has(change.documentId);
        applyChange(ids, change, matches);
        if (had !== ids.has(change.documentId)) subscriber.next(ids);
      }
    });
    collection
      .find({ selector })
      .exec()
      .then((docs) => {
        for (const doc of docs) if (matches(doc.toJSON() as T)) ids.add(doc.primary);
        for (const change of buffered ?? []) applyChange(ids, change, matches);
        buffered = null;
        subscriber.next(ids);
      })
      .catch((error: unknown) => subscriber.error(error));
    return () => changes.unsubscribe();
  });
}

/** Keeps `pendingDrafts`, `pendingIntents` and `conflicts` of the status current until unsubscribed. */
export function watchSyncCounts(db: ReplicaDatabase, status: SyncStatusStore): Subscription {
  const pendingIds$ = pendingDraftIds$(db).pipe(map((doc) => (doc?.get('ids') as string[] | undefined) ?? []));
  const pendingIntents$ = matchingIds(db.intents, { status: 'pending' }, isPendingIntent);
  const conflictIntents$ = matchingIds(db.intents, { status: 'conflict' }, isConflictingIntent);
  const refusedDrafts$ = matchingIds(db.drafts, {}, isRefusedDraft);
  // A conflict the user dismissed from the outbox (intents.ts) no longer counts.
  const unseenConflictIntents$ = combineLatest([conflictIntents$, dismissedIntentIds$(db)]).pipe(map(([ids, dismissed]) => [...ids].filter((id) => !dismissed.includes(id)).length));
  // A conflicted scheduled version counts until the user dismisses it in the outbox, which lists the same
  // ones: a later publish by someone else must not make it vanish from the header unseen (issue 12 §3).
  const unresolvedVersions$ = combineLatest([matchingIds(db.versions, { status: 'conflict' }, isConflictingVersion), dismissedIntentIds$(db)]).pipe(
    map(([ids, dismissed]) => [...ids].filter((id) => !dismissed.includes(id)).length),
  );
  return combineLatest([pendingIds$, pendingIntents$, unseenConflictIntents$, refusedDrafts$, unresolvedVersions$]).subscribe({
    next: ([pendingDraftIds, pending, conflictIntents, refused, conflictingVersions]) => {
      const counts = syncCounts({ pendingDraftIds, intents: { pending: pending.size, conflict: conflictIntents }, refusedDrafts: refused.size, conflictingVersions });
      const now = status.getState();
      if (now.pendingDrafts !== counts.pendingDrafts || now.pendingIntents !== counts.pendingIntents || now.conflicts !== counts.conflicts) status.setState(counts);
    },
    error: (error: unknown) => status.setState({ lastError: `The sync counts could not be read (${error instanceof Error ? error.message : String(error)}).` }),
  });
}
