import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, openIsolatedPage, screenshotFullPage } from '../support/browser.js';
import type { ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { SyncIndicator } from '../support/pages/sync-indicator.page.js';
import { adminApi, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';
import { withoutNetworkErrors } from './replica-fixtures.js';

const ADMIN = { email: 'admin@reload.test', password: 'a long e2e password' };

/** Issue 12 §4: the web dashboard opens after a reload with the server away: its shell comes from the service worker, its data from the replica. */
describe('the web dashboard reloaded while the server is stopped', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Reload Org');
    ({ server, dataDir } = started);
    const project = await adminApi<{ id: number }>(server, started.token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: started.organisation.id });
    const production = await adminApi<{ id: number; api_key: string; name: string }>(server, started.token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    await adminApi(server, started.token, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'checkout_banner', initial_value: 'Welcome', default_enabled: true });
    await enableV2AndWait(server, started.token, production);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('opens from the cached shell and browses the replica', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(page);
      const dashboard = new DashboardPage(page);
      const sync = new SyncIndicator(page);
      await signIn.open(server.url);
      await signIn.signIn(ADMIN.email, ADMIN.password);
      await dashboard.waitUntilSignedIn();
      await sync.waitForInitialReplication();
      // The service worker has cached the shell and controls the page.
      expect(await page.evaluate(async () => ((await navigator.serviceWorker.ready).active?.scriptURL ?? '').replace(location.origin, ''))).toBe('/sw.js');

      await server.stop();
      await page.reload();
      await dashboard.waitUntilSignedIn();
      await sync.waitFor('Offline');
      await dashboard.open('Projects', 'Storefront');
      await dashboard.open('Environments', 'Production');
      await dashboard.featureTable('Production').waitFor();
      expect((await dashboard.featureRows('Production')).map(([name, , value]) => [name, value])).toEqual([['checkout_banner', 'Welcome']]);
      await screenshotFullPage(page, 'offline-after-reload');
      expect(withoutNetworkErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
