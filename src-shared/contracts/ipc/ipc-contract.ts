import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AppErrorWireSchema, type AppErrorWire } from '../../errors/app-error.js';
import { Nullable } from '../http/route-contract.js';

/**
 * Every IPC channel name starts with this prefix. The preload only ever builds channel names from the
 * table below, and main registers handlers for exactly those, so nothing else can cross the bridge.
 */
export const IPC_PREFIX = 'flagdesk:';

/** Renderer → main: a call answered by a `Result` envelope. */
export interface IpcRequestContract {
  direction: 'request';
  summary: string;
  /** Schema of the one argument the renderer sends; main validates it before the handler runs. */
  input: TSchema;
  /** Schema of `value` in a successful Result. */
  output: TSchema;
}

/** Main → renderer: a push the renderer subscribes to. */
export interface IpcEventContract {
  direction: 'event';
  summary: string;
  payload: TSchema;
}

export type IpcContract = IpcRequestContract | IpcEventContract;

const ServerOrigin = Type.String({
  minLength: 1,
  maxLength: 2048,
  pattern: '^https?://[^/\\s]+$',
  description: 'Origin of the sync server the credential belongs to, e.g. `http://127.0.0.1:8000`.',
});

/**
 * The desktop IPC table, keyed `<namespace>.<method>` (requests) or `<namespace>.<event>` (pushes).
 * Direction comes from the table, never from a name prefix.
 */
export const ipcContract = {
  'credentials.load': {
    direction: 'request',
    summary: 'The session token kept for a server, decrypted; null when none is kept.',
    input: Type.Object({ server: ServerOrigin }),
    output: Nullable(Type.String()),
  },
  'credentials.save': {
    direction: 'request',
    summary: 'Keep a session token for a server, encrypted with the OS keychain (Electron safeStorage).',
    input: Type.Object({ server: ServerOrigin, token: Type.String({ minLength: 1, maxLength: 4096 }) }),
    output: Type.Null(),
  },
  'credentials.clear': {
    direction: 'request',
    summary: 'Forget the token kept for a server (sign out).',
    input: Type.Object({ server: ServerOrigin }),
    output: Type.Null(),
  },
  'notifications.show': {
    direction: 'request',
    summary: 'Show a native desktop notification.',
    input: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), body: Type.String({ maxLength: 2000 }) }),
    output: Type.Null(),
  },
  'app.getInfo': {
    direction: 'request',
    summary: 'Version and platform of the desktop app.',
    input: Type.Null(),
    output: Type.Object({ version: Type.String(), platform: Type.String(), isEncryptionAvailable: Type.Boolean() }),
  },
  'session.signOutRequested': {
    direction: 'event',
    summary: 'The user chose Sign out in the application menu.',
    payload: Type.Null(),
  },
} as const satisfies Record<string, IpcContract>;

export type IpcTable = typeof ipcContract;
export type IpcMethod = keyof IpcTable;
export type IpcRequestMethod = { [K in IpcMethod]: IpcTable[K] extends IpcRequestContract ? K : never }[IpcMethod];
export type IpcEventName = { [K in IpcMethod]: IpcTable[K] extends IpcEventContract ? K : never }[IpcMethod];
export type IpcInput<M extends IpcRequestMethod> = Static<IpcTable[M]['input']>;
export type IpcOutput<M extends IpcRequestMethod> = Static<IpcTable[M]['output']>;
export type IpcPayload<E extends IpcEventName> = Static<IpcTable[E]['payload']>;

/** The full channel name of a table entry, e.g. `flagdesk:credentials.load`. */
export function ipcChannel(method: IpcMethod): string {
  return `${IPC_PREFIX}${method}`;
}

/** The requests of the table, in table order. */
export function ipcRequestMethods(): IpcRequestMethod[] {
  return (Object.keys(ipcContract) as IpcMethod[]).filter((m): m is IpcRequestMethod => ipcContract[m].direction === 'request');
}

/**
 * What every IPC request answers. Main never throws across the bridge: Electron keeps only the message of
 * a thrown error (electron/electron#24427), so failures travel as the serialised AppError.
 */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: AppErrorWire };

/** Schema of an IpcResult with the given value schema. */
export function IpcResultSchema<T extends TSchema>(value: T) {
  return Type.Union([
    Type.Object({ ok: Type.Literal(true), value }),
    Type.Object({ ok: Type.Literal(false), error: AppErrorWireSchema }),
  ]);
}

/**
 * The API the preload exposes as `window.api`: one named function per request, one `on…` subscription
 * per event (returning an unsubscribe function). There is deliberately no generic `invoke(channel)`.
 */
export interface DesktopApi {
  credentials: {
    load(input: IpcInput<'credentials.load'>): Promise<IpcResult<IpcOutput<'credentials.load'>>>;
    save(input: IpcInput<'credentials.save'>): Promise<IpcResult<IpcOutput<'credentials.save'>>>;
    clear(input: IpcInput<'credentials.clear'>): Promise<IpcResult<IpcOutput<'credentials.clear'>>>;
  };
  notifications: {
    show(input: IpcInput<'notifications.show'>): Promise<IpcResult<IpcOutput<'notifications.show'>>>;
  };
  app: {
    getInfo(): Promise<IpcResult<IpcOutput<'app.getInfo'>>>;
  };
  session: {
    onSignOutRequested(listener: (payload: IpcPayload<'session.signOutRequested'>) => void): () => void;
  };
}
