import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { _electron as electron } from 'playwright-core';
import { ensureRendererBuilt, findElectronBinary, ROOT, screenshotPath } from '../support/browser.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';

const binary = findElectronBinary();
const isElectronAbsent = binary.path === undefined;
// vitest's skipIf takes no reason, so the reason is in the test's name, and the report shows it.
const skipReason = isElectronAbsent ? ` [skipped: the Electron binary is absent on this machine: ${binary.missing}]` : '';

describe('desktop app (Electron)', () => {
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;

  beforeAll(async () => {
    if (isElectronAbsent) return;
    ensureRendererBuilt();
    dataDir = tempDataDir();
    server = await startServerProcess({ FLAGDESK_DATA_DIR: dataDir, FLAGDESK_RENDERER_DIR: join(ROOT, 'out/renderer') });
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test.skipIf(isElectronAbsent)(`opens the dashboard of the given server in a sandboxed window exposing only the named bridge${skipReason}`, async () => {
    const userDataDir = mkdtempSync(join(tmpdir(), 'flagdesk-electron-'));
    const app = await electron.launch({
      executablePath: binary.path!,
      // Chromium refuses to run as root without --no-sandbox; the renderer's own sandbox setting is unchanged.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), ROOT, `--flagdesk-server-url=${server!.url}`],
      env: { ...process.env, FLAGDESK_USER_DATA_DIR: userDataDir } as Record<string, string>,
    });
    try {
      const page = await app.firstWindow();
      await new SignInPage(page).form.waitFor();
      const exposed = await page.evaluate(() => ({
        hasRequire: typeof (globalThis as { require?: unknown }).require !== 'undefined',
        hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
        api: Object.fromEntries(Object.entries((window as unknown as { api: Record<string, object> }).api).map(([ns, fns]) => [ns, Object.keys(fns).sort()])),
      }));
      expect(exposed).toEqual({
        hasRequire: false,
        hasProcess: false,
        api: { app: ['getInfo'], credentials: ['clear', 'load', 'save'], notifications: ['show'], session: ['onSignOutRequested'] },
      });
      await page.screenshot({ path: screenshotPath('electron-sign-in') });
    } finally {
      await app.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});
