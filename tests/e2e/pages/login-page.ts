import { expect, type Page } from '@playwright/test'

/** The sign-in / create-account screen. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/login')
    await expect(this.page.getByTestId('login-form')).toBeVisible()
  }

  /** Creates an account: on a fresh manager the screen is only the first account's form, without tabs. */
  async register(email: string, password: string): Promise<void> {
    const tab = this.page.getByTestId('login-tab-register')
    await expect(tab.or(this.firstRun())).toBeVisible()
    if (await tab.isVisible()) await tab.click()
    await this.fill(email, password)
  }

  /** The first visit to a manager without accounts: the form for its administrator. */
  firstRun() {
    return this.page.getByTestId('first-run')
  }

  async signIn(email: string, password: string): Promise<void> {
    await this.page.getByTestId('login-tab-sign-in').click()
    await this.fill(email, password)
  }

  pendingMessage() {
    return this.page.getByTestId('pending-message')
  }

  error() {
    return this.page.getByTestId('login-error')
  }

  private async fill(email: string, password: string): Promise<void> {
    await this.page.getByTestId('login-email').fill(email)
    await this.page.getByTestId('login-password').fill(password)
    await this.page.getByTestId('login-submit').click()
  }
}
