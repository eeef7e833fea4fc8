import { describe, expect, test } from 'vitest';
import { buildWindowOptions } from '../../../../src-main/app/window-options.js';

describe('buildWindowOptions', () => {
  test('isolates, sandboxes and denies Node to the dashboard window, with the given preload', () => {
    const options = buildWindowOptions({ preloadPath: '/app/out/preload/index.cjs' });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  test('keeps the window hidden until its first paint and titles it', () => {
    expect(buildWindowOptions({ preloadPath: 'p', title: 'Flagdesk Dev' })).toMatchObject({ show: false, title: 'Flagdesk Dev' });
  });
});
