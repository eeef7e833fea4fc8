import type { Locator, Page } from 'playwright-core';

/**
 * The day-one administration screens: the first-run form, the navigator's create dialogs, the new-feature
 * dialog, environment settings (approvals, keys), members and permissions, and webhook rows.
 */
export class AdminPage {
  constructor(private readonly page: Page) {}

  // First run
  get firstRunForm(): Locator {
    return this.page.getByRole('form', { name: 'Welcome to Flagdesk' });
  }

  async createFirstAdmin(input: { name: string; email: string; password: string; organisation: string }): Promise<void> {
    const form = this.firstRunForm;
    await form.getByLabel('Your name').fill(input.name);
    await form.getByLabel('Email').fill(input.email);
    await form.getByLabel('Password').fill(input.password);
    await form.getByLabel('Organisation').fill(input.organisation);
    await form.getByRole('button', { name: 'Create administrator and organisation' }).click();
  }

  // Navigator
  dialog(title: string | RegExp): Locator {
    return this.page.getByRole('dialog', { name: title });
  }

  async createProject(name: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Create your first project' }).click();
    await this.fillNameAndSubmit('New project', name, 'Create project');
  }

  async createEnvironment(name: string): Promise<void> {
    await this.page.getByRole('region', { name: 'Environments', exact: true }).getByRole('button', { name: 'New environment' }).first().click();
    await this.fillNameAndSubmit('New environment', name, 'Create environment');
  }

  private async fillNameAndSubmit(title: string, name: string, submit: string): Promise<void> {
    const dialog = this.dialog(title);
    await dialog.getByLabel('Name', { exact: true }).fill(name);
    await dialog.getByRole('button', { name: submit }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  // Features
  get newFeatureDialog(): Locator {
    return this.dialog('New feature');
  }

  async openNewFeature(): Promise<Locator> {
    await this.page.getByRole('button', { name: /^(New feature|Create your first feature)$/ }).first().click();
    return this.newFeatureDialog;
  }

  async createFlag(name: string, isOn: boolean): Promise<void> {
    const dialog = await this.openNewFeature();
    await dialog.getByLabel('Name').fill(name);
    if (isOn) await dialog.getByRole('checkbox', { name: 'On in every environment to start with' }).check();
    await this.submitFeature(dialog);
  }

  /** Fills the new-feature dialog with a remote config holding JSON, typed into the CodeMirror editor (not submitted). */
  async fillJsonConfig(name: string, json: string): Promise<void> {
    const dialog = await this.openNewFeature();
    await dialog.getByText('Remote config', { exact: true }).click();
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Value type').selectOption('json');
    const editor = dialog.getByRole('textbox', { name: 'Value (JSON)' });
    await editor.click();
    // CodeMirror closes brackets on its own only with closeBrackets (not enabled): typed text arrives as is.
    await this.page.keyboard.type(json);
    await dialog.getByText('Valid JSON.').waitFor();
  }

  async submitNewFeature(): Promise<void> {
    await this.submitFeature(this.newFeatureDialog);
  }

  async createMultivariate(name: string, control: string, variations: [string, number][]): Promise<void> {
    const dialog = await this.openNewFeature();
    await dialog.getByText('Multivariate', { exact: true }).click();
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel(/^Control value/).fill(control);
    for (const [i, [value, share]] of variations.entries()) {
      if (i > 0) await dialog.getByRole('button', { name: 'Add variation' }).click();
      await dialog.getByLabel(`Variation ${i + 1} value`).fill(value);
      await dialog.getByLabel(`Variation ${i + 1} share (%)`).fill(String(share));
    }
    await this.submitFeature(dialog);
  }

  private async submitFeature(dialog: Locator): Promise<void> {
    await dialog.getByRole('button', { name: 'Create feature' }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  // Environment settings
  async requireApprovals(count: number): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Change requests' });
    await form.getByRole('checkbox', { name: 'Require change requests' }).check();
    await form.getByLabel('Minimum approvals').fill(String(count));
    await form.getByRole('button', { name: 'Save change request rule' }).click();
    await form.getByText(count === 1 ? 'Now: one approval needed.' : `Now: ${count} approvals needed.`).waitFor();
  }

  // Organisation
  async openOrganisation(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Navigator' }).getByRole('button', { name: 'Members and API keys' }).click();
    await this.page.getByRole('table', { name: 'Members of the organisation' }).waitFor();
  }

  async addMember(input: { email: string; name: string; password: string }): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add a member' });
    await form.getByLabel('Email').fill(input.email);
    await form.getByLabel('Name (new account)').fill(input.name);
    await form.getByLabel('Password (new account)').fill(input.password);
    await form.getByRole('button', { name: 'Add member' }).click();
    await form.getByText(/is now a member/).waitFor();
  }

  /** Ticks permissions of a member on one level ("project Storefront", "environment Production"); each tick saves. */
  async grant(memberEmail: string, level: string, permissions: string[]): Promise<void> {
    const toggle = this.page.getByRole('button', { name: `Permissions of ${memberEmail}` });
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    const group = this.page.getByRole('group', { name: `Permissions on ${level}` });
    for (const permission of permissions) {
      // Each tick is saved, then shown from the server's answer (not before): wait for it to come back ticked.
      await group.getByRole('checkbox', { name: permission, exact: true, checked: false }).click();
      await group.getByRole('checkbox', { name: permission, exact: true, checked: true }).waitFor();
    }
  }

  // Webhooks
  async addWebhook(url: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Add a webhook' });
    await form.getByLabel('URL').fill(url);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await this.page.getByRole('list', { name: 'Webhooks' }).getByText(url).waitFor();
  }

  async sendWebhookTest(url: string): Promise<void> {
    await this.page.getByRole('button', { name: `Send a test to ${url}` }).click();
  }

  // Governance (issue 12 section 2 and 3, h12a): written against the documented behaviour.
  /** Cancels the scheduled version of a feature from its History tab, confirming if asked. */
  async cancelScheduled(featureName: string): Promise<void> {
    const row = this.page.getByRole('table', { name: `Versions of ${featureName}` }).locator('tbody tr').filter({ hasText: 'Scheduled' }).first();
    await row.getByRole('button', { name: /^Cancel/ }).click();
    const dialog = this.page.getByRole('dialog');
    if (await dialog.isVisible()) await dialog.getByRole('button', { name: /^Cancel (the )?schedul/i }).click();
  }

  /**
   * Flips a feature's switch in the list of an environment that requires approvals: the app says it
   * makes a change request before doing anything, and creates one when confirmed.
   */
  async toggleIntoChangeRequest(featureName: string, environmentName: string, title: string): Promise<void> {
    await this.page.getByRole('switch', { name: `${featureName} in ${environmentName}` }).click();
    const dialog = this.page.getByRole('dialog', { name: `${environmentName} requires approval` });
    await dialog.waitFor();
    const titleField = dialog.getByLabel('Title');
    if (await titleField.count()) await titleField.fill(title);
    await dialog.getByRole('button', { name: /change request/i }).click();
    await dialog.waitFor({ state: 'detached' });
  }
}
