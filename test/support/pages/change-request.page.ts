import type { Locator, Page } from 'playwright-core';

/** Change requests: the environment's list, a request's detail (diff, approvals, commit) and the conflict view. */
export class ChangeRequestPage {
  constructor(private readonly page: Page) {}

  list(environmentName: string): Locator {
    return this.page.getByRole('table', { name: `Change requests in ${environmentName}` });
  }

  /** The list's rows as [title, status, approvals]. */
  async listRows(environmentName: string): Promise<string[][]> {
    return this.list(environmentName)
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 3).map((cell) => cell.textContent ?? '')));
  }

  async open(environmentName: string, title: string | RegExp): Promise<void> {
    await this.list(environmentName).getByRole('button', { name: title }).click();
  }

  heading(title: RegExp | string): Locator {
    return this.page.getByRole('heading', { level: 2, name: title });
  }

  /** The status badge next to the heading. */
  status(text: string): Locator {
    return this.page.locator('.change-request > header').getByText(text, { exact: true });
  }

  featureChanges(featureName: string): Locator {
    return this.page.getByRole('region', { name: `Changes to ${featureName}` });
  }

  sentences(featureName: string): Locator {
    return this.featureChanges(featureName).getByRole('list', { name: 'Changes' }).getByRole('listitem');
  }

  get approvals(): Locator {
    return this.page.getByRole('region', { name: 'Approvals' });
  }

  button(name: string | RegExp): Locator {
    return this.page.locator('.change-request').getByRole('button', { name });
  }

  // Request change (from the feature page's draft)
  get requestForm(): Locator {
    return this.page.getByRole('form', { name: 'Request change' });
  }

  /** Fills the "Request change" form of the draft (title, reviewers to ask) and creates the request. */
  async requestChange(title: string, reviewers: string[] = []): Promise<void> {
    await this.page.getByRole('region', { name: /^Draft/ }).getByRole('button', { name: 'Request change' }).click();
    await this.requestForm.getByLabel('Title').fill(title);
    for (const email of reviewers) await this.requestForm.getByRole('checkbox', { name: email }).check();
    await this.requestForm.getByRole('button', { name: 'Create change request' }).click();
  }

  // Conflict view
  get conflictTable(): Locator {
    return this.page.getByRole('table', { name: 'Conflicting fields' });
  }

  /** The conflict rows as [field, base, live, mine]. */
  async conflictRows(): Promise<string[][]> {
    return this.conflictTable.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].slice(0, 4).map((cell) => cell.textContent ?? '')));
  }

  choice(field: string, choice: 'Keep mine' | 'Keep live'): Locator {
    return this.page.getByRole('radiogroup', { name: `Keep for ${field}` }).getByRole('radio', { name: choice });
  }

  get rebaseButton(): Locator {
    return this.page.getByRole('button', { name: 'Rebase with these choices' });
  }
}
