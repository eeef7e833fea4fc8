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
import { adminApi, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';

const ADMIN = { email: 'admin@impact.test', password: 'a long e2e password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}

/** Issue 14 in Chromium against a real server: a draft's impact over the stored identities, and reverting a committed change request. */
describe('impact preview and revert in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let production: Env;
  let banner: number;

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Impact Org');
    ({ server, dataDir, token } = started);
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: started.organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    banner = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'checkout_banner', initial_value: 'Welcome', default_enabled: true })).id;
    await adminApi(server, token, 'POST', `/api/v1/projects/${project.id}/segments/`, { name: 'beta_users', rules: [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'beta' }] }] }] });
    await enableV2AndWait(server, token, production);
    // 30 identities as an SDK would create them; every third is on the beta plan.
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${server.url}/api/v1/identities/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-environment-key': production.api_key },
        body: JSON.stringify({ identifier: `shopper-${i}`, traits: [{ trait_key: 'plan', trait_value: i % 3 === 0 ? 'beta' : 'free' }] }),
      });
      expect(response.status).toBe(200);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function openProduction(page: Page): Promise<void> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    await signIn.open(server.url);
    await signIn.signIn(ADMIN.email, ADMIN.password);
    await dashboard.waitUntilSignedIn();
    await new SyncIndicator(page).waitForInitialReplication();
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', 'Production');
    await dashboard.featureTable('Production').waitFor();
  }

  async function servedValue(): Promise<unknown> {
    const states = await adminApi<{ results: { feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${banner}`);
    return states.results[0]?.feature_state_value;
  }

  test('the draft panel says who a new override changes, by rule, before anything is published', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const feature = new FeaturePage(page);
      await openProduction(page);
      await new EnvironmentPage(page).openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.addOverride('beta_users');
      await feature.overrideValue('beta_users').fill('Hello beta');
      await feature.saveDraft();
      await feature.changes(feature.draft).first().waitFor();

      const impact = feature.draft.getByRole('region', { name: 'Who this draft affects' });
      await impact.getByRole('button', { name: 'Preview impact' }).click();
      await impact.getByText('Changes the value for 10 of 30 known identities (33.3% affected).').waitFor();
      expect(await impact.getByRole('list', { name: 'By deciding rule' }).getByRole('listitem').allTextContents()).toEqual([
        'Environment default20 decided · no change',
        'Segment “beta_users”10 decided · 10 changed',
      ]);
      await screenshotFullPage(page, 'impact-draft-panel');
      expect(await servedValue()).toBe('Welcome');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a committed change request is reverted in one step from its page', async () => {
    const created = await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/environments/${production.api_key}/create-change-request/`, {
      title: 'Spring sale',
      change_sets: [{ feature: banner, feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'Sale!' } }] }],
    });
    await adminApi(server, token, 'POST', `/api/v1/features/workflows/change-requests/${created.id}/commit/`);
    expect(await servedValue()).toBe('Sale!');

    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const requests = new ChangeRequestPage(page);
      await openProduction(page);
      await new EnvironmentPage(page).openScreen('Change requests');
      await requests.open('Production', /Spring sale/);
      await requests.heading(/Spring sale/).waitFor();
      const revert = page.getByRole('region', { name: 'Revert this change request' });
      await revert.getByRole('button', { name: 'Preview impact' }).click();
      await revert.getByText('Changes the value for 30 of 30 known identities (100% affected).').waitFor();
      await revert.getByRole('button', { name: 'Revert…' }).click();
      await page.getByRole('dialog', { name: 'Revert “Spring sale”?' }).getByRole('button', { name: 'Revert now' }).click();
      await revert.getByText('Reverted checkout_banner.').waitFor();
      await screenshotFullPage(page, 'impact-revert-change-request');
      expect(await servedValue()).toBe('Welcome');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
