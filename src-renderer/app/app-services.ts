import { createContext, useContext } from 'react';
import type { RxStorage } from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { createApiClient, createHttpCall, type ApiClient } from '../data/api-client.js';
import { createAdminApi, type AdminApi } from '../data/admin-api.js';
import { createWebTokenStore, type TokenStore } from '../data/token-store.js';
import { createDesktopTokenStore, getDesktopApi } from '../bridge/desktop-bridge.js';
import type { DesktopApi } from '../../src-shared/contracts/ipc/ipc-contract.js';
import { createDashboardStore, type DashboardStore } from './dashboard.store.js';
import { createReplicaSlot, type ReplicaSlot } from '../replica/replica.js';

/** Everything the screens use, created once per app (D10: the renderer's composition root). */
export interface AppServices {
  api: ApiClient;
  /** The administration calls of the day-one screens (projects, environments, features, members, keys, webhooks). */
  admin: AdminApi;
  tokens: TokenStore;
  store: DashboardStore;
  /** The local replica once signed in (replica/replica.ts); null before and after. */
  replicaSlot: ReplicaSlot;
  /** The desktop bridge inside Electron; undefined in the web dashboard. */
  desktop: DesktopApi | undefined;
  /** How to open the replica after sign-in; absent: no replica (component tests), screens read REST. */
  replicaSetup?: ReplicaSetup;
}

export interface ReplicaSetup {
  /** IndexedDB (Dexie) in the app; memory storage in tests. */
  storage: RxStorage<unknown, unknown>;
  /** The server's origin, which names the replica's database (`replicaName`). */
  serverOrigin: string;
  /** Origin of the sync endpoints; '' for the origin that served the page. */
  baseUrl: string;
  fetch: typeof fetch;
}

function safeLocalStorage(win: Window): Storage | undefined {
  try {
    return win.localStorage;
  } catch {
    // Storage disabled by the browser: keep the session in memory.
    return undefined;
  }
}

/**
 * Wires the app for the page it runs in. The dashboard always talks to the server that served it
 * (same origin), in the browser and in Electron alike.
 */
export function createAppServices(win: Window): AppServices {
  const store = createDashboardStore();
  const desktop = getDesktopApi(win);
  const tokens = desktop ? createDesktopTokenStore(desktop, win.location.origin) : createWebTokenStore(safeLocalStorage(win));
  const http = { baseUrl: '', fetch: win.fetch.bind(win), getToken: () => store.getState().token };
  const api = createApiClient(http);
  const admin = createAdminApi(createHttpCall(http));
  const replicaSlot = createReplicaSlot();
  const replicaSetup = win.indexedDB ? { storage: getRxStorageDexie(), serverOrigin: win.location.origin, baseUrl: '', fetch: win.fetch.bind(win) } : undefined;
  exposeSyncStatus(win, replicaSlot);
  return { api, admin, tokens, store, desktop, replicaSlot, ...(replicaSetup ? { replicaSetup } : {}) };
}

/**
 * `window.__flagdeskSync`: a read-only snapshot of the running replica's sync status (SyncStatus of
 * replica/sync-status.ts; null without a replica), for the e2e tests and the benchmark, e.g. to wait for
 * `initial.finished`, and for debugging from the console.
 */
function exposeSyncStatus(win: Window, slot: ReplicaSlot): void {
  Object.defineProperty(win, '__flagdeskSync', { configurable: true, get: () => slot.getState().replica?.status.getState() ?? null });
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('useAppServices needs an AppServicesContext provider');
  return services;
}
