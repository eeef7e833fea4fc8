import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '../..');

/** Debian's Chromium; playwright-core drives it directly (never `playwright install`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const RENDERER_DIR = join(ROOT, 'out/renderer');
export const SCREENSHOT_DIR = join(ROOT, 'test-results/screenshots');

/** Headless Chromium with the flags that work on this kind of machine (STACK.md §5). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh browser context (its own storage, like a new user-data dir) with a page that records console
 * errors and uncaught page errors, so a spec can assert the dashboard ran cleanly.
 */
export async function openIsolatedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // The browser asks every origin for /favicon.ico; the dashboard has none.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) errors.push(`console: ${message.text()}`);
  });
  return { context, page, errors };
}

/** The newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtimeMs(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/**
 * Builds the app (`electron-vite build`) when out/renderer is missing or older than a renderer or shared source
 * (so a spec never drives a stale dashboard), and returns the renderer folder.
 */
export function ensureRendererBuilt(): string {
  const built = join(RENDERER_DIR, 'index.html');
  // The bundle holds src-renderer and the src-shared code it imports.
  const newestSource = Math.max(newestMtimeMs(join(ROOT, 'src-renderer')), newestMtimeMs(join(ROOT, 'src-shared')));
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource) return RENDERER_DIR;
  const result = spawnSync(join(ROOT, 'node_modules/.bin/electron-vite'), ['build'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`electron-vite build failed:\n${result.stdout}${result.stderr}`);
  return RENDERER_DIR;
}

/** Where a screenshot named `name` goes (test-results/ is gitignored). */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}

/**
 * Writes a screenshot of the whole page to test-results/screenshots/. Scrolls to the top first: a full-page
 * capture of a scrolled page draws the sticky header in the middle.
 */
export async function screenshotFullPage(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

/**
 * The Electron executable, found the way `npm start` finds it (sync-server/app/start.ts): from
 * electron's path.txt, without `require('electron')`, which would try to download the binary.
 */
export function findElectronBinary(): { path: string; missing?: undefined } | { path?: undefined; missing: string } {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return { missing: 'the Electron binary was never downloaded (node_modules/electron/path.txt is absent)' };
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary } : { missing: `${binary} does not exist` };
}

export { ROOT };
