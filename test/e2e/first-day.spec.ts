import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ensureRendererBuilt, launchChromium, openIsolatedPage, screenshotFullPage } from '../support/browser.js';
import { startServerProcess, tempDataDir, type ServerProcess } from '../support/server-process.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { AdminPage } from '../support/pages/admin.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';
import { EnvironmentPage } from '../support/pages/environment.page.js';
import { FeaturePage } from '../support/pages/feature.page.js';
import { ChangeRequestPage } from '../support/pages/change-request.page.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { adminApi, eventually } from './e2e-fixtures.js';

const ADMIN = { name: 'Ada Admin', email: 'ada@first-day.test', password: 'a long first-day password', organisation: 'Acme' };
const MEMBER = { name: 'Rene Reviewer', email: 'rene@first-day.test', password: 'another long password' };

interface Env {
  id: number;
  api_key: string;
  name: string;
  minimum_change_request_approvals: number | null;
}

/** A datetime-local value one day ahead, at 09:30 local time. */
function tomorrowLocal(): string {
  const d = new Date(Date.now() + 24 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T09:30`;
}

/**
 * A new administrator's first day on an empty server, through the UI only; every result is checked
 * through the Admin API as a script would see it. Screenshots go to test-results/screenshots/first-day-*.
 */
describe('the first day of a new administrator, in Chromium against an empty server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;
  let page: Page;
  let errors: string[];
  let closePage: () => Promise<void>;
  let token = '';
  const receiver = new WebhookReceiver();
  const api = <T>(method: string, path: string, body?: unknown) => adminApi<T>(server, token, method, path, body);
  const shot = (name: string) => screenshotFullPage(page, `first-day-${name}`);
  const environments = async () => (await api<{ results: Env[] }>('GET', '/api/v1/environments/?page_size=100')).results;
  const env = async (name: string) => (await environments()).find((e) => e.name === name)!;

  beforeAll(async () => {
    dataDir = tempDataDir();
    // No FLAGDESK_ADMIN_* variables: the server starts without any user.
    server = await startServerProcess({ FLAGDESK_DATA_DIR: dataDir, FLAGDESK_RENDERER_DIR: ensureRendererBuilt() });
    await receiver.start();
    browser = await launchChromium();
    const opened = await openIsolatedPage(browser);
    page = opened.page;
    errors = opened.errors;
    closePage = () => opened.context.close();
  }, 120_000);

  afterAll(async () => {
    await closePage?.();
    await browser?.close();
    await receiver.stop();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('signs up, builds a project, versions, approvals and a webhook without touching the API', { timeout: 300_000 }, async () => {
    const admin = new AdminPage(page);
    const dashboard = new DashboardPage(page);
    const environment = new EnvironmentPage(page);
    const feature = new FeaturePage(page);
    const changeRequests = new ChangeRequestPage(page);

    // 1. First run: the sign-in page offers to create the first administrator and organisation.
    await page.goto(`${server.url}/`);
    await admin.firstRunForm.waitFor();
    await shot('01-first-run');
    await admin.createFirstAdmin(ADMIN);
    await dashboard.waitUntilSignedIn();
    token = (await adminApi<{ key: string }>(server, null, 'POST', '/api/v1/auth/login/', { email: ADMIN.email, password: ADMIN.password })).key;
    const organisations = await api<{ results: { id: number; name: string; role: string }[] }>('GET', '/api/v1/organisations/');
    expect(organisations.results.map((o) => [o.name, o.role])).toEqual([['Acme', 'ADMIN']]);
    const organisationId = organisations.results[0]!.id;
    await shot('02-empty-organisation');

    // 2. A project and two environments, from the empty states.
    await admin.createProject('Storefront');
    const projects = await api<{ id: number; name: string }[]>('GET', `/api/v1/projects/?organisation=${organisationId}`);
    expect(projects.map((p) => p.name)).toEqual(['Storefront']);
    const projectId = projects[0]!.id;
    await admin.createEnvironment('Development');
    await admin.createEnvironment('Production');
    expect((await environments()).map((e) => e.name).sort()).toEqual(['Development', 'Production']);

    // 3. Three kinds of feature, created in Development (every environment gets them).
    await dashboard.open('Environments', 'Development');
    await shot('03-no-features');
    await admin.createFlag('dark_mode', false);
    await admin.fillJsonConfig('theme', '{"colour": "teal", "radius": 4}');
    await shot('04a-json-editor');
    await admin.submitNewFeature();
    await admin.createMultivariate('button_colour', 'grey', [['red', 30], ['blue', 20]]);
    await dashboard.featureTable('Development').getByRole('button', { name: 'button_colour', exact: true }).waitFor();
    await shot('04-three-features');
    const features = await api<{ results: { id: number; name: string; type: string; initial_value: string | null; multivariate_options: { string_value: string; default_percentage_allocation: number }[] }[] }>(
      'GET',
      `/api/v1/projects/${projectId}/features/?sort_field=name`,
    );
    expect(features.results.map((f) => [f.name, f.type, f.initial_value, f.multivariate_options.map((o) => [o.string_value, o.default_percentage_allocation])])).toEqual([
      ['button_colour', 'MULTIVARIATE', 'grey', [['red', 30], ['blue', 20]]],
      ['dark_mode', 'STANDARD', null, []],
      ['theme', 'STANDARD', '{"colour": "teal", "radius": 4}', []],
    ]);
    const featureId = (name: string) => features.results.find((f) => f.name === name)!.id;

    // 4. A segment.
    await environment.openScreen('Segments');
    await page.getByRole('button', { name: 'New segment' }).first().click();
    const segmentForm = environment.segmentForm('New segment');
    await segmentForm.getByLabel('Name').fill('beta_users');
    await segmentForm.getByLabel('Rule 1 condition 1 trait').fill('beta');
    await segmentForm.getByLabel('Rule 1 condition 1 value').fill('true');
    await segmentForm.getByRole('button', { name: 'Create segment' }).click();
    await environment.segmentForm('Segment beta_users').waitFor();
    const segments = await api<{ results: { name: string }[] }>('GET', `/api/v1/projects/${projectId}/segments/`);
    expect(segments.results.map((s) => s.name)).toEqual(['beta_users']);

    // 5. Feature Versioning on Production.
    await dashboard.open('Environments', 'Production');
    await environment.openScreen('Settings');
    await environment.versioningSwitch.click();
    await environment.versioningStatus.filter({ hasText: /^On: / }).waitFor({ timeout: 60_000 });
    await environment.summaryBadge('Versioned (v2)').waitFor();
    const production = await env('Production');
    expect((await api<{ versioning_status: string }>('GET', `/api/v1/environments/${production.api_key}/versioning-status/`)).versioning_status).toBe('v2');
    await shot('05-settings-versioned');

    // 6. Draft and publish: button_colour's control value in Production.
    await environment.openScreen('Features');
    await environment.openFeature('button_colour');
    await feature.heading('button_colour').waitFor();
    await feature.editDefaultValue('green');
    await feature.draft.waitFor();
    await shot('06-draft');
    await feature.publish();
    await feature.draft.waitFor({ state: 'detached' });
    const served = async (name: string) =>
      (await api<{ results: { feature_state_value: unknown; enabled: boolean }[] }>('GET', `/api/v1/environments/${production.api_key}/featurestates/?feature=${featureId(name)}`)).results[0]!;
    await eventually(async () => ((await served('button_colour')).feature_state_value === 'green' ? true : undefined), 'green to be live');

    // 7. Schedule a change for tomorrow, then cancel it (cancel: h12a, issue 12 section 3).
    await feature.editDefaultValue('purple');
    await feature.draft.getByRole('button', { name: 'Schedule…' }).click();
    await feature.draft.getByLabel('Go live at').fill(tomorrowLocal());
    await feature.draft.getByRole('button', { name: 'Queue schedule' }).click();
    const versionsPath = `/api/v1/environments/${production.id}/features/${featureId('button_colour')}/versions/`;
    type Version = { uuid: string; status: string; live_from: string | null };
    await eventually(async () => ((await api<{ results: Version[] }>('GET', versionsPath)).results.some((v) => v.status === 'scheduled') ? true : undefined), 'a scheduled version');
    await feature.tab('History').click();
    await feature.historyRows('button_colour').nth(2).waitFor();
    await shot('07-history-scheduled');
    await admin.cancelScheduled('button_colour');
    await eventually(async () => ((await api<{ results: Version[] }>('GET', versionsPath)).results.some((v) => v.status === 'scheduled') ? undefined : true), 'the schedule to be cancelled');
    // The cancelled version leaves History once its deletion has replicated: two rows, live and the first.
    await feature.historyRows('button_colour').nth(2).waitFor({ state: 'detached' });

    // 8. Compare the live version with the first one, and roll back to the first.
    await feature.tickVersion('button_colour', 0);
    await feature.tickVersion('button_colour', 1);
    await feature.compare();
    await feature.changes(feature.comparison).first().waitFor();
    expect(await feature.changes(feature.comparison).allTextContents()).toContain('Changed the value of the environment default from "grey" to "green"');
    await shot('08-compare');
    await feature.rollBack('button_colour', 1);
    await feature.dialog.getByRole('button', { name: 'Roll back' }).click();
    await feature.notice.filter({ hasText: 'Rolled back' }).waitFor();
    await eventually(async () => ((await served('button_colour')).feature_state_value === 'grey' ? true : undefined), 'the rollback to be live');

    // 9. Production requires one approval.
    await environment.openScreen('Settings');
    await admin.requireApprovals(1);
    expect((await env('Production')).minimum_change_request_approvals).toBe(1);

    // 10. A member who may approve change requests in Production.
    await admin.openOrganisation();
    await admin.addMember(MEMBER);
    await admin.grant(MEMBER.email, 'project Storefront', ['View project']);
    await admin.grant(MEMBER.email, 'environment Production', ['View environment', 'Create change requests', 'Approve change requests']);
    await shot('10-members');
    const members = await api<{ id: number; email: string; role: string }[]>('GET', `/api/v1/organisations/${organisationId}/users/`);
    expect(members.map((m) => [m.email, m.role]).sort()).toEqual([
      [ADMIN.email, 'ADMIN'],
      [MEMBER.email, 'USER'],
    ]);
    const grants = await api<{ user: { email: string }; permissions: string[] }[]>('GET', `/api/v1/environments/${production.api_key}/user-permissions/`);
    expect(grants.find((g) => g.user.email === MEMBER.email)?.permissions.sort()).toEqual(['APPROVE_CHANGE_REQUEST', 'CREATE_CHANGE_REQUEST', 'VIEW_ENVIRONMENT']);

    // 11. The switch on the protected environment makes a change request, never a direct publish (h12a).
    await dashboard.open('Environments', 'Production');
    await environment.openScreen('Features');
    await admin.toggleIntoChangeRequest('dark_mode', 'Production', 'Turn on dark mode');
    const changeRequestsPath = `/api/v1/features/workflows/change-requests/?environment=${production.id}`;
    type Cr = { id: number; title: string; is_committed: boolean; approvals: unknown[] };
    const [request] = (await api<{ results: Cr[] }>('GET', changeRequestsPath)).results;
    expect(request?.is_committed).toBe(false);
    expect((await served('dark_mode')).enabled).toBe(false);

    // 12. The member signs in and approves it.
    const reviewer = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(reviewer.page);
      await signIn.open(server.url);
      await signIn.signIn(MEMBER.email, MEMBER.password);
      const reviewerDashboard = new DashboardPage(reviewer.page);
      await reviewerDashboard.waitUntilSignedIn();
      await reviewerDashboard.open('Projects', 'Storefront');
      await reviewerDashboard.open('Environments', 'Production');
      await new EnvironmentPage(reviewer.page).openScreen('Change requests');
      const reviewerRequests = new ChangeRequestPage(reviewer.page);
      await reviewerRequests.list('Production').getByRole('button').first().click();
      await reviewerRequests.button('Approve').click();
      await reviewerRequests.button('Approved by you').waitFor();
      await screenshotFullPage(reviewer.page, 'first-day-12-approved-by-member');
      expect(reviewer.errors).toEqual([]);
    } finally {
      await reviewer.context.close();
    }
    await eventually(async () => ((await api<Cr>('GET', `/api/v1/features/workflows/change-requests/${request!.id}/`)).approvals.length === 1 ? true : undefined), 'the approval');

    // 13. The admin commits it: dark_mode is on in Production.
    await environment.openScreen('Change requests');
    await changeRequests.list('Production').getByRole('button').first().click();
    await changeRequests.button('Commit now').click();
    await eventually(async () => ((await served('dark_mode')).enabled ? true : undefined), 'dark_mode on in Production');
    expect((await api<Cr>('GET', `/api/v1/features/workflows/change-requests/${request!.id}/`)).is_committed).toBe(true);

    // 14. A webhook, and a test sent to it.
    await environment.openScreen('Webhooks');
    await admin.addWebhook(receiver.url);
    receiver.clear();
    await admin.sendWebhookTest(receiver.url);
    await page.getByText('Test delivered: the receiver answered HTTP 200.').waitFor();
    await shot('14-webhook-test');
    expect(receiver.requests.map((r) => [r.json?.event_type, r.json?.data?.test])).toEqual([['FLAG_UPDATED', true]]);
    const hooks = await api<{ url: string; enabled: boolean }[]>('GET', `/api/v1/environments/${production.api_key}/webhooks/`);
    expect(hooks).toEqual([expect.objectContaining({ url: receiver.url, enabled: true })]);

    expect(errors).toEqual([]);
  });
});
