import type { Locator, Page } from 'playwright-core';

/** The feature page: Value tab (editor and draft) and History tab (versions, compare, roll back). */
export class FeaturePage {
  constructor(private readonly page: Page) {}

  heading(name: string): Locator {
    return this.page.getByRole('heading', { level: 2, name, exact: true });
  }

  tab(name: 'Value' | 'History'): Locator {
    return this.page.getByRole('tablist', { name: 'Feature sections' }).getByRole('tab', { name });
  }

  get backLink(): Locator {
    return this.page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('button', { name: '← Features' });
  }

  // Value tab
  get editor(): Locator {
    return this.page.getByRole('form', { name: 'Value and segment overrides' });
  }

  get defaultValue(): Locator {
    return this.editor.getByRole('group', { name: 'Environment default' }).getByLabel('Value');
  }

  enabledSwitch(environmentName: string): Locator {
    return this.editor.getByRole('switch', { name: `Enabled in ${environmentName}` });
  }

  overrideValue(segmentName: string): Locator {
    return this.editor.getByLabel(`Value for ${segmentName}`);
  }

  /** The weight field of a variation at a place ("the environment default" or a segment name). */
  weight(optionLabel: string, place: string): Locator {
    return this.editor.getByLabel(`Weight of ${optionLabel} for ${place}`);
  }

  async addOverride(segmentName: string): Promise<void> {
    await this.editor.getByLabel('Segment', { exact: true }).selectOption({ label: segmentName });
    await this.editor.getByRole('button', { name: 'Add override' }).click();
  }

  async saveDraft(): Promise<void> {
    await this.editor.getByRole('button', { name: 'Save draft' }).click();
  }

  get draft(): Locator {
    return this.page.getByRole('region', { name: /^Draft/ });
  }

  /** The draft's (or a comparison's) change sentences. */
  changes(scope: Locator): Locator {
    return scope.getByRole('list', { name: 'Changes' }).getByRole('listitem');
  }

  /** The separate bypass of an environment's approvals, through its dialog and acknowledgement. */
  async publishWithoutApproval(): Promise<void> {
    await this.draft.getByRole('button', { name: 'Publish without approval…' }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Publish without a change request?' });
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Publish without approval' }).click();
  }

  async publishNow(): Promise<void> {
    await this.draft.getByRole('button', { name: 'Publish now' }).click();
  }

  get notice(): Locator {
    return this.page.locator('.notice');
  }

  // Local drafts on the replica (issue 6): edits go to the draft; Publish / Schedule… queue intents.
  /** Sets the environment default's value and saves it to the draft (the local draft with a replica). */
  async editDefaultValue(value: string): Promise<void> {
    await this.defaultValue.fill(value);
    await this.saveDraft();
  }

  /** Queues the draft's publish (it runs when the server is reachable). */
  async publish(): Promise<void> {
    await this.draft.getByRole('button', { name: 'Publish', exact: true }).click();
  }

  /** The result line of a queued publish or schedule ("Queued: …", "Published.", a refusal). */
  intentStatus(text: string | RegExp): Locator {
    return this.page.getByRole('status').filter({ hasText: text });
  }

  get conflictBanner(): Locator {
    return this.page.getByText('This draft conflicts with a newer version');
  }

  get resolveButton(): Locator {
    return this.page.getByRole('button', { name: 'Resolve…' });
  }

  /** Applies the choices made in the conflict view to the draft. */
  async applyResolution(): Promise<void> {
    await this.page.getByRole('button', { name: 'Rebase with these choices' }).click();
  }

  // History tab
  historyTable(featureName: string): Locator {
    return this.page.getByRole('table', { name: `Versions of ${featureName}` });
  }

  historyRows(featureName: string): Locator {
    return this.historyTable(featureName).locator('tbody tr');
  }

  /** Ticks the compare box of the version at `index` (0 = newest). */
  async tickVersion(featureName: string, index: number): Promise<void> {
    await this.historyRows(featureName).nth(index).getByRole('checkbox').check();
  }

  async compare(): Promise<void> {
    await this.page.getByRole('button', { name: 'Compare', exact: true }).click();
  }

  get comparison(): Locator {
    return this.page.getByRole('region', { name: /^Comparing / });
  }

  async rollBack(featureName: string, index: number): Promise<void> {
    await this.historyRows(featureName).nth(index).getByRole('button', { name: /^Roll back/ }).click();
  }

  get dialog(): Locator {
    return this.page.getByRole('dialog');
  }

  /** The rows of the history as [status badges, values]. */
  async historySummary(featureName: string): Promise<string[][]> {
    return this.historyRows(featureName).evaluateAll((trs) => trs.map((tr) => [tr.querySelectorAll('td')[1]?.textContent ?? '', tr.querySelectorAll('td')[3]?.textContent ?? '']));
  }
}
