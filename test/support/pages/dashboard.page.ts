import type { Locator, Page } from 'playwright-core';

/** The signed-in dashboard: header and the organisation → project → environment navigator. */
export class DashboardPage {
  constructor(private readonly page: Page) {}

  get signOutButton(): Locator {
    return this.page.getByRole('banner').getByRole('button', { name: 'Sign out' });
  }

  /** Resolves once the signed-in shell is shown. */
  async waitUntilSignedIn(): Promise<void> {
    await this.signOutButton.waitFor();
  }

  column(title: 'Organisations' | 'Projects' | 'Environments'): Locator {
    return this.page.getByRole('region', { name: title, exact: true });
  }

  /** The names of a column's selectable items (not its add or settings buttons). */
  itemNames(title: 'Organisations' | 'Projects' | 'Environments'): Promise<string[]> {
    return this.column(title).locator('button[aria-pressed]').allTextContents();
  }

  item(title: 'Organisations' | 'Projects' | 'Environments', name: string): Locator {
    return this.column(title).getByRole('button', { name, exact: true });
  }

  async open(title: 'Organisations' | 'Projects' | 'Environments', name: string): Promise<void> {
    await this.item(title, name).click();
  }

  environmentDetails(name: string): Locator {
    return this.page.getByRole('region', { name: `Environment: ${name}` });
  }

  featureTable(environmentName: string): Locator {
    return this.page.getByRole('table', { name: `Features in ${environmentName}` });
  }

  async searchFeatures(text: string): Promise<void> {
    await this.page.getByLabel('Search features').fill(text);
  }

  /** The rows of the feature table as [name, state, value]. */
  async featureRows(environmentName: string): Promise<string[][]> {
    const rows = this.featureTable(environmentName).locator('tbody tr');
    return rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')));
  }

  async signOut(): Promise<void> {
    await this.signOutButton.click();
  }
}
