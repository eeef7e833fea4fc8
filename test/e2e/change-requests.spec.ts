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

const ADMIN = { email: 'admin@cr.test', password: 'a long e2e password' };
const REVIEWER = { email: 'reviewer@cr.test', password: 'another long password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
}
interface ChangeRequestWire {
  id: number;
  status: string;
  is_committed: boolean;
  change_sets: { conflicts: unknown[] }[];
}

describe('change requests in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let token: string;
  let reviewerToken: string;
  let production: Env;
  /** v2 without required approvals: drafts there are published directly. */
  let development: Env;
  const features: Record<string, number> = {};

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'Review Org');
    ({ server, dataDir, token } = started);
    const organisation = started.organisation;
    const reviewer = await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/organisations/${organisation.id}/users/`, { ...REVIEWER, role: 'ADMIN' });
    reviewerToken = (await adminApi<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', REVIEWER)).key;
    const project = await adminApi<{ id: number }>(server, token, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    production = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id });
    development = await adminApi<Env>(server, token, 'POST', '/api/v1/environments/', { name: 'Development', project: project.id });
    for (const [name, initial_value] of [
      ['checkout_banner', 'Welcome'],
      ['search_v2', 'off'],
    ] as const) {
      features[name] = (await adminApi<{ id: number }>(server, token, 'POST', `/api/v1/projects/${project.id}/features/`, { name, initial_value, default_enabled: true })).id;
    }
    for (const env of [production, development]) {
      await enableV2AndWait(server, token, env);
    }
    await adminApi(server, token, 'PATCH', `/api/v1/environments/${production.api_key}/`, { minimum_change_request_approvals: 1 });
    // The overlapping change of the rebase test is published directly on Production: that needs the explicit, audited bypass.
    await adminApi(server, token, 'POST', `/api/v1/environments/${production.api_key}/user-permissions/`, { user: reviewer.id, permissions: ['BYPASS_CHANGE_REQUESTS'] });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function openEnvironment(page: Page, user: { email: string; password: string }, environmentName = 'Production'): Promise<void> {
    const signIn = new SignInPage(page);
    const dashboard = new DashboardPage(page);
    await signIn.open(server.url);
    await signIn.signIn(user.email, user.password);
    await dashboard.waitUntilSignedIn();
    // Once the replica's first replication finished, the feature page edits the local draft (issue 6).
    await new SyncIndicator(page).waitForInitialReplication();
    await dashboard.open('Projects', 'Storefront');
    await dashboard.open('Environments', environmentName);
    await dashboard.featureTable(environmentName).waitFor();
  }

  /** The environment default's value `env` (Production unless told) serves now, as the Admin API has it. */
  async function servedValue(featureName: string, env: Env = production): Promise<unknown> {
    const states = await adminApi<{ results: { feature_state_value: unknown }[] }>(server, token, 'GET', `/api/v1/environments/${env.api_key}/featurestates/?feature=${features[featureName]}`);
    return states.results[0]?.feature_state_value;
  }

  test('a draft becomes a change request, a second user approves it and commits it, and the change goes live', async () => {
    const author = await openIsolatedPage(browser);
    const reviewer = await openIsolatedPage(browser);
    try {
      const feature = new FeaturePage(author.page);
      const cr = new ChangeRequestPage(author.page);
      await openEnvironment(author.page, ADMIN);
      await new EnvironmentPage(author.page).openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.editDefaultValue('Hello reviewers');
      await feature.changes(feature.draft).first().waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual(['Changed the value of the environment default from "Welcome" to "Hello reviewers"']);
      // Production requires approvals: the local draft goes live through a change request, made on the server.
      await feature.draft.getByRole('button', { name: 'Request change' }).waitFor();
      await cr.requestChange('Greet the reviewers', [REVIEWER.email]);
      await cr.heading(/Greet the reviewers$/).waitFor();
      await cr.sentences('checkout_banner').first().waitFor();
      expect(await cr.sentences('checkout_banner').allTextContents()).toEqual(['Changed the value of the environment default from "Welcome" to "Hello reviewers"']);
      // The author cannot approve their own request, and it cannot be committed before an approval.
      expect(await cr.button('Approve').count()).toBe(0);
      expect(await cr.button('Commit now').isDisabled()).toBe(true);
      expect(await servedValue('checkout_banner')).toBe('Welcome');
      await cr.approvals.getByText(`Waiting for: ${REVIEWER.email}`).waitFor();
      await screenshotFullPage(author.page, 'change-request-created');

      const reviewerCr = new ChangeRequestPage(reviewer.page);
      await openEnvironment(reviewer.page, REVIEWER);
      await new EnvironmentPage(reviewer.page).openScreen('Change requests');
      await reviewerCr.list('Production').waitFor();
      expect(await reviewerCr.listRows('Production')).toEqual([[expect.stringContaining('Greet the reviewers'), 'Open', '0 of 1']]);
      await screenshotFullPage(reviewer.page, 'change-request-list');
      await reviewerCr.open('Production', /Greet the reviewers/);
      await reviewerCr.button('Approve').click();
      await reviewerCr.approvals.getByText('Current', { exact: true }).waitFor();
      await screenshotFullPage(reviewer.page, 'change-request-approved');
      await reviewerCr.button('Commit now').click();
      await reviewerCr.status('Committed').waitFor();
      expect(await servedValue('checkout_banner')).toBe('Hello reviewers');
      await screenshotFullPage(reviewer.page, 'change-request-committed');
      expect([...author.errors, ...reviewer.errors]).toEqual([]);
    } finally {
      await author.context.close();
      await reviewer.context.close();
    }
  });

  test('a scheduled change request that hit a conflict is rebased through the conflict view, keeping mine', async () => {
    // Arrange through the API: a change scheduled a few seconds ahead, approved and committed, then an
    // overlapping change published before it; the scheduler marks the request "needs rebase" at live_from.
    const liveFrom = new Date(Date.now() + 4000).toISOString();
    const created = await adminApi<ChangeRequestWire>(server, token, 'POST', `/api/v1/environments/${production.api_key}/create-change-request/`, {
      title: 'Turn search on at launch',
      change_sets: [{ feature: features.search_v2, live_from: liveFrom, feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'launch' } }] }],
    });
    await adminApi(server, reviewerToken, 'POST', `/api/v1/features/workflows/change-requests/${created.id}/approve/`);
    await adminApi(server, token, 'POST', `/api/v1/features/workflows/change-requests/${created.id}/commit/`);
    await adminApi(server, reviewerToken, 'POST', `/api/v1/environments/${production.id}/features/${features.search_v2}/versions/`, {
      feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'hotfix' } }],
      publish_immediately: true,
    });
    await eventually(async () => {
      const cr = await adminApi<ChangeRequestWire>(server, token, 'GET', `/api/v1/features/workflows/change-requests/${created.id}/`);
      return cr.status === 'needs_rebase' ? cr : undefined;
    }, 'the scheduled change request to hit its conflict');

    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const cr = new ChangeRequestPage(page);
      await openEnvironment(page, ADMIN);
      await new EnvironmentPage(page).openScreen('Change requests');
      await cr.list('Production').waitFor();
      expect((await cr.listRows('Production')).map(([title, status]) => [title!.replace(/^#\d+ /, ''), status])).toEqual([
        ['Turn search on at launch', 'Needs rebase'],
        ['Greet the reviewers', 'Committed'],
      ]);
      await cr.open('Production', /Turn search on at launch/);
      await cr.conflictTable.waitFor();
      expect(await cr.conflictRows()).toEqual([['search_v2: Environment default · value', '"off"', '"hotfix"', '"launch"']]);
      expect(await cr.rebaseButton.isDisabled()).toBe(true);
      await screenshotFullPage(page, 'change-request-conflict');

      // Keyboard only: focus the choice and select it with Space, then submit with Enter.
      await cr.choice('search_v2: Environment default · value', 'Keep mine').focus();
      await page.keyboard.press('Space');
      expect(await cr.choice('search_v2: Environment default · value', 'Keep mine').isChecked()).toBe(true);
      await cr.rebaseButton.focus();
      await page.keyboard.press('Enter');
      await cr.status('Open').waitFor();
      await cr.conflictTable.waitFor({ state: 'detached' });
      expect(await cr.sentences('search_v2').allTextContents()).toEqual(['Changed the value of the environment default from "hotfix" to "launch"']);
      await screenshotFullPage(page, 'change-request-rebased');

      const rebased = await adminApi<ChangeRequestWire>(server, token, 'GET', `/api/v1/features/workflows/change-requests/${created.id}/`);
      expect(rebased).toMatchObject({ status: 'open', is_committed: false });
      expect(rebased.change_sets[0]!.conflicts).toEqual([]);
      expect(await servedValue('search_v2')).toBe('hotfix');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a draft whose queued publish came back as a conflict is resolved in the conflict view and then published', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const feature = new FeaturePage(page);
      const cr = new ChangeRequestPage(page);
      const sync = new SyncIndicator(page);
      const conflictInOutbox = () => sync.panel.getByRole('listitem').filter({ hasText: 'checkout_banner in Development: the queued publish conflicts with a newer version' });
      // Production requires approvals, where a draft goes live through a change request: publish in Development.
      await openEnvironment(page, ADMIN, 'Development');
      await new EnvironmentPage(page).openFeature('checkout_banner');
      await feature.heading('checkout_banner').waitFor();
      await feature.editDefaultValue('Mine from the draft');
      await feature.draft.getByRole('button', { name: 'Publish', exact: true }).waitFor();
      // Someone publishes another value meanwhile.
      await adminApi(server, token, 'POST', `/api/v1/environments/${development.id}/features/${features.checkout_banner}/versions/`, {
        feature_states_to_update: [{ feature_segment: null, feature_state_value: { type: 'unicode', string_value: 'Theirs' } }],
        publish_immediately: true,
      });
      await feature.publish();
      // The server answers the queued publish with a conflict: the outbox lists it, the page shows the banner.
      await sync.openPanel();
      await conflictInOutbox().waitFor();
      await sync.closePanel();
      await feature.conflictBanner.waitFor();
      expect(await servedValue('checkout_banner', development)).toBe('Theirs');
      // The newer version reached this device: the draft now compares with it.
      await feature.changes(feature.draft).filter({ hasText: 'from "Theirs"' }).waitFor();
      await feature.resolveButton.click();
      await cr.conflictTable.waitFor();
      expect(await cr.conflictRows()).toEqual([['checkout_banner: Environment default · value', '"Welcome"', '"Theirs"', '"Mine from the draft"']]);
      await screenshotFullPage(page, 'draft-conflict');
      await cr.choice('checkout_banner: Environment default · value', 'Keep mine').check();
      await feature.applyResolution();
      await feature.conflictBanner.waitFor({ state: 'detached' });
      await cr.conflictTable.waitFor({ state: 'detached' });
      // The resolution settles the conflicting publish.
      await sync.openPanel();
      await sync.panel.getByRole('heading', { name: 'Conflicts' }).waitFor();
      await conflictInOutbox().waitFor({ state: 'detached' });
      await sync.closePanel();
      await feature.changes(feature.draft).first().waitFor();
      expect(await feature.changes(feature.draft).allTextContents()).toEqual(['Changed the value of the environment default from "Theirs" to "Mine from the draft"']);
      await feature.publish();
      await feature.intentStatus('Published.').waitFor();
      await feature.draft.waitFor({ state: 'detached' });
      expect(await servedValue('checkout_banner', development)).toBe('Mine from the draft');
      // The conflict came back as the intent's answer, not as a failed request.
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
