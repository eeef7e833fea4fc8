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
import { adminApi, eventually, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';
import { withoutNetworkErrors } from './replica-fixtures.js';

/*
 * Issue 6: two admins edit one draft while both are offline (two browser contexts, each with its own
 * replica); back online, both pages converge to the same draft holding both edits (Yjs), and so does the
 * server's draft.
 */

const ALICE = { email: 'alice@two-admins.test', password: 'a long e2e password' };
const BOB = { email: 'bob@two-admins.test', password: 'another long password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}
interface FeatureStateWire {
  enabled: boolean;
  feature_segment: number | null;
  feature_state_value: unknown;
}

describe('two admins editing one draft offline in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let production: Env;
  let featureId: number;

  beforeAll(async () => {
    const started = await startDashboardServer(ALICE, 'Two Admins Org', { FLAGDESK_SHUTDOWN_TIMEOUT_MS: '2000' });
    ({ server, dataDir, token } = started);
    const organisation = started.organisation;
    await adminApi(server, token, 'POST', `/api/v1/organisations/${organisation.id}/users/`, { ...BOB, role: 'ADMIN' });
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    featureId = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'checkout_banner', initial_value: 'Welcome', default_enabled: false })).id;
    await enableV2AndWait(server, token, production);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function openFeature(page: Page, user: { email: string; password: string }): Promise<SyncIndicator> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    const sync = new SyncIndicator(page);
    await signIn.open(server.url);
    await signIn.signIn(user.email, user.password);
    await dashboard.waitUntilSignedIn();
    await sync.waitForInitialReplication();
    await sync.waitFor('Online', { pending: 0 });
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', 'Production');
    await new EnvironmentPage(page).openFeature('checkout_banner');
    await new FeaturePage(page).heading('checkout_banner').waitFor();
    return sync;
  }

  test('both edit the same draft offline (one enables it, the other changes the value) and converge to one draft with both edits', async () => {
    // The shared draft, made by a script through the Admin API before either admin opens the feature.
    const draft = await adminApi<{ uuid: string }>(server, token, 'POST', `/api/v1/environments/${production.id}/features/${featureId}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'Draft start' } }],
    });
    const alice = await openIsolatedPage(browser);
    const bob = await openIsolatedPage(browser);
    try {
      const aliceFeature = new FeaturePage(alice.page);
      const bobFeature = new FeaturePage(bob.page);
      const aliceSync = await openFeature(alice.page, ALICE);
      const bobSync = await openFeature(bob.page, BOB);
      for (const feature of [aliceFeature, bobFeature]) {
        await feature.changes(feature.draft).first().waitFor();
        expect(await feature.changes(feature.draft).allTextContents()).toEqual(['Changed the value of the environment default from "Welcome" to "Draft start"']);
      }

      // Both lose the network; each replica notices when it tries to push its edit.
      await alice.context.setOffline(true);
      await bob.context.setOffline(true);
      await aliceFeature.enabledSwitch('Production').click();
      await aliceFeature.saveDraft();
      await bobFeature.editDefaultValue('Hello from Bob');
      await aliceFeature.changes(aliceFeature.draft).filter({ hasText: 'Enabled the environment default' }).waitFor();
      await bobFeature.changes(bobFeature.draft).filter({ hasText: 'Hello from Bob' }).waitFor();
      await aliceSync.waitFor('Offline', { pending: 1 });
      await bobSync.waitFor('Offline', { pending: 1 });
      await screenshotFullPage(alice.page, 'two-admins-offline-alice');
      await screenshotFullPage(bob.page, 'two-admins-offline-bob');

      await alice.context.setOffline(false);
      await bob.context.setOffline(false);
      const both = ['Enabled the environment default', 'Changed the value of the environment default from "Welcome" to "Hello from Bob"'];
      for (const [feature, sync] of [
        [aliceFeature, aliceSync],
        [bobFeature, bobSync],
      ] as const) {
        await sync.waitFor('Online', { pending: 0, conflicts: 0 });
        await feature.changes(feature.draft).nth(1).waitFor();
        await eventually(async () => ((await feature.changes(feature.draft).allTextContents()).join('\n') === both.join('\n') ? true : undefined), 'both edits in the draft');
        expect(await feature.enabledSwitch('Production').getAttribute('aria-checked')).toBe('true');
        expect(await feature.defaultValue.inputValue()).toBe('Hello from Bob');
      }
      await screenshotFullPage(alice.page, 'two-admins-converged');

      // The server's draft has both edits too (and it is still the one draft both edited).
      const states = await adminApi<FeatureStateWire[]>(server, token, 'GET', `/api/v1/environments/${production.id}/features/${featureId}/versions/${draft.uuid}/featurestates/`);
      const environmentDefault = states.find((s) => s.feature_segment === null)!;
      expect(environmentDefault).toMatchObject({ enabled: true, feature_state_value: { type: 'unicode', string_value: 'Hello from Bob' } });
      const drafts = await adminApi<{ results: { uuid: string }[] }>(server, token, 'GET', `/api/v1/environments/${production.id}/features/${featureId}/versions/?published=false`);
      expect(drafts.results.map((v) => v.uuid)).toEqual([draft.uuid]);
      expect(withoutNetworkErrors([...alice.errors, ...bob.errors])).toEqual([]);
    } finally {
      await alice.context.close();
      await bob.context.close();
    }
  });
});
