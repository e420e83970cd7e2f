import { expect, type Page } from '@playwright/test'

/** The profile list and the profile editor. */
export class ProfilesPage {
  constructor(private readonly page: Page) {}

  async openNew(model?: string): Promise<void> {
    await this.page.goto(model === undefined ? '/profiles/new' : `/profiles/new?model=${encodeURIComponent(model)}`)
    await expect(this.page.getByTestId('profile-form')).toBeVisible()
  }

  field(name: string) {
    return this.page.getByTestId(`field-${name}`)
  }

  /** The feedback shown under a field, found by the field's name in the form. */
  feedback(field: string) {
    return this.page.locator(`[data-field="${field}"] .n-form-item-feedback`)
  }

  async fill(values: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(values)) await this.field(name).fill(value)
  }

  /** Turns the "Available to members" switch to the given position. */
  async setAvailableToMembers(on: boolean): Promise<void> {
    const toggle = this.field('available-to-members')
    if ((await toggle.getAttribute('aria-checked')) !== String(on)) await toggle.click()
    await expect(toggle).toHaveAttribute('aria-checked', String(on))
  }

  async save(): Promise<void> {
    await this.page.getByTestId('profile-save').click()
  }

  row(name: string) {
    return this.page.getByTestId('profile-row').filter({ hasText: name })
  }
}
