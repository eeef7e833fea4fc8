import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { createIpcHandlers, dispatchIpc, registerIpcHandlers, type IpcHandlers, type IpcMainLike, type IpcSenderEvent } from '../../../../src-main/ipc/ipc-handlers.js';
import { createDesktopApi, type IpcRendererLike } from '../../../../src-main/preload/desktop-api.js';
import { createFileCredentialStore } from '../../../../src-main/platform/credential-store.js';
import { createFakeSecretCipher } from '../../../../src-main/platform/secret-cipher.fake.js';
import type { Notifier } from '../../../../src-main/platform/notifier.js';
import { AppError } from '../../../../src-shared/errors/app-error.js';
import { ipcChannel, ipcContract, ipcRequestMethods, IpcResultSchema, type IpcRequestMethod } from '../../../../src-shared/contracts/ipc/ipc-contract.js';

const SERVER = 'http://127.0.0.1:8000';

/** A recording notifier, as Electron's Notification would show them. */
function fakeNotifier(isSupported = true): Notifier & { shown: { title: string; body: string }[] } {
  const shown: { title: string; body: string }[] = [];
  return { shown, isSupported: () => isSupported, show: (n) => void shown.push(n) };
}

/**
 * ipcMain and ipcRenderer joined in memory: invoke runs the registered handler with a sender frame at
 * `frameUrl`, and send delivers to the renderer's listeners, as Electron does between processes.
 */
function fakeIpc(frameUrl: string) {
  const handlers = new Map<string, (event: IpcSenderEvent, input: unknown) => Promise<unknown>>();
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const ipcMain: IpcMainLike = { handle: (channel, listener) => void handlers.set(channel, listener) };
  const ipcRenderer: IpcRendererLike = {
    invoke: async (channel, input) => {
      const handler = handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      // Structured clone, as Electron serialises across processes: no functions or class instances survive.
      return structuredClone(await handler({ senderFrame: { url: frameUrl } }, structuredClone(input)));
    },
    on: (channel, listener) => void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(listener),
    removeListener: (channel, listener) => void listeners.get(channel)?.delete(listener),
  };
  const send = (channel: string, payload: unknown) => listeners.get(channel)?.forEach((l) => l({ sender: 'secret' }, payload));
  return { ipcMain, ipcRenderer, handlers, send };
}

const dispatchOptions = { newErrorId: () => 'err-1', logError: () => undefined };

describe('IPC handlers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flagdesk-ipc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function setUp(options: { frameUrl?: string; isEncryptionAvailable?: boolean; isNotificationSupported?: boolean } = {}) {
    const credentials = createFileCredentialStore({ cipher: createFakeSecretCipher({ isAvailable: options.isEncryptionAvailable ?? true }), filePath: join(dir, 'credentials.json') });
    const notifier = fakeNotifier(options.isNotificationSupported ?? true);
    const handlers = createIpcHandlers({ credentials, notifier, appInfo: { version: '1.2.3', platform: 'linux' } });
    const ipc = fakeIpc(options.frameUrl ?? `${SERVER}/`);
    const logged: string[] = [];
    const channels = registerIpcHandlers(ipc.ipcMain, handlers, {
      isTrustedSender: (url) => url?.startsWith(`${SERVER}/`) ?? false,
      newErrorId: () => 'err-1',
      logError: (_e, id) => void logged.push(id),
    });
    return { api: createDesktopApi(ipc.ipcRenderer), notifier, ipc, channels, handlers, logged };
  }

  test('registers one prefixed channel per request of the table, and nothing else', () => {
    const { channels } = setUp();
    expect(channels).toEqual(['flagdesk:credentials.load', 'flagdesk:credentials.save', 'flagdesk:credentials.clear', 'flagdesk:notifications.show', 'flagdesk:app.getInfo']);
  });

  test('keeps, loads and clears a session token through the bridge', async () => {
    const { api } = setUp();
    expect(await api.credentials.load({ server: SERVER })).toEqual({ ok: true, value: null });
    expect(await api.credentials.save({ server: SERVER, token: 'tok-1' })).toEqual({ ok: true, value: null });
    expect(await api.credentials.load({ server: SERVER })).toEqual({ ok: true, value: 'tok-1' });
    expect(await api.credentials.clear({ server: SERVER })).toEqual({ ok: true, value: null });
    expect(await api.credentials.load({ server: SERVER })).toEqual({ ok: true, value: null });
  });

  test('shows a native notification, or answers UNAVAILABLE where the system has none', async () => {
    const supported = setUp();
    expect(await supported.api.notifications.show({ title: 'Published', body: 'dark_mode v3 is live' })).toEqual({ ok: true, value: null });
    expect(supported.notifier.shown).toEqual([{ title: 'Published', body: 'dark_mode v3 is live' }]);

    const unsupported = setUp({ isNotificationSupported: false });
    expect(await unsupported.api.notifications.show({ title: 'x', body: '' })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', details: { reason: 'NOTIFICATIONS_UNSUPPORTED' } } });
  });

  test('reports the app version, platform and whether credentials can be kept', async () => {
    expect(await setUp().api.app.getInfo()).toEqual({ ok: true, value: { version: '1.2.3', platform: 'linux', isEncryptionAvailable: true } });
    expect(await setUp({ isEncryptionAvailable: false }).api.app.getInfo()).toMatchObject({ ok: true, value: { isEncryptionAvailable: false } });
  });

  test('answers an expected failure as a Result carrying the AppError, never a throw', async () => {
    const result = await setUp({ isEncryptionAvailable: false }).api.credentials.save({ server: SERVER, token: 'tok' });
    expect(result).toMatchObject({ ok: false, error: { code: 'PRECONDITION_FAILED', details: { reason: 'ENCRYPTION_UNAVAILABLE' } } });
  });

  test('refuses bad input with VALIDATION_FAILED naming the field, without running the handler', async () => {
    const { api } = setUp();
    const result = await api.credentials.save({ server: 'not-an-origin', token: 'tok' });
    expect(result).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', details: { issues: [{ path: 'input/server' }] } } });
    expect(await api.credentials.load({ server: 'not-an-origin' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await (api.credentials.save as (i: unknown) => Promise<unknown>)({ server: SERVER })).toMatchObject({ ok: false, error: { details: { issues: [{ path: 'input/token' }] } } });
  });

  test('turns an unexpected error into INTERNAL with an id and logs it', async () => {
    const handlers = { 'app.getInfo': () => { throw new TypeError('boom'); } } as unknown as IpcHandlers;
    const logged: unknown[] = [];
    const result = await dispatchIpc('app.getInfo', handlers, null, { newErrorId: () => 'err-42', logError: (e, id) => void logged.push([String(e), id]) });
    expect(result).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'Internal error err-42.', detail: 'Internal error err-42.', id: 'err-42' } });
    expect(logged).toEqual([['TypeError: boom', 'err-42']]);
  });

  test('passes an AppError thrown by a handler through unchanged', async () => {
    const handlers = { 'app.getInfo': () => { throw new AppError('NOT_FOUND', 'Nothing.'); } } as unknown as IpcHandlers;
    expect(await dispatchIpc('app.getInfo', handlers, null, dispatchOptions)).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Nothing.', detail: 'Nothing.' } });
  });

  test('answers PERMISSION_DENIED to a frame that does not show the sync server', async () => {
    const { api } = setUp({ frameUrl: 'https://evil.example/' });
    expect(await api.credentials.load({ server: SERVER })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });

  test('every answer matches the Result schema of its channel', async () => {
    const { api } = setUp();
    const answers: [IpcRequestMethod, unknown][] = [
      ['credentials.load', await api.credentials.load({ server: SERVER })],
      ['credentials.save', await api.credentials.save({ server: SERVER, token: 't' })],
      ['credentials.clear', await api.credentials.clear({ server: SERVER })],
      ['notifications.show', await api.notifications.show({ title: 't', body: 'b' })],
      ['app.getInfo', await api.app.getInfo()],
      ['credentials.save', await api.credentials.save({ server: 'bad', token: 't' })],
    ];
    expect(answers.filter(([method, answer]) => !Value.Check(IpcResultSchema(ipcContract[method].output), answer))).toEqual([]);
    expect(new Set(answers.map(([m]) => m))).toEqual(new Set(ipcRequestMethods()));
  });

  test('delivers the menu Sign Out event to subscribers without the Electron event, until they unsubscribe', () => {
    const { api, ipc } = setUp();
    const received: unknown[][] = [];
    const unsubscribe = api.session.onSignOutRequested((...args) => void received.push(args));
    ipc.send(ipcChannel('session.signOutRequested'), null);
    unsubscribe();
    ipc.send(ipcChannel('session.signOutRequested'), null);
    expect(received).toEqual([[null]]);
  });
});
