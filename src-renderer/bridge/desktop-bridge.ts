import type { DesktopApi, IpcResult } from '../../src-shared/contracts/ipc/ipc-contract.js';
import type { TokenStore } from '../data/token-store.js';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a plain browser. */
    api?: DesktopApi;
  }
}

/** A failure reported by the main process, with its AppError code. */
export class DesktopError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DesktopError';
  }
}

/** The desktop API when running inside the Flagdesk app, otherwise undefined (web dashboard). */
export function getDesktopApi(target: { api?: DesktopApi } = window): DesktopApi | undefined {
  return target.api;
}

/** The value of a Result, or a DesktopError carrying its code. */
export function unwrap<T>(result: IpcResult<T>): T {
  if (result.ok) return result.value;
  throw new DesktopError(result.error.code, result.error.message);
}

/**
 * The desktop app's token store: main keeps the token encrypted with the OS keychain (safeStorage).
 * Where the OS has no keychain, main refuses to store it and the token lives in memory for this session.
 */
export function createDesktopTokenStore(api: DesktopApi, server: string): TokenStore {
  let memory: string | null = null;
  return {
    isPersistent: true,
    load: async () => memory ?? unwrap(await api.credentials.load({ server })),
    save: async (token) => {
      memory = token;
      const result = await api.credentials.save({ server, token });
      if (!result.ok && result.error.code !== 'PRECONDITION_FAILED') unwrap(result);
    },
    clear: async () => {
      memory = null;
      unwrap(await api.credentials.clear({ server }));
    },
  };
}

/** Subscribes to the application menu's Sign Out; a no-op on the web. */
export function onSignOutRequested(api: DesktopApi | undefined, listener: () => void): () => void {
  return api ? api.session.onSignOutRequested(() => listener()) : () => undefined;
}
