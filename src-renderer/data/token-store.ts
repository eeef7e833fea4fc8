/** Where the dashboard keeps its session token between starts. */
export interface TokenStore {
  /** Whether the token survives a restart (false: memory only). */
  readonly isPersistent: boolean;
  load(): Promise<string | null>;
  save(token: string): Promise<void>;
  clear(): Promise<void>;
  /**
   * The signed-in user as last seen (JSON), kept with the token so a reload while the server is away can
   * open the session on the replica (issue 12 §4). Cleared with the token. Absent: not kept.
   */
  loadUser?(): Promise<string | null>;
  saveUser?(json: string): Promise<void>;
}

const KEY = 'flagdesk.session-token';
const USER_KEY = 'flagdesk.session-user';

/** The web dashboard's store: `localStorage` of the server's origin, or memory when storage is unavailable. */
export function createWebTokenStore(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | undefined): TokenStore {
  let memory: string | null = null;
  return {
    isPersistent: storage !== undefined,
    load: async () => storage?.getItem(KEY) ?? memory,
    save: async (token) => {
      memory = token;
      storage?.setItem(KEY, token);
    },
    clear: async () => {
      memory = null;
      storage?.removeItem(KEY);
      storage?.removeItem(USER_KEY);
    },
    loadUser: async () => storage?.getItem(USER_KEY) ?? null,
    saveUser: async (json) => storage?.setItem(USER_KEY, json),
  };
}

/** A store that forgets the token when the page closes. */
export function createMemoryTokenStore(): TokenStore {
  return { ...createWebTokenStore(undefined), isPersistent: false };
}
