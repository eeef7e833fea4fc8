import { IPC_PREFIX, ipcChannel, ipcContract, type DesktopApi, type IpcMethod, type IpcRequestMethod } from '../../src-shared/contracts/ipc/ipc-contract.js';

/** The slice of Electron's `ipcRenderer` the bridge uses. */
export interface IpcRendererLike {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

/** The channel of a table entry of the given direction; refuses anything outside the app prefix. */
function channelFor(method: IpcMethod, direction: 'request' | 'event'): string {
  const channel = ipcChannel(method);
  if (!channel.startsWith(IPC_PREFIX) || ipcContract[method].direction !== direction) {
    throw new Error(`${method} is not a ${direction} of the Flagdesk IPC table`);
  }
  return channel;
}

/**
 * Builds `window.api`: one named function per entry of the IPC table. The renderer can call these and
 * nothing else; there is no generic `invoke(channel)`.
 */
export function createDesktopApi(ipc: IpcRendererLike): DesktopApi {
  const request = <M extends IpcRequestMethod>(method: M) => {
    const channel = channelFor(method, 'request');
    // The Result shape is guaranteed by main's dispatcher for every channel of the table.
    return (input: unknown) => ipc.invoke(channel, input) as never;
  };
  const subscribe = (method: 'session.signOutRequested') => {
    const channel = channelFor(method, 'event');
    return (listener: (payload: null) => void) => {
      // The IpcRendererEvent is not passed on: it would hand the page a reference to `sender`.
      const forward = () => listener(null);
      ipc.on(channel, forward);
      return () => ipc.removeListener(channel, forward);
    };
  };
  return {
    credentials: { load: request('credentials.load'), save: request('credentials.save'), clear: request('credentials.clear') },
    notifications: { show: request('notifications.show') },
    app: { getInfo: () => request('app.getInfo')(null) },
    session: { onSignOutRequested: subscribe('session.signOutRequested') },
  };
}
