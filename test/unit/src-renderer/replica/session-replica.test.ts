import { describe, expect, test } from 'vitest';
import type { RxStorage } from 'rxdb';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { AppServices, ReplicaSetup } from '../../../../src-renderer/app/app-services.js';
import { createDashboardStore } from '../../../../src-renderer/app/dashboard.store.js';
import { restoreSession, signIn, signOut, unsyncedChanges } from '../../../../src-renderer/app/session-actions.js';
import { createFakeAdminApi } from '../../../support/admin-api.fake.js';
import { createFakeApiClient, type FakeApiData } from '../../../../src-renderer/data/api-client.fake.js';
import { createMemoryTokenStore } from '../../../../src-renderer/data/token-store.js';
import { createReplicaSlot, type Replica } from '../../../../src-renderer/replica/replica.js';
import { createReplicaDatabase, replicaName } from '../../../../src-renderer/replica/replica-db.js';

/*
 * The replica's lifecycle in the session actions (issue 6): opened after sign-in and after a restored
 * session, closed on sign-out, never in the way of signing in. The sync endpoints answer through the
 * injected fetch: unreachable (the replica opens offline) or 401 (the session is over).
 */

const DATA: FakeApiData = {
  user: { id: 7, email: 'admin@example.com', password: 'a long password', first_name: '', last_name: '', uuid: 'u-7' } as FakeApiData['user'],
  organisations: [],
  projects: [],
  environments: [],
};
const ORIGIN = 'http://dashboard.test';
const unreachable = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;

function services(setup?: Partial<ReplicaSetup> | null): AppServices {
  const store = createDashboardStore();
  const replicaSetup = setup === null ? undefined : { storage: getRxStorageMemory(), serverOrigin: ORIGIN, baseUrl: ORIGIN, fetch: unreachable, ...setup };
  return {
    store, tokens: createMemoryTokenStore(), desktop: undefined, replicaSlot: createReplicaSlot(), admin: createFakeAdminApi(DATA), api: createFakeApiClient(DATA, () => store.getState().token),
    ...(replicaSetup ? { replicaSetup } : {}),
  };
}

async function replicaOf(s: AppServices): Promise<Replica> {
  for (let i = 0; i < 200; i++) {
    const replica = s.replicaSlot.getState().replica;
    if (replica) return replica;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no replica');
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe('the replica across the session', () => {
  test('sign-in opens the user’s replica of this server; sign-out closes it and empties the slot', async () => {
    const s = services();
    await signIn(s, DATA.user.email, 'a long password');
    const replica = await replicaOf(s);
    expect(replica.userId).toBe(7);
    expect(replica.db.name).toBe(replicaName(ORIGIN, 7));
    await until(() => replica.status.getState().connection === 'offline', 'offline');
    expect(replica.status.getState().lastError).toMatch(/could not be reached/);

    await signOut(s);
    expect(s.replicaSlot.getState().replica).toBeNull();
    expect(replica.db.closed).toBe(true);
    expect(s.store.getState().session.status).toBe('signedOut');
  });

  test('a restored session opens the replica too', async () => {
    const first = services();
    await signIn(first, DATA.user.email, 'a long password');
    const token = first.store.getState().token!;
    await signOut(first);
    // A new page load with a kept (still issued) token.
    const s = services();
    s.api = createFakeApiClient(DATA, () => s.store.getState().token, new Set([token]));
    await s.tokens.save(token);
    await restoreSession(s);
    expect(s.store.getState().session.status).toBe('signedIn');
    const replica = await replicaOf(s);
    expect(replica.userId).toBe(7);
    await signOut(s);
  });

  test('without a replica setup, or when the replica cannot open, signing in still works', async () => {
    const none = services(null);
    await signIn(none, DATA.user.email, 'a long password');
    expect(none.store.getState().session.status).toBe('signedIn');
    expect(none.replicaSlot.getState().replica).toBeNull();

    const broken = services({ storage: { name: 'broken', rxdbVersion: '17.6.0', createStorageInstance: () => Promise.reject(new Error('disk full')) } as unknown as RxStorage<unknown, unknown> });
    await signIn(broken, DATA.user.email, 'a long password');
    expect(broken.store.getState().session.status).toBe('signedIn');
    await new Promise((r) => setTimeout(r, 100));
    expect(broken.replicaSlot.getState().replica).toBeNull();
    await signOut(broken);
    expect(broken.store.getState().session.status).toBe('signedOut');
  });

  test('a 401 from the sync endpoints ends the session and keeps the replica (its waiting work goes out after the next sign-in)', async () => {
    const storage = getRxStorageMemory();
    const s = services({ storage, fetch: (() => Promise.resolve(new Response(JSON.stringify({ code: 'UNAUTHENTICATED', message: 'Invalid token.' }), { status: 401 }))) as typeof fetch });
    const opened: Replica[] = [];
    s.replicaSlot.subscribe(({ replica }) => replica && opened.push(replica));
    await signIn(s, DATA.user.email, 'a long password');
    await until(() => opened.length === 1, 'the replica');
    await opened[0]!.db.upsertLocal('marker', { kept: true });
    await until(() => s.store.getState().session.status === 'signedOut', 'signed out');
    const replica = opened[0]!;
    await until(() => s.replicaSlot.getState().replica === null && replica.db.closed, 'replica closed');
    const again = await createReplicaDatabase({ name: replicaName(ORIGIN, 7), storage });
    expect((await again.getLocal('marker'))?.get('kept')).toBe(true);
    await again.close();
  });

  test('signing out deletes the replica from this device; unsynced work is counted for the confirmation', async () => {
    const storage = getRxStorageMemory();
    const s = services({ storage });
    await signIn(s, DATA.user.email, 'a long password');
    const replica = await replicaOf(s);
    await replica.db.upsertLocal('marker', { kept: true });
    expect(unsyncedChanges(s)).toBe(0);
    replica.status.setState({ pendingDrafts: 1, pendingIntents: 2 });
    expect(unsyncedChanges(s)).toBe(3);
    await signOut(s);
    expect(unsyncedChanges(s)).toBe(0);
    const again = await createReplicaDatabase({ name: replicaName(ORIGIN, 7), storage });
    expect(await again.getLocal('marker')).toBeNull();
    await again.close();
  });
});
