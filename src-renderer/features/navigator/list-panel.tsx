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
  /** A button in the heading and in the empty state that creates an item (e.g. "New project"). */
  create?: { label: string; onClick(): void };
  /** A settings button per item (rename, delete …), labelled "<editLabel> <item>". */
  edit?: { label: string; onClick(item: T): void };
}

/** One level of the navigator: a labelled region with a list of selectable items (kept while reloading). */
export function ListPanel<T>({ title, resource, emptyText, keyOf, labelOf, selectedKey, onSelect, create, edit }: Props<T>) {
  const id = useId();
  const items = resource.status === 'ready' ? resource.data : resource.status === 'loading' ? resource.stale : undefined;
  return (
    <section className="list-panel" aria-labelledby={id}>
      <div className="list-head">
        <h2 id={id}>{title}</h2>
        {create && (
          <button type="button" className="quiet add" aria-label={create.label} title={create.label} onClick={create.onClick}>
            +
          </button>
        )}
      </div>
      {items === undefined && resource.status === 'loading' && <p role="status">Loading…</p>}
      {resource.status === 'failed' && (
        <p role="alert" className="error">
          {describeError(resource.error)}
        </p>
      )}
      {items !== undefined && items.length === 0 && (
        <div className="list-empty">
          <p className="muted">{emptyText}</p>
          {create && (
            <button type="button" className="primary" onClick={create.onClick}>
              {create.label}
            </button>
          )}
        </div>
      )}
      {items !== undefined && items.length > 0 && (
        <ul>
          {items.map((item) => (
            <li key={keyOf(item)} className={edit ? 'with-edit' : undefined}>
              <button type="button" aria-pressed={keyOf(item) === selectedKey} onClick={() => onSelect(item)} title={labelOf(item)}>
                {labelOf(item)}
              </button>
              {edit && (
                <button type="button" className="quiet edit" aria-label={`${edit.label} ${labelOf(item)}`} title={`${edit.label} ${labelOf(item)}`} onClick={() => edit.onClick(item)}>
                  ⚙
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
