import { expect, type Locator, type Page } from '@playwright/test'

/** The catalog list and a model page. */
export class CatalogPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/catalog')
    await this.expectResults()
  }

  /** One row per model; its quantizations are a choice within the row. */
  results(): Locator {
    return this.page.getByTestId('catalog-result')
  }

  /** The row that lists this repo, whichever of its quantizations it shows. */
  result(id: string): Locator {
    return this.page.locator(`[data-testid="catalog-result"][data-variant-ids~="${id}"]`)
  }

  /** Every repo listed, each quantization of a row included. */
  async resultIds(): Promise<string[]> {
    return this.results().evaluateAll((rows) => rows.flatMap((row) => (row as HTMLElement).dataset.variantIds?.split(' ') ?? []))
  }

  /** Makes a row show this quantization (a no-op for a model listed once). */
  async chooseVariant(id: string): Promise<void> {
    const row = this.result(id)
    const choice = row.locator(`[data-testid="result-variant"][data-variant-id="${id}"]`)
    if ((await choice.count()) > 0) await choice.click()
    await expect(row).toHaveAttribute('data-model-id', id)
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
    await this.chooseVariant(id)
    await this.result(id).getByTestId('catalog-result-link').click()
    await expect(this.page.getByTestId('model-name')).toHaveText(id.split('/')[1] ?? id)
  }

  offlineNotice(): Locator {
    return this.page.getByTestId('catalog-offline')
  }
}
