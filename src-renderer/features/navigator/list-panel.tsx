import { useId } from 'react';
import type { Resource } from '../../ui/use-resource.js';
import { describeError } from '../../ui/error-text.js';

interface Props<T> {
  title: string;
  resource: Resource<T[]>;
  /** Shown when the list is empty. */
  emptyText: string;
  keyOf(item: T): string;
  labelOf(item: T): string;
  selectedKey: string | undefined;
  onSelect(item: T): void;
}

/** One level of the navigator: a labelled region with a list of selectable items (kept while reloading). */
export function ListPanel<T>({ title, resource, emptyText, keyOf, labelOf, selectedKey, onSelect }: Props<T>) {
  const id = useId();
  const items = resource.status === 'ready' ? resource.data : resource.status === 'loading' ? resource.stale : undefined;
  return (
    <section className="list-panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {items === undefined && resource.status === 'loading' && <p role="status">Loading…</p>}
      {resource.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(resource.error)}
        </p>
      )}
      {items !== undefined && items.length === 0 && <p className="muted">{emptyText}</p>}
      {items !== undefined && items.length > 0 && (
        <ul>
          {items.map((item) => (
            <li key={keyOf(item)}>
              <button type="button" aria-pressed={keyOf(item) === selectedKey} onClick={() => onSelect(item)}>
                {labelOf(item)}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
