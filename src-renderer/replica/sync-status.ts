import { createStore, type StoreApi } from 'zustand/vanilla';

/*
 * What the sync indicator shows (issue 6): whether the server is reachable, what waits to be sent, and
 * what came back needing the user. The replication (replication.ts) writes `connection`, `lastError`,
 * `lastSyncedAt`, `initial`; the pending and conflict counts follow the replica's collections
 * (sync-status-counts.ts): drafts marked pending, intents still `pending`; conflicts are drafts with an
 * `error`, intents answered `conflict` and scheduled versions that went `conflict`. A draft merely behind
 * the live version is not counted: the feature page shows it (local-drafts.ts `isDraftStale`).
 */
export type Connection = 'connecting' | 'online' | 'offline';

export interface SyncStatus {
  connection: Connection;
  /** First pull of every collection: null before it starts; done/total collections while it runs. */
  initial: { done: number; total: number; finished: boolean } | null;
  pendingDrafts: number;
  pendingIntents: number;
  conflicts: number;
  lastSyncedAt: string | null;
  lastError: string | null;
}

export type SyncStatusStore = StoreApi<SyncStatus>;

export function createSyncStatusStore(): SyncStatusStore {
  return createStore<SyncStatus>()(() => ({
    connection: 'connecting',
    initial: null,
    pendingDrafts: 0,
    pendingIntents: 0,
    conflicts: 0,
    lastSyncedAt: null,
    lastError: null,
  }));
}
