import { expect, type Page } from '@playwright/test'

/** The Engines screen: one row per built-in engine. */
export class EnginesPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/engines')
    await expect(this.page.getByTestId('engines-list')).toBeVisible()
  }

  row(name: string) {
    return this.page.locator(`[data-testid="engine-row"][data-name="${name}"]`)
  }

  source(name: string) {
    return this.row(name).getByTestId('engine-source')
  }

  log(name: string) {
    return this.row(name).getByTestId('engine-log')
  }

  async install(name: string): Promise<void> {
    await this.row(name).getByTestId('engine-install').click()
  }

  async remove(name: string): Promise<void> {
    await this.row(name).getByTestId('engine-remove').click()
    await expect(this.page.getByTestId('confirm-dialog')).toContainText(`Remove the managed ${name}?`)
    await this.page.getByTestId('confirm-ok').click()
  }
}
