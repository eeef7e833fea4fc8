import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, Menu, Notification, safeStorage, session, shell } from 'electron';
import { loadMainConfig, MainConfigError, type MainConfig } from './app/config.js';
import { buildWindowOptions } from './app/window-options.js';
import { buildContentSecurityPolicy, withContentSecurityPolicy } from './app/content-security-policy.js';
import { decideWindowOpen, isNavigationAllowed, isPermissionGranted, isTrustedSenderUrl } from './app/navigation-guard.js';
import { buildMenuTemplate } from './app/menu-template.js';
import { createFileCredentialStore, type SecretCipher } from './platform/credential-store.js';
import type { Notifier } from './platform/notifier.js';
import { createIpcHandlers, registerIpcHandlers } from './ipc/ipc-handlers.js';
import { ipcChannel } from '../src-shared/contracts/ipc/ipc-contract.js';

// The composition root of the main process (D10): the only module besides the preload that touches
// Electron. Everything it wires is a plain module that unit tests load in Node.

function readConfig(): MainConfig {
  try {
    return loadMainConfig();
  } catch (error) {
    if (error instanceof MainConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const config = readConfig();
if (config.userDataDir) app.setPath('userData', config.userDataDir);
app.enableSandbox();

// On Linux without a keyring, safeStorage falls back to a hard-coded key ('basic_text'): that is no
// protection, so the token is then kept in memory only.
const cipher: SecretCipher = {
  isEncryptionAvailable: () => safeStorage.isEncryptionAvailable() && !(process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text'),
  encryptString: (plainText) => safeStorage.encryptString(plainText),
  decryptString: (encrypted) => safeStorage.decryptString(encrypted),
};
const notifier: Notifier = {
  isSupported: () => Notification.isSupported(),
  show: ({ title, body }) => new Notification({ title, body }).show(),
};

let mainWindow: BrowserWindow | undefined;

function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow(buildWindowOptions({ preloadPath: join(import.meta.dirname, '../preload/index.cjs'), title: app.getName() }));
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  void window.loadURL(config.serverUrl);
  return window;
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => {
    if (!isNavigationAllowed(event.url, config.serverOrigin)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isNavigationAllowed(event.url, config.serverOrigin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, config.serverOrigin);
    if (decision.loadInMainWindow) void contents.loadURL(url);
    return { action: decision.action };
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('activate', () => {
  if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
});

void app.whenReady().then(() => {
  const policy = buildContentSecurityPolicy();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withContentSecurityPolicy(details.responseHeaders, policy) });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(isPermissionGranted(permission)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => isPermissionGranted(permission));

  const credentials = createFileCredentialStore({ cipher, filePath: join(app.getPath('userData'), 'credentials.json') });
  registerIpcHandlers(ipcMain, createIpcHandlers({ credentials, notifier, appInfo: { version: app.getVersion(), platform: process.platform } }), {
    isTrustedSender: (senderUrl) => isTrustedSenderUrl(senderUrl, config.serverOrigin),
    newErrorId: () => randomUUID(),
    logError: (error, errorId) => process.stderr.write(`[${errorId}] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`),
  });

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      buildMenuTemplate({
        appName: app.getName(),
        isMac: process.platform === 'darwin',
        isDevToolsEnabled: config.isDevToolsEnabled,
        actions: {
          signOut: () => mainWindow?.webContents.send(ipcChannel('session.signOutRequested'), null),
          openApiDocs: () => void shell.openExternal(new URL('/api/v1/docs/', config.serverOrigin).toString()),
        },
      }),
    ),
  );
  mainWindow = createMainWindow();
});
