import { createContext, useContext } from 'react';
import { createApiClient, type ApiClient } from '../data/api-client.js';
import { createWebTokenStore, type TokenStore } from '../data/token-store.js';
import { createDesktopTokenStore, getDesktopApi } from '../bridge/desktop-bridge.js';
import type { DesktopApi } from '../../src-shared/contracts/ipc/ipc-contract.js';
import { createDashboardStore, type DashboardStore } from './dashboard.store.js';
import { createReplicaSlot, type ReplicaSlot } from '../replica/replica.js';

/** Everything the screens use, created once per app (D10: the renderer's composition root). */
export interface AppServices {
  api: ApiClient;
  tokens: TokenStore;
  store: DashboardStore;
  /** The local replica once signed in (replica/replica.ts); null before and after. */
  replicaSlot: ReplicaSlot;
  /** The desktop bridge inside Electron; undefined in the web dashboard. */
  desktop: DesktopApi | undefined;
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
  const api = createApiClient({ baseUrl: '', fetch: win.fetch.bind(win), getToken: () => store.getState().token });
  return { api, tokens, store, desktop, replicaSlot: createReplicaSlot() };
}

export const AppServicesContext = createContext<AppServices | null>(null);

export function useAppServices(): AppServices {
  const services = useContext(AppServicesContext);
  if (!services) throw new Error('useAppServices needs an AppServicesContext provider');
  return services;
}
