import { expect, type Page } from '@playwright/test'

/** The signed-in frame: navigation, memory meter, user menu. */
export class Shell {
  constructor(private readonly page: Page) {}

  nav(name: 'catalog' | 'models' | 'profiles' | 'servers' | 'chat' | 'users') {
    return this.page.getByTestId(`nav-${name}`).locator('visible=true').first()
  }

  pendingBadge() {
    return this.page.getByTestId('nav-users-badge').locator('visible=true').first()
  }

  async expectSignedIn(): Promise<void> {
    await expect(this.nav('catalog')).toBeVisible()
    await expect(this.page.getByTestId('memory-meter-text')).toContainText('GB')
  }

  async signOut(): Promise<void> {
    await this.page.getByTestId('user-menu').click()
    await this.page.getByText('Sign out', { exact: true }).click()
    await expect(this.page.getByTestId('login-form')).toBeVisible()
  }
}
