import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openIsolatedPage, screenshotPath } from '../support/browser.js';
import type { ServerProcess } from '../support/server-process.js';
import { adminApi, startDashboardServer } from './e2e-fixtures.js';
import { SignInPage } from '../support/pages/sign-in.page.js';
import { DashboardPage } from '../support/pages/dashboard.page.js';

const ADMIN = { email: 'admin@flagdesk.test', password: 'a long e2e password' };


/** Records kept in the replica's IndexedDB databases of this origin (every object store counted). */
function replicaRecords(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let total = 0;
    for (const { name } of await indexedDB.databases()) {
      if (!name?.includes('flagdesk_')) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        total += await new Promise<number>((resolve, reject) => {
          const count = db.transaction(store).objectStore(store).count();
          count.onsuccess = () => resolve(count.result);
          count.onerror = () => reject(count.error);
        });
      }
      db.close();
    }
    return total;
  });
}

describe('web dashboard in Chromium against a real server', () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    const started = await startDashboardServer(ADMIN, 'E2E Org');
    ({ server, dataDir } = started);
    const key = started.token;
    const organisation = started.organisation;
    const project = await adminApi<{ id: number }>(server, key, 'POST', '/api/v1/projects/', { name: 'Storefront', organisation: organisation.id });
    await adminApi(server, key, 'POST', '/api/v1/projects/', { name: 'Billing', organisation: organisation.id });
    await adminApi(server, key, 'POST', '/api/v1/environments/', { name: 'Development', project: project.id });
    await adminApi(server, key, 'POST', '/api/v1/environments/', { name: 'Production', project: project.id, description: 'Live traffic' });
    await adminApi(server, key, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'dark_mode', default_enabled: true });
    await adminApi(server, key, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'checkout_banner', initial_value: 'Welcome back' });
    await adminApi(server, key, 'POST', `/api/v1/projects/${project.id}/features/`, { name: 'dark_theme_colour', initial_value: '#222', default_enabled: true });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('signs in and navigates to an environment created through the API', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(page);
      const dashboard = new DashboardPage(page);
      await signIn.open(server.url);
      await page.screenshot({ path: screenshotPath('dashboard-sign-in') });

      await signIn.signIn(ADMIN.email, ADMIN.password);
      await dashboard.waitUntilSignedIn();
      // The only organisation opens by itself; choosing it again is harmless.
      await dashboard.open('Organisations', 'E2E Org');
      await dashboard.open('Projects', 'Storefront');
      await dashboard.open('Environments', 'Production');

      const details = dashboard.environmentDetails('Production');
      await details.waitFor();
      expect(await details.getByText('Live traffic').isVisible()).toBe(true);
      expect(await dashboard.itemNames('Projects')).toEqual(['Storefront', 'Billing']);
      expect(await dashboard.item('Environments', 'Production').getAttribute('aria-pressed')).toBe('true');
      await dashboard.featureTable('Production').waitFor();
      await page.screenshot({ path: screenshotPath('dashboard-environment'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("lists the environment's features with their states and narrows them by search", async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(page);
      const dashboard = new DashboardPage(page);
      await signIn.open(server.url);
      await signIn.signIn(ADMIN.email, ADMIN.password);
      await dashboard.waitUntilSignedIn();
      await dashboard.open('Projects', 'Storefront');
      await dashboard.open('Environments', 'Production');

      await dashboard.featureTable('Production').getByRole('rowheader', { name: 'dark_mode' }).waitFor();
      expect(await dashboard.featureRows('Production')).toEqual([
        ['checkout_banner', 'Off', 'Welcome back'],
        ['dark_mode', 'On', ''],
        ['dark_theme_colour', 'On', '#222'],
      ]);

      await dashboard.searchFeatures('DARK');
      await dashboard.featureTable('Production').getByRole('rowheader', { name: 'checkout_banner' }).waitFor({ state: 'detached' });
      expect((await dashboard.featureRows('Production')).map(([name]) => name)).toEqual(['dark_mode', 'dark_theme_colour']);
      await page.screenshot({ path: screenshotPath('dashboard-features-search'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('refuses a wrong password with a message and keeps the form', async () => {
    const { context, page } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(page);
      await signIn.open(server.url);
      await signIn.signIn(ADMIN.email, 'not the password');
      await signIn.alert.waitFor();
      expect(await signIn.alert.textContent()).toBe('The email or password is not correct.');
      await page.screenshot({ path: screenshotPath('dashboard-sign-in-refused') });
    } finally {
      await context.close();
    }
  });

  test('signs in with the keyboard alone, keeps the session across a reload, and signs out', async () => {
    const { context, page, errors } = await openIsolatedPage(browser);
    try {
      const signIn = new SignInPage(page);
      const dashboard = new DashboardPage(page);
      await signIn.open(server.url);
      await signIn.signInWithKeyboard(ADMIN.email, ADMIN.password);
      await dashboard.waitUntilSignedIn();

      await page.reload();
      await dashboard.waitUntilSignedIn();
      await dashboard.column('Projects').waitFor();
      // The signed-in user's replica lives in IndexedDB (Dexie: one database per collection) …
      await expect.poll(() => replicaRecords(page)).toBeGreaterThan(0);

      await dashboard.signOut();
      await signIn.form.waitFor();
      // … and signing out deletes its data from the device (RxDB's Dexie storage empties the databases).
      await expect.poll(() => replicaRecords(page)).toBe(0);
      await page.reload();
      await signIn.form.waitFor();
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
