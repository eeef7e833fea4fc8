import { ApiError, type CurrentUser } from '../data/api-client.js';
import { createReplicaDatabase, replicaName } from '../replica/replica-db.js';
import { startReplica } from '../replica/replication.js';
import { notifyIntentConflicts } from '../replica/intents.js';
import { notifyScheduledVersionConflicts } from '../replica/scheduled-conflicts.js';
import type { AppServices } from './app-services.js';
import type { FirstAdminBody } from '../data/admin-api.js';

/** The replica being opened per app, so signing out waits for it and then closes it. */
const opening = new WeakMap<AppServices, Promise<void>>();

/**
 * Opens the signed-in user's replica and starts its replication, in the background: sign-in never waits
 * for it, and if it cannot open (no IndexedDB, storage full) the screens keep reading the REST API.
 */
function openReplica(services: AppServices, user: CurrentUser): Promise<void> {
  const setup = services.replicaSetup;
  if (!setup || services.replicaSlot.getState().replica) return Promise.resolve();
  const open = (async () => {
    try {
      const db = await createReplicaDatabase({ name: replicaName(setup.serverOrigin, user.id), storage: setup.storage });
      let signingOut = false;
      const replica = startReplica({
        db,
        baseUrl: setup.baseUrl,
        fetch: setup.fetch,
        // Only this user's session token: never the one of a user who signed in after this one.
        getToken: () => {
          const state = services.store.getState();
          return state.session.status === 'signedIn' && state.session.user.id === user.id ? state.token : null;
        },
        userId: user.id,
        onUnauthenticated: () => {
          // The token was revoked (signed out elsewhere): the session is over here too.
          if (signingOut) return;
          signingOut = true;
          void signOut(services, { keepReplica: true });
        },
      });
      // In the desktop app, a queued publish that comes back as a conflict, or a scheduled change that
      // could not go live, raises a native notification. Both end with the database.
      if (services.desktop) {
        notifyIntentConflicts(db, services.desktop);
        notifyScheduledVersionConflicts(db, user.id, services.desktop);
      }
      services.replicaSlot.setState({ replica });
    } catch (error) {
      // Not fatal: the screens keep reading the server. Reported (devtools) without interrupting anything.
      globalThis.reportError?.(new Error('The local replica could not be opened; screens read the server directly.', { cause: error }));
    }
  })();
  opening.set(services, open);
  return open;
}

async function closeReplica(services: AppServices, forget: boolean): Promise<void> {
  await opening.get(services);
  opening.delete(services);
  const replica = services.replicaSlot.getState().replica;
  if (!replica) return;
  services.replicaSlot.setState({ replica: null });
  // A failed close or removal must not keep the user signed in.
  await replica.close({ remove: forget }).catch(() => undefined);
}

/** Local changes that have not reached the server: signing out deletes them with the replica. */
export function unsyncedChanges(services: AppServices): number {
  const status = services.replicaSlot.getState().replica?.status.getState();
  return status ? status.pendingDrafts + status.pendingIntents : 0;
}

/** Signs in with email and password, keeps the token, and loads the user. Throws ApiError on failure. */
export async function signIn(services: AppServices, email: string, password: string): Promise<void> {
  await startSession(services, await services.api.login({ email, password }));
}

/**
 * On a server without users: creates the first administrator with their organisation, then signs them in
 * (the server answers with their token). Throws ApiError, e.g. PRECONDITION_FAILED once someone else did.
 */
export async function signUpFirstAdmin(services: AppServices, body: FirstAdminBody): Promise<void> {
  const { key, organisation } = await services.admin.createFirstAdmin(body);
  await startSession(services, key);
  services.store.getState().selectOrganisation(organisation);
}

async function startSession(services: AppServices, token: string): Promise<void> {
  services.store.setState({ token });
  const user = await services.api.getCurrentUser();
  await services.tokens.save(token);
  await services.tokens.saveUser?.(JSON.stringify(user)).catch(() => undefined);
  services.store.getState().setSignedIn(token, user);
  void openReplica(services, user);
}

/** Resumes the kept session if its token is still valid; otherwise shows the sign-in form. */
export async function restoreSession(services: AppServices): Promise<void> {
  const token = await services.tokens.load().catch(() => null);
  if (!token) {
    services.store.getState().setSignedOut();
    return;
  }
  services.store.setState({ token });
  try {
    const user = await services.api.getCurrentUser();
    await services.tokens.saveUser?.(JSON.stringify(user)).catch(() => undefined);
    services.store.getState().setSignedIn(token, user);
    void openReplica(services, user);
  } catch (error) {
    // The server is away: the session opens on the replica as the user last seen with this token; the
    // replica checks the token when the server is back (a revoked one signs out then).
    const kept = error instanceof ApiError && error.code === 'NETWORK' ? await services.tokens.loadUser?.().catch(() => null) : null;
    if (kept) {
      const user = JSON.parse(kept) as Parameters<ReturnType<typeof services.store.getState>['setSignedIn']>[1];
      services.store.getState().setSignedIn(token, user);
      void openReplica(services, user);
      return;
    }
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') await services.tokens.clear().catch(() => undefined);
    services.store.getState().setSignedOut();
  }
}

/**
 * Revokes the token on the server (best effort: offline still signs out locally) and forgets it. The
 * user's replica is deleted from this device too (flag data does not outlive the session on a shared
 * machine), unless the session ended on its own (`keepReplica`: a token revoked elsewhere), when the
 * work waiting in it is pushed after the next sign-in.
 */
export async function signOut(services: AppServices, options: { keepReplica?: boolean } = {}): Promise<void> {
  // Stopped first, so no sync request goes out with the revoked token.
  await closeReplica(services, !options.keepReplica);
  await services.api.logout().catch(() => undefined);
  await services.tokens.clear().catch(() => undefined);
  services.store.getState().setSignedOut();
}
