import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * Options of the dashboard window. The security settings are fixed here, in one place a unit test reads:
 * the page gets no Node, runs in Chromium's sandbox, and its JavaScript world is isolated from the
 * preload's, which exposes only the named functions of the IPC table.
 */
export function buildWindowOptions(input: { preloadPath: string; title?: string }): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: input.title ?? 'Flagdesk',
    // Shown once the first paint is ready, so the user never sees an empty white window.
    show: false,
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}
