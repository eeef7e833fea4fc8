import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt, launchChromium, openIsolatedPage, screenshotFullPage } from '../support/browser.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { EnvironmentPage } from '../support/pages/environment.page.js';
import { FeaturePage } from '../support/pages/feature.page.js';
import { ChangeRequestPage } from '../support/pages/change-request.page.js';
import { SyncIndicator } from '../support/pages/sync-indicator.page.js';
import { adminApi, enableV2AndWait } from './e2e-fixtures.js';
import { withoutNetworkErrors } from './replica-fixtures.js';

/*
 * Issue 6, the offline scenario: the replica lets a signed-in admin browse, compare and edit with the
 * server process stopped, queues the publish, and reconciles when the same server (same port, same data)
 * is back. A publish made stale meanwhile comes back as a conflict, never as a silent overwrite.
 */

const ADMIN = { email: 'admin@offline.test', password: 'a long e2e password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}

describe('offline work on the replica against a real server process that stops and restarts', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let rendererDir: string;
  let port: string;
  let token: string;
  let production: Env;
  const features: Record<string, number> = {};

  function startServer(portToUse: string): Promise<ServerProcess> {
    return startServerProcess({
      PORT: portToUse,
      FLAGDESK_DATA_DIR: dataDir,
      FLAGDESK_ADMIN_EMAIL: ADMIN.email,
      FLAGDESK_ADMIN_PASSWORD: ADMIN.password,
      FLAGDESK_ADMIN_ORGANISATION: 'Offline Org',
      FLAGDESK_RENDERER_DIR: rendererDir,
      // Open streams end at once on SIGTERM; idle keep-alive sockets get a short grace.
      FLAGDESK_SHUTDOWN_TIMEOUT_MS: '2000',
    });
  }

  async function publishValue(featureName: string, value: string): Promise<void> {
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.id}/features/${features[featureName]}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: value } }],
      publish_immediately: true,
    });
  }

  /** The environment default's value Production serves now. */
  async function servedValue(featureName: string): Promise<unknown> {
    const states = await adminApi<{ results: { feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${features[featureName]}`);
    return states.results[0]?.feature_state_value;
  }

  beforeAll(async () => {
    rendererDir = ensureRendererBuilt();
    dataDir = tempDataDir();
    server = await startServer('0');
    // The page's origin must stay valid across the restart: the server comes back on this port.
    port = new URL(server.url).port;
    token = (await adminApi<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', ADMIN)).key;
    const organisation = (await adminApi<{ results: { id: number; name: string }[] }>(server, token, 'GET', '/api/v1/organisations/')).results.find((o) => o.name === 'Offline Org')!;
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    for (const [name, initial_value, default_enabled] of [
      ['checkout_banner', 'Welcome', true],
      ['price_experiment', '10', true],
      ['search_v2', 'off', false],
    ] as const) {
      features[name] = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name, initial_value, default_enabled })).id;
    }
    await enableV2AndWait(server, token, production);
    await publishValue('price_experiment', '20');
    await publishValue('price_experiment', '30');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Signs in, waits for the replica's first replication, and opens Production's feature list. */
  async function openProduction(page: Page): Promise<SyncIndicator> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    const sync = new SyncIndicator(page);
    await signIn.open(server.url);
    await signIn.signIn(ADMIN.email, ADMIN.password);
    await dashboard.waitUntilSignedIn();
    await sync.waitForInitialReplication();
    await sync.waitFor('Online', { pending: 0 });
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', 'Production');
    await dashboard.featureTable('Production').waitFor();
    return sync;
  }

  test('with the server stopped: browses, compares versions, edits a draft and queues its publish; on restart the publish runs', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const dashboard = new DashboardPage(page);
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      const sync = await openProduction(page);

      await server.stop();
      await sync.waitFor('Offline');
      await screenshotFullPage(page, 'offline-indicator');

      // Browse what the replica holds: the feature list, a feature, its history and a comparison.
      expect((await dashboard.featureRows('Production')).map(([name, , value]) => [name, value])).toEqual([
        ['checkout_banner', 'Welcome'],
        ['price_experiment', '30'],
        ['search_v2', 'off'],
      ]);
      // A search runs on the replica too (the REST API is gone).
      await dashboard.searchFeatures('price');
      await dashboard.featureTable('Production').getByRole('button', { name: 'checkout_banner', exact: true }).waitFor({ state: 'detached' });
      expect((await dashboard.featureRows('Production')).map(([name, , value]) => [name, value])).toEqual([['price_experiment', '30']]);
      await environment.openFeature('price_experiment');
      await feature.heading('price_experiment').waitFor();
      await feature.tab('History').click();
      await feature.historyRows('price_experiment').nth(2).waitFor();
      expect(await feature.historySummary('price_experiment')).toEqual([
        ['Live', 'On "30"'],
        ['Published', 'On "20"'],
        ['Published', 'On 10'],
      ]);
      await feature.tickVersion('price_experiment', 0);
      await feature.tickVersion('price_experiment', 2);
      await feature.compare();
      await feature.changes(feature.comparison).first().waitFor();
      expect(await feature.changes(feature.comparison).allTextContents()).toEqual(['Changed the value of the environment default from 10 to "30"']);
      await screenshotFullPage(page, 'offline-history-compare');

      // Edit a feature on its local draft and queue the publish.
      await feature.backLink.click();
      await environment.openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.editDefaultValue('Hello offline');
      await feature.changes(feature.draft).first().waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual(['Changed the value of the environment default from "Welcome" to "Hello offline"']);
      await feature.publish();
      await feature.intentStatus('Queued: publishes when the server is reachable.').waitFor();
      // The draft and the publish wait to be sent.
      await sync.waitFor('Offline', { pending: 2 });
      expect(await sync.text()).toBe('Offline · 2 pending');
      await screenshotFullPage(page, 'offline-queued-publish');
      await sync.openPanel();
      await sync.panel.getByText('Queued: publishes when the server is reachable.').waitFor();
      await sync.panel.getByRole('link', { name: /checkout_banner/ }).first().waitFor();
      await screenshotFullPage(page, 'outbox-panel');
      await sync.closePanel();

      server = await startServer(port);
      await sync.waitFor('Online', { pending: 0, conflicts: 0 });
      await feature.intentStatus('Published.').waitFor();
      expect(await servedValue('checkout_banner')).toBe('Hello offline');
      await feature.backLink.click();
      await dashboard.featureTable('Production').getByText('Hello offline').waitFor();
      await screenshotFullPage(page, 'offline-reconciled');
      expect(withoutNetworkErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a publish queued offline that a newer version made stale comes back as a conflict, and publishes once resolved', async () => {
    // Independent of how the first test ended: the server must be up.
    if (server.child.exitCode !== null || server.child.signalCode !== null) server = await startServer(port);
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      const conflictView = new ChangeRequestPage(page);
      const sync = await openProduction(page);
      await environment.openFeature('search_v2');
      await feature.heading('search_v2').waitFor();

      // The browser loses the network; the server stays up for the other admin.
      await context.setOffline(true);
      await feature.editDefaultValue('mine');
      await feature.publish();
      await feature.intentStatus('Queued: publishes when the server is reachable.').waitFor();
      // The replica finds out when it next tries to reach the server (pushing the draft).
      await sync.waitFor('Offline');
      await publishValue('search_v2', 'theirs');

      await context.setOffline(false);
      await feature.conflictBanner.waitFor();
      // Never a silent overwrite: the server kept the newer version, and the indicator counts the conflict.
      await sync.waitFor('Online', { pending: 0, conflicts: 1 });
      expect(await servedValue('search_v2')).toBe('theirs');
      await screenshotFullPage(page, 'offline-conflict');

      await feature.resolveButton.click();
      await conflictView.conflictTable.waitFor();
      expect(await conflictView.conflictRows()).toEqual([['search_v2: Environment default · value', '"off"', '"theirs"', '"mine"']]);
      await screenshotFullPage(page, 'offline-conflict-view');
      await conflictView.choice('search_v2: Environment default · value', 'Keep mine').check();
      await feature.applyResolution();
      await conflictView.conflictTable.waitFor({ state: 'detached' });
      await feature.changes(feature.draft).first().waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual(['Changed the value of the environment default from "theirs" to "mine"']);
      await feature.publish();
      await feature.intentStatus('Published.').waitFor();
      expect(await servedValue('search_v2')).toBe('mine');
      // The published draft's pending mark goes with it (its deletion ends the wait for its push).
      await sync.waitFor('Online', { pending: 0, conflicts: 0 });
      expect(withoutNetworkErrors(errors)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
