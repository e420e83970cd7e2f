import { expect, type Page } from '@playwright/test'

/** The administrator's list of accounts. */
export class UsersPage {
  constructor(private readonly page: Page) {}

  row(email: string) {
    return this.page.getByTestId('user-row').filter({ hasText: email })
  }

  /** Runs a row action and confirms it in the dialog, as every action asks. */
  async act(email: string, action: 'approve' | 'disable' | 'enable' | 'delete' | 'make-admin' | 'remove-admin'): Promise<void> {
    await this.row(email).getByTestId(`user-${action}`).click()
    await expect(this.page.getByTestId('confirm-dialog')).toBeVisible()
    await this.page.getByTestId('confirm-ok').click()
    await expect(this.page.getByTestId('confirm-dialog')).toBeHidden()
  }

  async expectStatus(email: string, status: RegExp): Promise<void> {
    await expect(this.row(email).getByTestId('user-status')).toHaveText(status)
  }
}
