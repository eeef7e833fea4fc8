import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../src-shared/errors/app-error.js';
import { ErrorCode } from '../../src-shared/errors/error-codes.js';
import {
  ipcChannel,
  ipcContract,
  ipcRequestMethods,
  type IpcInput,
  type IpcOutput,
  type IpcRequestMethod,
  type IpcResult,
} from '../../src-shared/contracts/ipc/ipc-contract.js';
import type { CredentialStore } from '../platform/credential-store.js';
import type { Notifier } from '../platform/notifier.js';

/** One handler per request of the IPC table. Handlers may throw AppError; the dispatcher turns it into a Result. */
export type IpcHandlers = { [M in IpcRequestMethod]: (input: IpcInput<M>) => Promise<IpcOutput<M>> | IpcOutput<M> };

export interface IpcHandlerDeps {
  credentials: CredentialStore;
  notifier: Notifier;
  appInfo: { version: string; platform: string };
}

/** The main-process side of every IPC request. */
export function createIpcHandlers(deps: IpcHandlerDeps): IpcHandlers {
  return {
    'credentials.load': ({ server }) => deps.credentials.load(server),
    'credentials.save': async ({ server, token }) => {
      await deps.credentials.save(server, token);
      return null;
    },
    'credentials.clear': async ({ server }) => {
      await deps.credentials.clear(server);
      return null;
    },
    'notifications.show': ({ title, body }) => {
      if (!deps.notifier.isSupported()) {
        throw new AppError(ErrorCode.UNAVAILABLE, 'This system does not support desktop notifications.', { details: { reason: 'NOTIFICATIONS_UNSUPPORTED' } });
      }
      deps.notifier.show({ title, body });
      return null;
    },
    'app.getInfo': () => ({ ...deps.appInfo, isEncryptionAvailable: deps.credentials.isEncryptionAvailable() }),
  };
}

export interface DispatchOptions {
  /** Id for an unexpected error, so the log line and the renderer's message can be matched. */
  newErrorId(): string;
  /** Records an unexpected error (a bug) with its id. */
  logError(error: unknown, errorId: string): void;
}

/**
 * Runs one request: validates the input against the table, calls the handler, and answers a Result.
 * Never throws: an AppError becomes `{ok: false, error}`, anything else INTERNAL with an error id.
 */
export async function dispatchIpc<M extends IpcRequestMethod>(method: M, handlers: IpcHandlers, input: unknown, options: DispatchOptions): Promise<IpcResult<IpcOutput<M>>> {
  const schema = ipcContract[method].input;
  const issue = Value.Errors(schema, input).First();
  if (issue) {
    const path = `input${issue.path}`;
    return { ok: false, error: new AppError(ErrorCode.VALIDATION_FAILED, `${path}: ${issue.message}`, { details: { issues: [{ path, message: issue.message }] } }).toWire() };
  }
  try {
    const handler = handlers[method] as (value: unknown) => Promise<IpcOutput<M>> | IpcOutput<M>;
    return { ok: true, value: await handler(input) };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.toWire() };
    const errorId = options.newErrorId();
    options.logError(error, errorId);
    return { ok: false, error: new AppError(ErrorCode.INTERNAL, `Internal error ${errorId}.`, { id: errorId }).toWire() };
  }
}

/** What the handlers see of an IPC event: the URL of the frame that sent it. */
export interface IpcSenderEvent {
  senderFrame: { url: string } | null;
}

/** The slice of Electron's `ipcMain` used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcSenderEvent, input: unknown) => Promise<unknown>): void;
}

/**
 * Registers a handler for every request of the table on `ipcMain`. Calls from frames that do not show
 * the sync server's pages are answered PERMISSION_DENIED without running the handler.
 */
export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: IpcHandlers, options: DispatchOptions & { isTrustedSender(senderUrl: string | undefined): boolean }): string[] {
  const channels: string[] = [];
  for (const method of ipcRequestMethods()) {
    const channel = ipcChannel(method);
    ipcMain.handle(channel, async (event, input) => {
      if (!options.isTrustedSender(event.senderFrame?.url)) {
        return { ok: false, error: new AppError(ErrorCode.PERMISSION_DENIED, `${channel} is only available to the Flagdesk dashboard.`).toWire() } satisfies IpcResult<never>;
      }
      return dispatchIpc(method, handlers, input, options);
    });
    channels.push(channel);
  }
  return channels;
}
