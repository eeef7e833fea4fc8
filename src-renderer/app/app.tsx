import { useEffect, useState } from 'react';
import { AppServicesContext, type AppServices } from './app-services.js';
import { restoreSession, signOut, unsyncedChanges } from './session-actions.js';
import { bindHashRoute } from './hash-route.js';
import { onSignOutRequested } from '../bridge/desktop-bridge.js';
import { SignInPage } from '../features/sign-in/sign-in-page.js';
import { Navigator } from '../features/navigator/navigator.js';
import { ErrorBoundary } from '../ui/error-boundary.js';
import { SyncIndicator } from '../features/sync/sync-indicator.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';

/** The dashboard shell: restores the session, then shows the sign-in form or the navigator. */
export function App({ services }: { services: AppServices }) {
  const session = services.store((s) => s.session);
  /** Changes not yet on the server when the user asked to sign out (null: not asking). */
  const [unsyncedAtSignOut, setUnsyncedAtSignOut] = useState<number | null>(null);

  // Signing out deletes the local replica; work that has not reached the server is confirmed first.
  function requestSignOut() {
    const unsynced = unsyncedChanges(services);
    if (unsynced > 0) setUnsyncedAtSignOut(unsynced);
    else void signOut(services);
  }

  useEffect(() => bindHashRoute(services.store, window), [services]);

  useEffect(() => {
    void restoreSession(services);
    return onSignOutRequested(services.desktop, requestSignOut);
  }, [services]);

  // Ctrl+K / ⌘K opens the command palette from anywhere once signed in.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.key.toLowerCase() !== 'k' || !(event.ctrlKey || event.metaKey) || event.altKey) return;
      if (services.store.getState().session.status !== 'signedIn') return;
      event.preventDefault();
      services.store.getState().setPaletteOpen(!services.store.getState().isPaletteOpen);
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [services]);

  return (
    <AppServicesContext.Provider value={services}>
      {session.status === 'restoring' && (
        <p role="status" className="splash">
          Loading Flagdesk…
        </p>
      )}
      {session.status === 'signedOut' && <SignInPage />}
      {session.status === 'signedIn' && (
        <>
          <header className="app-header">
            <span className="brand">Flagdesk</span>
            <button type="button" className="palette-button" aria-keyshortcuts="Control+K" onClick={() => services.store.getState().setPaletteOpen(true)}>
              <span>Go to…</span>
              <kbd>Ctrl K</kbd>
            </button>
            <SyncIndicator />
            <span className="user">{session.user.email}</span>
            <button type="button" onClick={requestSignOut}>
              Sign out
            </button>
          </header>
          <main>
            <ErrorBoundary feature="the navigator">
              <Navigator />
            </ErrorBoundary>
          </main>
          {unsyncedAtSignOut !== null && (
            <ConfirmDialog
              title="Sign out with changes not on the server?"
              confirmLabel="Sign out and delete them"
              isDestructive
              onConfirm={async () => {
                setUnsyncedAtSignOut(null);
                await signOut(services);
              }}
              onCancel={() => setUnsyncedAtSignOut(null)}
            >
              {unsyncedAtSignOut === 1 ? 'One change has' : `${unsyncedAtSignOut} changes have`} not reached the server yet (drafts or queued publishes).
              Signing out deletes this device’s copy of your flags, and these changes with it. Stay signed in and they are sent when the server
              can be reached.
            </ConfirmDialog>
          )}
        </>
      )}
    </AppServicesContext.Provider>
  );
}
