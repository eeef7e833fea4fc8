import type { Locator, Page } from 'playwright-core';

/** The dashboard's sign-in form. */
export class SignInPage {
  constructor(private readonly page: Page) {}

  get form(): Locator {
    return this.page.getByRole('form', { name: 'Sign in to Flagdesk' });
  }

  get alert(): Locator {
    return this.form.getByRole('alert');
  }

  async open(serverUrl: string): Promise<void> {
    await this.page.goto(`${serverUrl}/`);
    await this.form.waitFor();
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.form.getByLabel('Email').fill(email);
    await this.form.getByLabel('Password').fill(password);
    await this.form.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Signs in with the keyboard only: focus moves by Tab and Enter submits. */
  async signInWithKeyboard(email: string, password: string): Promise<void> {
    await this.form.getByLabel('Email').focus();
    await this.page.keyboard.type(email);
    await this.page.keyboard.press('Tab');
    await this.page.keyboard.type(password);
    await this.page.keyboard.press('Enter');
  }
}
