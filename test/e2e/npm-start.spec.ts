import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ensureRendererBuilt, findElectronBinary, ROOT } from '../support/browser.js';
import { tempDataDir } from '../support/server-process.js';

const isElectronPresent = findElectronBinary().path !== undefined;
const skipReason = isElectronPresent ? ' [skipped: the Electron binary is installed here, so npm start would open a window]' : '';

describe('npm start', () => {
  const dataDir = tempDataDir();
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test.skipIf(isElectronPresent)(`without Electron, says the desktop app is unavailable, serves the web dashboard, and stops on SIGINT${skipReason}`, async () => {
    ensureRendererBuilt();
    const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['sync-server/app/start.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', FLAGDESK_DATA_DIR: dataDir, FLAGDESK_ADMIN_EMAIL: 'admin@start.test', FLAGDESK_ADMIN_PASSWORD: 'a long password' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const dashboardUrl = await new Promise<string>((resolve, reject) => {
        const check = () => {
          const match = /Web dashboard: (http:\/\/\S+)/.exec(output);
          if (match) resolve(match[1]!);
        };
        child.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
      });
      expect(output).toContain('The desktop app is not available on this machine');
      const page = await fetch(dashboardUrl);
      expect([page.status, (await page.text()).includes('<div id="root">')]).toEqual([200, true]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('SIGINT received: stopping');
  });
});
