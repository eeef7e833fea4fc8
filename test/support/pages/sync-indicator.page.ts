import type { Locator, Page } from 'playwright-core';

/**
 * The header's sync indicator (issue 6): a button named "Sync status" whose text is "Online", "Offline" or
 * "Connecting…", followed by "N pending" / "N conflicts" badges; it opens the outbox panel (dialog "Sync").
 * `data-initial-replication` says whether the replica's first replication is "running" or "finished".
 */
export class SyncIndicator {
  constructor(private readonly page: Page) {}

  get button(): Locator {
    return this.page.getByRole('banner').getByRole('button', { name: 'Sync status', exact: true });
  }

  /** The indicator's whole text, e.g. "Offline · 2 pending". */
  async text(): Promise<string> {
    return ((await this.button.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** Resolves once the indicator shows `connection` (and, when given, exactly that pending count: 0 = no badge). */
  async waitFor(connection: 'Online' | 'Offline' | 'Connecting…', options: { pending?: number; conflicts?: number; timeout?: number } = {}): Promise<void> {
    await this.page.waitForFunction(
      ({ connection, pending, conflicts }) => {
        const button = document.querySelector('header [aria-label="Sync status"]');
        const text = (button?.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (!text.startsWith(connection)) return false;
        const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(text)?.[1] ?? 0);
        if (pending !== undefined && count('pending') !== pending) return false;
        if (conflicts !== undefined && count('conflicts?') !== conflicts) return false;
        return true;
      },
      { connection, pending: options.pending, conflicts: options.conflicts },
      { timeout: options.timeout ?? 30_000 },
    ).catch(async (error: unknown) => {
      // Say what the indicator showed instead, and the status behind it (replica/sync-status.ts).
      const shown = await this.text().catch(() => '(no indicator)');
      const status = await this.page.evaluate(() => JSON.stringify((window as unknown as { __flagdeskSync?: unknown }).__flagdeskSync ?? null)).catch(() => '');
      throw new Error(`The sync indicator did not show ${connection} ${JSON.stringify(options)}: it shows "${shown}" (status ${status})`, { cause: error });
    });
  }

  /** Resolves once the replica's first replication finished (screens then read the replica). */
  async waitForInitialReplication(timeout = 60_000): Promise<void> {
    await this.page.locator('header [aria-label="Sync status"][data-initial-replication="finished"]').waitFor({ timeout });
  }

  // The outbox panel
  get panel(): Locator {
    return this.page.getByRole('dialog', { name: 'Sync', exact: true });
  }

  async openPanel(): Promise<void> {
    await this.button.click();
    await this.panel.waitFor();
  }

  async closePanel(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.panel.waitFor({ state: 'detached' });
  }
}
