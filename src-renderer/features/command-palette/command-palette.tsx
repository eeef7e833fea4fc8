import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment } from '../../data/api-client.js';
import { loadJumpTargets } from '../../data/project-data.js';
import { describeError } from '../../ui/error-text.js';
import { useReplicaOrRest } from '../../replica/use-replica-source.js';
import { jumpTargets$ } from '../../replica/replica-queries.js';

interface Command {
  id: string;
  label: string;
  kind: 'Feature' | 'Environment' | 'Project' | 'Screen';
  run(): void;
}

/** Ranks a label against the query: prefix beats word start beats substring; -1 when it does not match. */
function rank(label: string, query: string): number {
  if (query === '') return 1;
  const l = label.toLowerCase();
  const q = query.toLowerCase();
  if (l.startsWith(q)) return 3;
  if (l.split(/[\s_\-.]/).some((w) => w.startsWith(q))) return 2;
  return l.includes(q) ? 1 : -1;
}

/**
 * Ctrl+K / ⌘K: jump to any feature, environment or project of the current organisation, or to a
 * screen. Arrows move, Enter opens, Escape closes.
 */
export function CommandPalette({ environment }: { environment: Environment | undefined }) {
  const { api, store } = useAppServices();
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const selection = store((s) => s.selection);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const key = `palette:${selection.organisationId}:${selection.projectId}:${environment?.id}`;
  const targets = useReplicaOrRest(
    { key, load: () => loadJumpTargets(api, selection.organisationId, selection.projectId, environment) },
    { key, query: (db) => jumpTargets$(db, selection.organisationId, selection.projectId, environment) },
  );
  const close = () => store.getState().setPaletteOpen(false);

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    inputRef.current?.focus();
    return () => previous?.focus?.();
  }, []);

  const commands = useMemo((): Command[] => {
    if (targets.status !== 'ready') return [];
    const s = store.getState();
    const all: Command[] = [
      ...targets.data.features.map((f) => ({ id: `f${f.id}`, label: f.name, kind: 'Feature' as const, run: () => s.openFeature(f.id) })),
      ...targets.data.environments.map((e) => ({ id: `e${e.id}`, label: e.name, kind: 'Environment' as const, run: () => s.selectEnvironment(e.api_key) })),
      ...targets.data.projects.map((p) => ({ id: `p${p.id}`, label: p.name, kind: 'Project' as const, run: () => s.selectProject(p.id) })),
      ...(environment
        ? [
            { id: 'sf', label: 'Features', kind: 'Screen' as const, run: () => s.openScreen('features') },
            { id: 'sc', label: 'Change requests', kind: 'Screen' as const, run: () => s.openScreen('change-requests') },
            { id: 'sg', label: 'Segments', kind: 'Screen' as const, run: () => s.openScreen('segments') },
            { id: 'ss', label: 'Settings', kind: 'Screen' as const, run: () => s.openScreen('settings') },
            { id: 'sw', label: 'Webhooks', kind: 'Screen' as const, run: () => s.openScreen('webhooks') },
            { id: 'sa', label: 'Audit log', kind: 'Screen' as const, run: () => s.openScreen('audit') },
          ]
        : []),
    ];
    const q = query.trim();
    return all
      .map((c, i) => ({ c, r: rank(c.label, q), i }))
      .filter((x) => x.r >= 0)
      .sort((a, b) => b.r - a.r || a.i - b.i)
      .slice(0, 50)
      .map((x) => x.c);
  }, [targets, query, environment, store]);

  const shown = Math.min(active, Math.max(commands.length - 1, 0));
  const activeId = commands[shown] ? `${id}-${commands[shown].id}` : undefined;
  // Keep the highlighted result visible while moving with the arrows.
  useEffect(() => {
    if (activeId) document.getElementById(activeId)?.scrollIntoView?.({ block: 'nearest' });
  }, [activeId]);
  function choose(command: Command | undefined) {
    if (!command) return;
    command.run();
    close();
  }

  return (
    <div className="backdrop palette-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div role="dialog" aria-modal="true" aria-label="Go to" className="dialog palette">
        <input
          ref={inputRef}
          role="combobox"
          aria-label="Go to feature, environment or screen"
          aria-expanded="true"
          aria-controls={`${id}-list`}
          aria-activedescendant={activeId}
          aria-autocomplete="list"
          placeholder="Go to a feature, environment, project or screen…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') setActive(Math.min(shown + 1, commands.length - 1));
            else if (e.key === 'ArrowUp') setActive(Math.max(shown - 1, 0));
            else if (e.key === 'Enter') choose(commands[shown]);
            else if (e.key === 'Escape') close();
            else return;
            e.preventDefault();
          }}
        />
        {targets.status === 'failed' && (
          <p role="alert" className="error">
            {describeError(targets.error)}
          </p>
        )}
        <ul role="listbox" id={`${id}-list`} aria-label="Results" className="palette-results">
          {commands.map((c, i) => (
            <li
              key={c.id}
              id={`${id}-${c.id}`}
              role="option"
              aria-selected={i === shown}
              onMouseMove={() => setActive(i)}
              onClick={() => choose(c)}
            >
              <span>{c.label}</span>
              <span className="muted kind">{c.kind}</span>
            </li>
          ))}
        </ul>
        {targets.status === 'ready' && commands.length === 0 && (
          <p role="status" className="muted palette-note">
            Nothing matches “{query}”.
          </p>
        )}
        {targets.status === 'loading' && (
          <p role="status" className="muted palette-note">
            Loading…
          </p>
        )}
      </div>
    </div>
  );
}
