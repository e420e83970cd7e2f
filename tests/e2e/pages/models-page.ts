import { expect, type Locator, type Page } from '@playwright/test'

/** The Models screen: the download box, the downloads list and the library. */
export class ModelsPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/models')
    await expect(this.page.getByTestId('downloads-panel')).toBeVisible()
  }

  async download(modelId: string): Promise<void> {
    await this.page.getByTestId('download-input').fill(modelId)
    await this.page.getByTestId('download-submit').click()
    await expect(this.download$(modelId)).toBeVisible()
  }

  download$(modelId: string): Locator {
    return this.page.locator(`[data-testid="download-row"][data-model="${modelId}"]`)
  }

  async expectStatus(modelId: string, status: string): Promise<void> {
    await expect(this.download$(modelId)).toHaveAttribute('data-status', status, { timeout: 30_000 })
  }

  /** The percentage the progress bar shows, 0 to 100. */
  async percent(modelId: string): Promise<number> {
    const value = await this.download$(modelId).getByTestId('download-bar').getAttribute('data-percent')
    return Number(value ?? 0)
  }

  async act(modelId: string, action: 'pause' | 'resume' | 'retry' | 'cancel'): Promise<void> {
    await this.download$(modelId).getByTestId(`download-${action}`).click()
  }

  async confirm(): Promise<void> {
    await this.page.getByTestId('confirm-ok').click()
    await expect(this.page.getByTestId('confirm-dialog')).toBeHidden()
  }

  library(modelId: string): Locator {
    return this.page.locator(`[data-testid="library-row"][data-model="${modelId}"]`)
  }

  async deleteFromLibrary(modelId: string): Promise<void> {
    await this.library(modelId).getByTestId('library-delete').click()
    await expect(this.page.getByTestId('confirm-dialog')).toContainText(modelId)
    await this.confirm()
  }
}
