import { expect, type Locator, type Page } from '@playwright/test'

/** The catalog list and a model page. */
export class CatalogPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/catalog')
    await this.expectResults()
  }

  results(): Locator {
    return this.page.getByTestId('catalog-result')
  }

  result(id: string): Locator {
    return this.page.locator(`[data-testid="catalog-result"][data-model-id="${id}"]`)
  }

  async resultIds(): Promise<string[]> {
    return this.results().evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.modelId ?? ''))
  }

  async expectResults(): Promise<void> {
    await expect(this.results().first()).toBeVisible()
  }

  async search(text: string): Promise<void> {
    const box = this.page.getByTestId('catalog-search')
    await box.fill(text)
    await box.press('Enter')
    await this.settled()
  }

  async toggleFilter(testId: string): Promise<void> {
    await this.page.getByTestId(testId).click()
    await this.settled()
  }

  /** Waits until no search is in flight and the list is back at full opacity. */
  async settled(): Promise<void> {
    await expect(this.page.locator('.results.refreshing')).toHaveCount(0)
    await expect(this.page.getByTestId('catalog-loading')).toHaveCount(0)
  }

  async openModel(id: string): Promise<void> {
    await this.result(id).getByTestId('catalog-result-link').click()
    await expect(this.page.getByTestId('model-name')).toHaveText(id.split('/')[1] ?? id)
  }

  offlineNotice(): Locator {
    return this.page.getByTestId('catalog-offline')
  }
}
