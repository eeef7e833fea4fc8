import { useId, type ReactNode } from 'react';
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
  children?: ReactNode;
}

/** One column of the navigator: a labelled region with a list of selectable items. */
export function ListPanel<T>({ title, resource, emptyText, keyOf, labelOf, selectedKey, onSelect }: Props<T>) {
  const id = useId();
  return (
    <section className="panel list-panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {resource.status === 'loading' && <p role="status">Loading…</p>}
      {resource.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(resource.error)}
        </p>
      )}
      {resource.status === 'ready' && resource.data.length === 0 && <p>{emptyText}</p>}
      {resource.status === 'ready' && resource.data.length > 0 && (
        <ul>
          {resource.data.map((item) => (
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
