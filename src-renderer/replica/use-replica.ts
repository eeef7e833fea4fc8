import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { Observable } from 'rxjs';
import { useAppServices } from '../app/app-services.js';
import type { Replica } from './replica.js';
import type { ReplicaDatabase } from './replica-db.js';
import type { SyncStatus } from './sync-status.js';

/** The running replica, or null before sign-in finished starting it. */
export function useReplica(): Replica | null {
  const { replicaSlot } = useAppServices();
  return useStore(replicaSlot, (s) => s.replica);
}

/** The sync status of the running replica (null without one). */
export function useSyncStatus(): SyncStatus | null {
  const replica = useReplica();
  const [status, setStatus] = useState<SyncStatus | null>(() => replica?.status.getState() ?? null);
  useEffect(() => {
    if (!replica) {
      setStatus(null);
      return;
    }
    setStatus(replica.status.getState());
    return replica.status.subscribe(setStatus);
  }, [replica]);
  return status;
}

/**
 * Live data from the replica: `query` builds an observable of the data from the database (an RxQuery's
 * `$`, possibly mapped), re-subscribed when `key` changes. Answers `undefined` only until the first
 * emission, which for data already in IndexedDB comes within a frame: screens show no spinner for it.
 */
export function useReplicaQuery<T>(key: string | null, query: (db: ReplicaDatabase, replica: Replica) => Observable<T>): T | undefined {
  const replica = useReplica();
  const [state, setState] = useState<{ key: string | null; value: T | undefined }>({ key: null, value: undefined });
  const fullKey = replica && key !== null ? key : null;
  useEffect(() => {
    if (!replica || fullKey === null) return;
    const subscription = query(replica.db, replica).subscribe({
      next: (value) => setState({ key: fullKey, value }),
      error: () => setState({ key: fullKey, value: undefined }),
    });
    return () => subscription.unsubscribe();
    // `query` is a new closure every render; `key` says when the data it reads changes.
  }, [replica, fullKey]);
  return state.key === fullKey ? state.value : undefined;
}
