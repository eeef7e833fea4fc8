import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openIsolatedPage, screenshotFullPage } from '../support/browser.js';
import type { ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { EnvironmentPage } from '../support/pages/environment.page.js';
import { FeaturePage } from '../support/pages/feature.page.js';
import { ChangeRequestPage } from '../support/pages/change-request.page.js';
import { SyncIndicator } from '../support/pages/sync-indicator.page.js';
import { adminApi, eventually, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';

const ADMIN = { email: 'admin@governance.test', password: 'a long e2e password' };
const RELEASER = { email: 'releaser@governance.test', password: 'another long password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}

/** Issue 12 §2 through the UI: on an environment that requires approvals nothing goes live without one. */
describe('governance of an approval environment in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let production: Env;
  const features: Record<string, number> = {};

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Governed Org');
    ({ server, dataDir, token } = started);
    const releaser = await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/organisations/${started.organisation.id}/users/`, { ...RELEASER, role: 'ADMIN' });
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: started.organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    for (const [name, initial_value] of [
      ['dark_mode', null],
      ['checkout_banner', 'Welcome'],
    ] as const) {
      features[name] = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name, initial_value, default_enabled: false })).id;
    }
    await enableV2AndWait(server, token, production);
    await adminApi(server, token, 'PATCH', `/api/v1/environments/${production.api_key}/`, { minimum_change_request_approvals: 1 });
    // The releaser is the one person allowed past the approvals, explicitly.
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.api_key}/user-permissions/`, { user: releaser.id, permissions: ['BYPASS_CHANGE_REQUESTS'] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function openProduction(page: Page, user: { email: string; password: string }): Promise<void> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    await signIn.open(server.url);
    await signIn.signIn(user.email, user.password);
    await dashboard.waitUntilSignedIn();
    await new SyncIndicator(page).waitForInitialReplication();
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', 'Production');
    await dashboard.featureTable('Production').waitFor();
  }

  async function served(featureName: string): Promise<{ enabled: boolean; feature_state_value: unknown }> {
    const states = await adminApi<{ results: { enabled: boolean; feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${features[featureName]}`);
    return states.results[0]!;
  }

  test('the list switch asks, then makes a change request instead of publishing; the API refuses a direct publish', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      await openProduction(page, ADMIN);
      // Keyboard, as the issue found it: focus the switch and press Enter.
      await environment.featureSwitch('dark_mode', 'Production').focus();
      await page.keyboard.press('Enter');
      const dialog = environment.approvalDialog('Production');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('Turning dark_mode on in Production creates a change request. Nothing changes until it is approved and committed.');
      await screenshotFullPage(page, 'governance-toggle-asks');
      expect((await served('dark_mode')).enabled).toBe(false);
      await dialog.getByRole('button', { name: 'Create change request' }).click();
      await new ChangeRequestPage(page).heading(/Turn dark_mode on$/).waitFor();
      await screenshotFullPage(page, 'governance-toggle-change-request');
      expect((await served('dark_mode')).enabled).toBe(false);
      const list = await adminApi<{ results: { title: string; is_committed: boolean }[] }>(server, token, 'GET', `/api/v1/features/workflows/change-requests/?environment=${production.id}`);
      expect(list.results.map((c) => [c.title, c.is_committed])).toEqual([['Turn dark_mode on', false]]);

      const draft = await adminApi<{ uuid: string }>(server, token, 'POST', `/api/v1/environments/${production.id}/features/${features.dark_mode}/versions/`, { feature_states_to_update: [{ feature_segment: null, enabled: true }] });
      await expect(adminApi(server, token, 'POST', `/api/v1/environments/${production.id}/features/${features.dark_mode}/versions/${draft.uuid}/publish/`, {})).rejects.toThrow(
        /→ 403: .*This endpoint cannot be used when change requests are enabled/,
      );
      expect((await served('dark_mode')).enabled).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('the bypass is a separate action for the one who holds it, and the audit log records it', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const feature = new FeaturePage(page);
      await openProduction(page, RELEASER);
      await new EnvironmentPage(page).openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.editDefaultValue('Released');
      await feature.draft.getByRole('button', { name: 'Request change' }).waitFor();
      expect(await feature.draft.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0);
      await screenshotFullPage(page, 'governance-draft-actions');
      await feature.publishWithoutApproval();
      await eventually(async () => ((await served('checkout_banner')).feature_state_value === 'Released' ? true : undefined), 'the bypassed publish to go live');
      const audit = await adminApi<{ results: { log: string }[] }>(server, token, 'GET', `/api/v1/audit/?search=${encodeURIComponent('Change request requirement bypassed')}`);
      expect(audit.results.map((r) => r.log)).toEqual([expect.stringMatching(/^Change request requirement bypassed: publish of version .* of feature 'checkout_banner'$/)]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
