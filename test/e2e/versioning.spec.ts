import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openIsolatedPage, screenshotFullPage, screenshotPath } from '../support/browser.js';
import type { ServerProcess } from '../support/server-process.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { EnvironmentPage } from '../support/pages/environment.page.js';
import { FeaturePage } from '../support/pages/feature.page.js';
import { SyncIndicator } from '../support/pages/sync-indicator.page.js';
import { adminApi, enableV2AndWait, startDashboardServer } from './e2e-fixtures.js';

const ADMIN = { email: 'admin@versions.test', password: 'a long e2e password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}

describe('feature versioning screens in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let production: Env;
  let development: Env;
  const features: Record<string, number> = {};

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Versions Org');
    ({ server, dataDir, token } = started);
    const organisation = started.organisation;
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id, description: 'Live traffic' });
    development = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Development', project: project.id });
    // Staging stays on v1 until a test turns versioning on from its settings.
    await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Staging', project: project.id });
    for (const [name, initial_value, default_enabled] of [
      ['checkout_banner', 'Welcome', true],
      ['dark_mode', null, false],
      ['price_experiment', '10', true],
      ['search_v2', 'off', false],
    ] as const) {
      features[name] = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name, initial_value, default_enabled })).id;
    }
    const rules = (value: string) => [{ type: 'ALL', rules: [{ type: 'ANY', conditions: [{ operator: 'EQUAL', property: 'plan', value }] }] }];
    await adminApi(server, token, 'POST', `/api/v1/projects/${project.id}/segments/`, { name: 'beta_users', rules: rules('beta') });
    await adminApi(server, token, 'POST', `/api/v1/projects/${project.id}/segments/`, { name: 'enterprise', rules: rules('enterprise') });
    await enableV2AndWait(server, token, production);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function openEnvironment(page: Page, environmentName: string): Promise<void> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    await signIn.open(server.url);
    await signIn.signIn(ADMIN.email, ADMIN.password);
    await dashboard.waitUntilSignedIn();
    // Once the replica's first replication finished, v2 screens edit the local draft and queue intents,
    // as a signed-in user's dashboard does a moment after sign-in (issue 6).
    await new SyncIndicator(page).waitForInitialReplication();
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', environmentName);
    await dashboard.featureTable(environmentName).waitFor();
  }

  /** The environment default's value Production serves now. */
  async function servedValue(featureName: string): Promise<unknown> {
    const states = await adminApi<{ results: { feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${features[featureName]}`);
    return states.results[0]?.feature_state_value;
  }

  /** Publishes a version of `feature` in Production with the environment default's value `value`. */
  async function publishValue(featureName: string, value: string): Promise<void> {
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.id}/features/${features[featureName]}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: value } }],
      publish_immediately: true,
    });
  }

  test('edits the local draft of a v2 feature, shows its diff against live, and publishes it through a queued intent', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Production');
      await page.screenshot({ path: screenshotPath('features-v2-list') });

      await environment.openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.defaultValue.fill('Hello v2');
      await feature.addOverride('beta_users');
      await feature.overrideValue('beta_users').fill('Hello beta');
      await feature.saveDraft();

      await feature.draft.waitFor();
      await feature.changes(feature.draft).first().waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual([
        'Changed the value of the environment default from "Welcome" to "Hello v2"',
        'Added an override for segment \'beta_users\' at priority 0 (enabled, value "Hello beta")',
      ]);
      // Nothing is live before publishing.
      expect(await servedValue('checkout_banner')).toBe('Welcome');
      await screenshotFullPage(page, 'feature-draft-diff');

      // Publish queues an intent; the server runs it and its answer comes back through replication.
      await feature.publish();
      await feature.intentStatus('Published.').waitFor();
      await feature.draft.waitFor({ state: 'detached' });
      // Drafts and versions replicate separately: the draft's tombstone may arrive a moment before the new version.
      await expect.poll(() => feature.defaultValue.inputValue()).toBe('Hello v2');
      expect(await servedValue('checkout_banner')).toBe('Hello v2');

      await feature.backLink.click();
      await page.getByRole('table', { name: 'Features in Production' }).getByRole('rowheader', { name: /checkout_banner/ }).waitFor();
      await page.getByRole('table', { name: 'Features in Production' }).getByText('Hello v2').waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('the environment toggle in the feature list publishes a version on v2 through a queued intent', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Production');
      const toggle = environment.featureSwitch('dark_mode', 'Production');
      expect(await toggle.getAttribute('aria-checked')).toBe('false');
      await toggle.click();
      await page.waitForFunction(() => document.querySelector('[role="switch"][aria-label="dark_mode in Production"]')?.getAttribute('aria-checked') === 'true');
      const served = await adminApi<{ results: { enabled: boolean }[] }>(server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${features.dark_mode}`);
      expect(served.results.map((s) => s.enabled)).toEqual([true]);
      // The switch went through the replica: its publish is in the outbox, answered by the server.
      const sync = new SyncIndicator(page);
      await sync.openPanel();
      await sync.panel.getByRole('listitem').filter({ hasText: 'dark_mode in Production' }).filter({ hasText: 'Published.' }).waitFor();
      await sync.closePanel();

      await environment.openFeature('dark_mode');
      await feature.tab('History').click();
      await feature.historyRows('dark_mode').nth(1).waitFor();
      expect((await feature.historySummary('dark_mode')).map(([status]) => status)).toEqual(['Live', 'Published']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('History lists versions newest first, compares two, and rolls back after confirmation', async () => {
    await publishValue('price_experiment', '20');
    await publishValue('price_experiment', '30');
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Production');
      await environment.openFeature('price_experiment');
      await feature.tab('History').click();
      await feature.historyRows('price_experiment').nth(2).waitFor();
      expect(await feature.historySummary('price_experiment')).toEqual([
        ['Live', 'On "30"'],
        ['Published', 'On "20"'],
        ['Published', 'On 10'],
      ]);
      await screenshotFullPage(page, 'feature-history');

      await feature.tickVersion('price_experiment', 0);
      await feature.tickVersion('price_experiment', 2);
      await feature.compare();
      await feature.changes(feature.comparison).first().waitFor();
      expect(await feature.changes(feature.comparison).allTextContents()).toEqual(['Changed the value of the environment default from 10 to "30"']);
      expect(await feature.comparison.getByRole('row', { name: 'Environment default value changed' }).count()).toBe(1);
      await screenshotFullPage(page, 'feature-history-compare');

      await feature.rollBack('price_experiment', 2);
      await feature.dialog.waitFor();
      await page.screenshot({ path: screenshotPath('feature-rollback-confirm') });
      await feature.dialog.getByRole('button', { name: 'Roll back' }).click();
      await feature.notice.filter({ hasText: 'Rolled back' }).waitFor();
      await feature.historyRows('price_experiment').nth(3).waitFor();
      expect((await feature.historySummary('price_experiment'))[0]).toEqual(['Live', 'On 10']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('enables Feature Versioning from the settings and follows the migration until it is done', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      await openEnvironment(page, 'Staging');
      await environment.openScreen('Settings');
      await environment.versioningSwitch.waitFor();
      expect(await environment.versioningSwitch.getAttribute('aria-checked')).toBe('false');
      await page.screenshot({ path: screenshotPath('settings-v1') });

      await environment.versioningSwitch.click();
      await environment.migrationProgress.waitFor();
      await page.screenshot({ path: screenshotPath('settings-migrating') });
      await environment.versioningStatus.filter({ hasText: 'On: every change is a version' }).waitFor();
      await environment.migrationProgress.waitFor({ state: 'detached' });
      await environment.summaryBadge('Versioned (v2)').waitFor();
      expect(await environment.versioningSwitch.getAttribute('aria-checked')).toBe('true');
      await page.screenshot({ path: screenshotPath('settings-v2') });

      // Turning it off asks for an explicit acknowledgement first.
      await environment.versioningSwitch.click();
      const dialog = page.getByRole('dialog', { name: 'Turn off feature versioning?' });
      await dialog.waitFor();
      expect(await dialog.getByRole('button', { name: 'Turn off versioning' }).isDisabled()).toBe(true);
      await page.screenshot({ path: screenshotPath('settings-disable-confirm') });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('jumps to a feature with the command palette and shows webhooks and the audit log', async () => {
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.api_key}/webhooks/`, { url: 'http://127.0.0.1:9/unreachable' });
    await publishValue('search_v2', 'on');
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Production');
      await environment.openPalette();
      await page.getByRole('option', { name: /checkout_banner/ }).waitFor();
      await page.screenshot({ path: screenshotPath('command-palette') });
      await environment.jumpTo('search');
      await feature.heading('search_v2').waitFor();

      await environment.openScreen('Webhooks');
      await environment.webhookList().getByText('http://127.0.0.1:9/unreachable').waitFor();
      await environment.webhookList().getByRole('button', { name: 'Show deliveries' }).click();
      await page.locator('.delivery-log').waitFor();
      await screenshotFullPage(page, 'webhooks');

      await environment.openScreen('Audit log');
      await environment.auditTable.waitFor();
      expect(await environment.auditTable.locator('tbody tr').count()).toBeGreaterThan(0);
      await screenshotFullPage(page, 'audit-log');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('creates a segment with a rules tree that the server accepts', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      await openEnvironment(page, 'Production');
      await environment.openScreen('Segments');
      await environment.segmentTable.getByRole('button', { name: 'beta_users' }).waitFor();
      await page.getByRole('button', { name: 'New segment' }).click();
      const form = environment.segmentForm('New segment');
      await form.getByLabel('Name').fill('power_users');
      await form.getByLabel('Rule 1 condition 1 trait').fill('plan');
      await form.getByLabel('Rule 1 condition 1 value').fill('pro');
      await form.getByRole('button', { name: 'Add nested rule' }).click();
      await form.getByLabel('Rule 1.1 condition 1 trait').fill('seats');
      await form.getByLabel('Rule 1.1 condition 1 operator').selectOption('GREATER_THAN');
      await form.getByLabel('Rule 1.1 condition 1 value').fill('50');
      await form.getByRole('button', { name: 'Create segment' }).click();
      await environment.segmentForm('Segment power_users').waitFor();
      await environment.segmentTable.getByRole('button', { name: 'power_users' }).waitFor();
      await screenshotFullPage(page, 'segments');
      const project = (await adminApi<{ results: { project: number }[] }>(server, token, 'GET', `/api/v1/environments/?page_size=10`)).results[0]!.project;
      const segments = await adminApi<{ results: { name: string; rules: unknown }[] }>(server, token, 'GET', `/api/v1/projects/${project}/segments/`);
      expect(segments.results.find((s) => s.name === 'power_users')?.rules).toMatchObject([
        { type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }], rules: [{ type: 'ANY', conditions: [{ operator: 'GREATER_THAN', property: 'seats', value: '50' }] }] },
      ]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('on a v1 environment saves the value and a segment override straight to the live flags', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Development');
      await environment.openFeature('search_v2');
      await feature.heading('search_v2').waitFor();
      expect(await feature.tab('History').count()).toBe(0);
      await feature.defaultValue.fill('on');
      await feature.enabledSwitch('Development').click();
      await feature.addOverride('enterprise');
      await feature.overrideValue('enterprise').fill('beta');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await feature.notice.filter({ hasText: 'Saved.' }).waitFor();
      await screenshotFullPage(page, 'feature-v1-editor');

      const states = await adminApi<{ results: { enabled: boolean; feature_segment: number | null; feature_state_value: { string_value: string | null } }[] }>(
        server, token, 'GET', `/api/v1/features/featurestates/?environment=${development.id}&feature=${features.search_v2}`,
      );
      expect(states.results.map((s) => [s.feature_segment === null ? 'default' : 'override', s.enabled, s.feature_state_value.string_value])).toEqual([
        ['default', true, 'on'],
        ['override', true, 'beta'],
      ]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('splits a multivariate feature between its variations in a draft', async () => {
    const project = (await adminApi<{ results: { project: number }[] }>(server, token, 'GET', '/api/v1/environments/?page_size=1')).results[0]!.project;
    const created = await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project}/features/`, {
      name: 'banner_colour',
      initial_value: 'grey',
      multivariate_options: [
        { type: 'unicode', string_value: 'red', default_percentage_allocation: 0 },
        { type: 'unicode', string_value: 'blue', default_percentage_allocation: 0 },
      ],
    });
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const environment = new EnvironmentPage(page);
      const feature = new FeaturePage(page);
      await openEnvironment(page, 'Production');
      await environment.openFeature('banner_colour');
      await feature.weight('red', 'the environment default').fill('30');
      await feature.weight('blue', 'the environment default').fill('20');
      await feature.saveDraft();
      await feature.changes(feature.draft).nth(1).waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual([
        // Every environment default got each option at its default allocation (0%) when the feature was created.
        "Changed the weight of option 'red' in the environment default from 0% to 30%",
        "Changed the weight of option 'blue' in the environment default from 0% to 20%",
      ]);
      await screenshotFullPage(page, 'feature-multivariate-draft');
      await feature.publish();
      await feature.intentStatus('Published.').waitFor();
      await feature.draft.waitFor({ state: 'detached' });
      const states = await adminApi<{ results: { multivariate_feature_state_values: { percentage_allocation: number }[] }[] }>(
        server, token, 'GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${created.id}`,
      );
      expect(states.results[0]!.multivariate_feature_state_values.map((m) => m.percentage_allocation).sort()).toEqual([20, 30]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
