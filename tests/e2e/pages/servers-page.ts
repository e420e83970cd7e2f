import { expect, type Page } from '@playwright/test'

/** The servers screen: a tile per running or failed server, and the log view. */
export class ServersPage {
  constructor(private readonly page: Page) {}

  async open(): Promise<void> {
    await this.page.goto('/servers')
    await expect(this.page.getByTestId('servers-overview')).toBeVisible()
  }

  tile(name: string) {
    return this.page.getByTestId('server-tile').filter({ has: this.page.getByRole('heading', { name, exact: true }) })
  }

  stoppedRow(name: string) {
    return this.page.getByTestId('stopped-row').filter({ hasText: name })
  }

  async expectState(name: string, state: string): Promise<void> {
    await expect(this.tile(name).getByTestId('server-state')).toHaveAttribute('data-state', state)
  }

  logLines() {
    return this.page.getByTestId('log-lines')
  }
}
