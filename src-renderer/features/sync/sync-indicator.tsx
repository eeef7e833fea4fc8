import { useState } from 'react';
import type { SyncStatus } from '../../replica/sync-status.js';
import { useReplica, useSyncStatus } from '../../replica/use-replica.js';
import { OutboxPanel } from './outbox-panel.js';

const CONNECTION_TEXT: Record<SyncStatus['connection'], string> = { online: 'Online', offline: 'Offline', connecting: 'Connecting…' };

/** "N pending" (drafts and intents not yet sent) and "N conflicts", only when non-zero (the agreed labels, kept as is). */
export function syncBadges(status: Pick<SyncStatus, 'pendingDrafts' | 'pendingIntents' | 'conflicts'>): string[] {
  const pending = status.pendingDrafts + status.pendingIntents;
  return [...(pending > 0 ? [`${pending} pending`] : []), ...(status.conflicts > 0 ? [`${status.conflicts} conflicts`] : [])];
}

/**
 * The header's sync indicator (issue 6): whether the server is reachable, what waits to be sent, and
 * conflicts that need the user, e.g. "Offline · 2 pending". It opens the outbox panel. Hidden without
 * a replica (before sign-in finished starting it).
 */
export function SyncIndicator() {
  const replica = useReplica();
  const status = useSyncStatus();
  const [isOpen, setOpen] = useState(false);
  if (!replica || !status) return null;
  const badges = syncBadges(status);
  return (
    <>
      <button
        type="button"
        aria-label="Sync status"
        aria-haspopup="dialog"
        aria-expanded={isOpen}
        className={`sync-indicator sync-${status.connection}`}
        // For tests and styling: whether the replica's first replication is still running.
        data-initial-replication={status.initial?.finished ? 'finished' : 'running'}
        title={status.lastError ?? (status.lastSyncedAt ? `Last synced ${status.lastSyncedAt}` : undefined)}
        onClick={() => setOpen((open) => !open)}
      >
        <span className="sync-dot" aria-hidden="true" />
        <span className="sync-connection">{CONNECTION_TEXT[status.connection]}</span>
        {badges.map((badge) => (
          <span key={badge} className={`sync-badge ${badge.endsWith('pending') ? 'pending' : 'conflicts'}`}>
            {' · '}
            {badge}
          </span>
        ))}
      </button>
      {isOpen && <OutboxPanel onClose={() => setOpen(false)} />}
    </>
  );
}
