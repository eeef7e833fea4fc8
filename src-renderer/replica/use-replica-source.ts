import { useEffect, useState } from 'react';
import type { Observable } from 'rxjs';
import { useResource, type Resource } from '../ui/use-resource.js';
import type { Replica } from './replica.js';
import type { ReplicaDatabase } from './replica-db.js';
import { useReplica, useReplicaQuery, useSyncStatus } from './use-replica.js';

/**
 * The running replica once its first replication has finished, else null. Screens read the replica only
 * then: while it is still filling, the REST API answers completely (issue 6: no spinner for data already
 * in the replica, and no half-filled lists either).
 */
export function useReadyReplica(): Replica | null {
  const replica = useReplica();
  const status = useSyncStatus();
  return replica && status?.initial?.finished ? replica : null;
}

/**
 * One screen's data from the replica (live: a replicated change re-renders) once it is ready, else from
 * the REST API as before, in the same `Resource` shape so both share the rendering. A null `local.key`
 * means the replica does not hold this data (e.g. v1 feature states): the API answers then. The last
 * data shown stays as `stale` while the other source or a new key starts, so switching does not flash
 * a spinner.
 */
export function useReplicaOrRest<T>(
  rest: { key: string | null; load: () => Promise<T> },
  local: { key: string | null; query: (db: ReplicaDatabase, replica: Replica) => Observable<T> },
): Resource<T> & { isFromReplica: boolean } {
  const ready = useReadyReplica();
  const isLocal = ready !== null && local.key !== null;
  const fromRest = useResource(isLocal ? null : rest.key, rest.load);
  const fromReplica = useReplicaQuery(isLocal ? local.key : null, local.query);
  const [last, setLast] = useState<T | undefined>(undefined);
  const current = isLocal ? fromReplica : fromRest.status === 'ready' ? fromRest.data : undefined;
  useEffect(() => {
    if (current !== undefined) setLast(current);
  }, [current]);

  if (!isLocal) return { ...fromRest, isFromReplica: false };
  if (fromReplica !== undefined) return { status: 'ready', data: fromReplica, isFromReplica: true };
  return last === undefined ? { status: 'loading', isFromReplica: true } : { status: 'loading', stale: last, isFromReplica: true };
}
