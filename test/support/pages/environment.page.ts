import type { Locator, Page } from 'playwright-core';

type Screen = 'Features' | 'Change requests' | 'Segments' | 'Settings' | 'Webhooks' | 'Audit log';

/** The selected environment's screens: tabs, settings (versioning), webhooks, audit log, palette. */
export class EnvironmentPage {
  constructor(private readonly page: Page) {}

  tab(name: Screen): Locator {
    return this.page.getByRole('tablist', { name: 'Environment sections' }).getByRole('tab', { name });
  }

  async openScreen(name: Screen): Promise<void> {
    await this.tab(name).click();
  }

  featureSwitch(featureName: string, environmentName: string): Locator {
    return this.page.getByRole('switch', { name: `${featureName} in ${environmentName}` });
  }

  /** The confirmation the list's switch asks on an environment that requires approvals. */
  approvalDialog(environmentName: string): Locator {
    return this.page.getByRole('dialog', { name: `${environmentName} requires approval` });
  }

  async openFeature(featureName: string): Promise<void> {
    await this.page.getByRole('table', { name: /^Features in / }).getByRole('button', { name: featureName, exact: true }).click();
  }

  get versioningSwitch(): Locator {
    return this.page.getByRole('switch', { name: 'Feature versioning' });
  }

  get migrationProgress(): Locator {
    return this.page.getByRole('progressbar', { name: 'Migration progress' });
  }

  get versioningStatus(): Locator {
    return this.page.getByRole('region', { name: 'Feature versioning' }).getByRole('status');
  }

  summaryBadge(text: string): Locator {
    return this.page.getByRole('region', { name: /^Environment: / }).getByText(text, { exact: true });
  }

  webhookList(): Locator {
    return this.page.getByRole('list', { name: 'Webhooks' });
  }

  deliveries(url: string): Locator {
    return this.page.getByRole('table', { name: `Deliveries to ${url}` });
  }

  get auditTable(): Locator {
    return this.page.getByRole('table', { name: 'Audit log entries' });
  }

  async searchAudit(text: string): Promise<void> {
    await this.page.getByLabel('Search the audit log').fill(text);
  }

  get segmentTable(): Locator {
    return this.page.getByRole('table', { name: 'Segments of the project' });
  }

  segmentForm(title: string): Locator {
    return this.page.getByRole('form', { name: title });
  }

  // Command palette
  async openPalette(): Promise<void> {
    await this.page.keyboard.press('Control+k');
    await this.page.getByRole('dialog', { name: 'Go to' }).waitFor();
  }

  async jumpTo(text: string): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Go to feature, environment or screen' }).fill(text);
    await this.page.getByRole('option', { selected: true }).waitFor();
    await this.page.keyboard.press('Enter');
  }
}
