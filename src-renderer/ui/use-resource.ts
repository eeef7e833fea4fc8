import { useEffect, useState } from 'react';

/** Data being loaded for a key. While loading, `stale` holds the data of the previous key, if any. */
export type Resource<T> = { status: 'loading'; stale?: T } | { status: 'ready'; data: T } | { status: 'failed'; error: unknown };

/** Loads data when `key` changes (null: nothing to load); answers that arrive after the key changed are dropped. */
export function useResource<T>(key: string | null, load: () => Promise<T>): Resource<T> {
  const [state, setState] = useState<{ key: string | null; resource: Resource<T>; last?: T }>({ key, resource: { status: 'loading' } });
  useEffect(() => {
    if (key === null) return;
    let isCurrent = true;
    setState((previous) => ({ ...previous, key, resource: previous.last === undefined ? { status: 'loading' } : { status: 'loading', stale: previous.last } }));
    load().then(
      (data) => isCurrent && setState({ key, resource: { status: 'ready', data }, last: data }),
      (error: unknown) => isCurrent && setState((previous) => ({ ...previous, key, resource: { status: 'failed', error } })),
    );
    return () => {
      isCurrent = false;
    };
    // `load` is a new closure every render; `key` says when the data it loads changes.
  }, [key]);
  if (state.key === key) return state.resource;
  return state.last === undefined ? { status: 'loading' } : { status: 'loading', stale: state.last };
}
