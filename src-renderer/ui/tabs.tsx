import { useRef, type KeyboardEvent } from 'react';

export interface TabItem<K extends string> {
  key: K;
  label: string;
}

interface Props<K extends string> {
  label: string;
  items: TabItem<K>[];
  selected: K;
  onSelect(key: K): void;
  /** Id prefix; the panel of tab `k` has id `${idPrefix}-panel-${k}`. */
  idPrefix: string;
}

/** A tab list with the ARIA keyboard pattern: arrows and Home/End move and select. */
export function Tabs<K extends string>({ label, items, selected, onSelect, idPrefix }: Props<K>) {
  const refs = useRef(new Map<K, HTMLButtonElement>());
  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = items.findIndex((i) => i.key === selected);
    const next =
      event.key === 'ArrowRight' ? (index + 1) % items.length : event.key === 'ArrowLeft' ? (index - 1 + items.length) % items.length : event.key === 'Home' ? 0 : event.key === 'End' ? items.length - 1 : -1;
    if (next === -1) return;
    event.preventDefault();
    const item = items[next]!;
    onSelect(item.key);
    refs.current.get(item.key)?.focus();
  }
  return (
    <div role="tablist" aria-label={label} className="tabs" onKeyDown={onKeyDown}>
      {items.map((item) => (
        <button
          key={item.key}
          ref={(el) => {
            if (el) refs.current.set(item.key, el);
            else refs.current.delete(item.key);
          }}
          type="button"
          role="tab"
          id={`${idPrefix}-tab-${item.key}`}
          aria-selected={item.key === selected}
          aria-controls={`${idPrefix}-panel-${item.key}`}
          tabIndex={item.key === selected ? 0 : -1}
          onClick={() => onSelect(item.key)}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
