import { Observable, auditTime, combineLatest, filter, from, map, of, startWith, switchMap, type Subscription } from 'rxjs';
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

/**
 * A conflicted scheduled version needs the user until a version of the same feature and environment is
 * published after it conflicted (its author resolved it, or someone else published over it), or a new
 * schedule replaces it (a rebased change request schedules a new version and leaves the conflicted one).
 */
export function isUnresolvedVersionConflict(conflict: Pick<VersionDoc, 'updatedAt'>, sameFeature: readonly Pick<VersionDoc, 'status' | 'publishedAt' | 'updatedAt'>[]): boolean {
  return !sameFeature.some(
    (v) => (v.status === 'published' && v.publishedAt !== null && v.publishedAt > conflict.updatedAt) || (v.status === 'scheduled' && v.updatedAt > conflict.updatedAt),
  );
}

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

async function countUnresolvedVersionConflicts(db: ReplicaDatabase, ids: ReadonlySet<string>): Promise<number> {
  let count = 0;
  for (const id of ids) {
    const conflict = (await db.versions.findOne(id).exec())?.toJSON() as VersionDoc | undefined;
    if (!conflict) continue;
    const sameFeature = await db.versions.find({ selector: { environmentId: conflict.environmentId, featureId: conflict.featureId } }).exec();
    if (isUnresolvedVersionConflict(conflict, sameFeature.map((d) => d.toJSON() as VersionDoc))) count++;
  }
  return count;
}

/** Keeps `pendingDrafts`, `pendingIntents` and `conflicts` of the status current until unsubscribed. */
export function watchSyncCounts(db: ReplicaDatabase, status: SyncStatusStore): Subscription {
  const pendingIds$ = pendingDraftIds$(db).pipe(map((doc) => (doc?.get('ids') as string[] | undefined) ?? []));
  const pendingIntents$ = matchingIds(db.intents, { status: 'pending' }, isPendingIntent);
  const conflictIntents$ = matchingIds(db.intents, { status: 'conflict' }, isConflictingIntent);
  const refusedDrafts$ = matchingIds(db.drafts, {}, isRefusedDraft);
  // A conflict the user dismissed from the outbox (intents.ts) no longer counts.
  const unseenConflictIntents$ = combineLatest([conflictIntents$, dismissedIntentIds$(db)]).pipe(map(([ids, dismissed]) => [...ids].filter((id) => !dismissed.includes(id)).length));
  // Re-checked when a version is published or scheduled; coalesced, since a pull writes versions by the thousand.
  const publishes$ = db.versions.$.pipe(
    filter((change) => change.documentData.status === 'published' || change.documentData.status === 'scheduled'),
    startWith(null),
  );
  const unresolvedVersions$ = combineLatest([matchingIds(db.versions, { status: 'conflict' }, isConflictingVersion), publishes$]).pipe(
    auditTime(100),
    switchMap(([ids]) => (ids.size === 0 ? of(0) : from(countUnresolvedVersionConflicts(db, ids)))),
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
