import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ReplicaDatabase } from './replica-db.js';
import type { SyncStatusStore } from './sync-status.js';

/**
 * A signed-in user's running replica: the database, its replication against the server that served the
 * dashboard, and the sync status. Made by `startReplica` (replication.ts) after sign-in, closed on
 * sign-out. Screens read it through `useReplica()`.
 */
export interface Replica {
  readonly db: ReplicaDatabase;
  readonly status: SyncStatusStore;
  /** The signed-in user (author of local drafts and intents). */
  readonly userId: number;
  /** Resolves once every collection finished its first pull (immediately when it already has). */
  awaitInitialReplication(): Promise<void>;
  /** Resolves once local writes are pushed and the last pull is done (rejects while offline). */
  awaitInSync(): Promise<void>;
  /** Asks every collection to push and pull now (after a local write, or "Retry now"). */
  reSync(): void;
  /**
   * Stops replication and closes the database: its data stays on disk for the next session, or with
   * `remove` is deleted from the device (every collection, its local documents and replication state).
   */
  close(options?: { remove?: boolean }): Promise<void>;
}

/** Holds the current replica so screens re-render when it appears or goes (sign-in, sign-out). */
export type ReplicaSlot = StoreApi<{ replica: Replica | null }>;

export function createReplicaSlot(): ReplicaSlot {
  return createStore<{ replica: Replica | null }>()(() => ({ replica: null }));
}
