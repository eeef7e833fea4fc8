import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openIsolatedPage, screenshotFullPage } from '../support/browser.js';
import type { ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { EnvironmentPage } from '../support/pages/environment.page.js';
import { FeaturePage } from '../support/pages/feature.page.js';
import { SyncIndicator } from '../support/pages/sync-indicator.page.js';
import { adminApi, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';
import { withoutNetworkErrors } from './replica-fixtures.js';

/*
 * The dashboard in two tabs of one browser profile: same origin, same user, so both tabs open the same
 * replica database (one IndexedDB). A tab must see what the other wrote (a pulled version, a local edit,
 * a queued publish and its pending count), and a publish queued offline in one tab must run exactly once
 * when the network is back. One tab (the first) talks to the sync endpoints; when it closes, the other
 * takes over.
 */

const ADMIN = { email: 'admin@two-tabs.test', password: 'a long e2e password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}

describe('the dashboard open in two tabs of one browser profile against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let production: Env;
  let featureId: number;

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Two Tabs Org', { FLAGDESK_SHUTDOWN_TIMEOUT_MS: '2000' });
    ({ server, dataDir, token } = started);
    const organisation = started.organisation;
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    featureId = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'checkout_banner', initial_value: 'Welcome', default_enabled: true })).id;
    await enableV2AndWait(server, token, production);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The published versions of the feature (scheduled ones included), newest first. */
  async function publishedVersions(): Promise<{ uuid: string }[]> {
    const page = await adminApi<{ results: { uuid: string }[] }>(server, token, 'GET', `/api/v1/environments/${production.id}/features/${featureId}/versions/?published=true&page_size=100`);
    return page.results;
  }

  async function publishValue(value: string): Promise<void> {
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.id}/features/${featureId}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: value } }],
      publish_immediately: true,
    });
  }

  async function servedValue(): Promise<unknown> {
    const states = await adminApi<{ results: { feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${featureId}`);
    return states.results[0]?.feature_state_value;
  }

  /** Waits for the tab's replica to be complete and in sync, then opens Production's feature list. */
  async function openProduction(page: Page): Promise<SyncIndicator> {
    const dashboard = new DashboardPage(page);
    const sync = new SyncIndicator(page);
    await dashboard.waitUntilSignedIn();
    await sync.waitForInitialReplication();
    await sync.waitFor('Online', { pending: 0 });
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', 'Production');
    await dashboard.featureTable('Production').waitFor();
    return sync;
  }

  /** Resolves once the indicator shows `pending` waiting, whatever the connection it shows. */
  async function waitForPending(page: Page, pending: number): Promise<void> {
    const sync = new SyncIndicator(page);
    await page
      .waitForFunction(
        (n) => Number(/(\d+) pending/.exec(document.querySelector('header [aria-label="Sync status"]')?.textContent ?? '')?.[1] ?? 0) === n,
        pending,
        { timeout: 30_000 },
      )
      .catch(async (error: unknown) => {
        throw new Error(`The sync indicator did not show ${pending} pending: it shows "${await sync.text()}"`, { cause: error });
      });
  }

  test('a publish in one tab shows in the other; a publish queued offline in one tab is counted in both and runs exactly once; the other tab takes over when the first closes', async () => {
    const { context, page: pageA, errors } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(pageA);
      await signIn.open(server.url);
      await signIn.signIn(ADMIN.email, ADMIN.password);
      const syncA = await openProduction(pageA);

      // The second tab restores the session from the token the first one kept (same profile, same origin).
      const pageB = await context.newPage();
      pageB.on('pageerror', (error) => errors.push(`pageerror: (tab B) ${error.message}`));
      // Same shape as openIsolatedPage's records, so withoutNetworkErrors drops the offline requests of tab B too.
      pageB.on('console', (message) => {
        if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(`console: ${message.text()}`);
      });
      const syncRequestsOfB: string[] = [];
      pageB.on('request', (request) => {
        if (new URL(request.url()).pathname.startsWith('/api/v1/sync/')) syncRequestsOfB.push(request.url());
      });
      await pageB.goto(`${server.url}/`);
      const syncB = await openProduction(pageB);
      // The user switches to tab B: RxDB would start a replication in a tab that becomes visible.
      await pageB.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      const dashboardA = new DashboardPage(pageA);
      const dashboardB = new DashboardPage(pageB);
      const featureA = new FeaturePage(pageA);
      const featureB = new FeaturePage(pageB);

      // Online: tab A publishes; tab B's feature list follows.
      await new EnvironmentPage(pageA).openFeature('checkout_banner');
      await featureA.heading('checkout_banner').waitFor();
      await featureA.editDefaultValue('From tab A');
      await featureA.publish();
      await featureA.intentStatus('Published.').waitFor();
      await dashboardB.featureTable('Production').getByText('From tab A').waitFor();
      await syncB.waitFor('Online', { pending: 0, conflicts: 0 });
      await syncA.waitFor('Online', { pending: 0, conflicts: 0 });
      await featureA.backLink.click();
      await dashboardA.featureTable('Production').getByText('From tab A').waitFor();
      const before = await publishedVersions();

      // Offline (the whole profile): tab B edits and queues a publish; tab A counts it too.
      await context.setOffline(true);
      await new EnvironmentPage(pageB).openFeature('checkout_banner');
      await featureB.heading('checkout_banner').waitFor();
      await featureB.editDefaultValue('From tab B');
      await featureB.publish();
      await featureB.intentStatus('Queued: publishes when the server is reachable.').waitFor();
      await syncB.waitFor('Offline', { pending: 2 });
      await waitForPending(pageA, 2);
      await screenshotFullPage(pageA, 'two-tabs-offline-tab-a');
      await screenshotFullPage(pageB, 'two-tabs-offline-tab-b');

      // Back: the publish runs once, and both tabs end with nothing waiting.
      await context.setOffline(false);
      await featureB.intentStatus('Published.').waitFor();
      await syncB.waitFor('Online', { pending: 0, conflicts: 0 });
      await syncA.waitFor('Online', { pending: 0, conflicts: 0 });
      await dashboardA.featureTable('Production').getByText('From tab B').waitFor();
      expect(await servedValue()).toBe('From tab B');
      const after = await publishedVersions();
      expect(after.length).toBe(before.length + 1);
      // Tab B never replicated itself: tab A sent its queued publish and pulled for both.
      expect(syncRequestsOfB).toEqual([]);

      // Tab A closes: tab B takes over the replication and follows the server on its own.
      await pageA.close();
      await featureB.backLink.click();
      await dashboardB.featureTable('Production').getByText('From tab B').waitFor();
      await publishValue('From the Admin API');
      await dashboardB.featureTable('Production').getByText('From the Admin API').waitFor();
      await syncB.waitFor('Online', { pending: 0, conflicts: 0 });
      expect(syncRequestsOfB.length).toBeGreaterThan(0);
      expect(withoutNetworkErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
