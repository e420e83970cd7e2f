import { expect, type Page } from '@playwright/test'

/** The chat screen: the conversation list on the left, the open conversation and its composer. */
export class ChatPage {
  constructor(private readonly page: Page) {}

  async open(path = '/chat'): Promise<void> {
    await this.page.goto(path)
    await expect(this.page.getByTestId('chat-view')).toBeVisible()
  }

  async chooseProfile(name: string): Promise<void> {
    await this.page.getByTestId('chat-profile').click()
    // naive-ui's select menu is not an ARIA listbox; its options carry this class.
    await this.page.locator('.n-base-select-option').filter({ hasText: new RegExp(`^${name}`) }).click()
    await expect(this.page.getByTestId('chat-profile')).toContainText(name)
  }

  input() {
    return this.page.getByTestId('chat-input').locator('textarea')
  }

  async type(text: string): Promise<void> {
    await this.input().fill(text)
  }

  async send(text: string): Promise<void> {
    await this.type(text)
    await this.page.getByTestId('chat-send').click()
  }

  messages() {
    return this.page.getByTestId('chat-message')
  }

  answers() {
    return this.page.locator('[data-testid="chat-message"][data-role="assistant"]')
  }

  lastAnswer() {
    return this.answers().last()
  }

  async waitForAnswerDone(): Promise<void> {
    await expect(this.page.getByTestId('chat-send')).toBeVisible({ timeout: 20_000 })
    await expect(this.lastAnswer().getByTestId('chat-metrics')).toBeVisible()
  }

  stopButton() {
    return this.page.getByTestId('chat-stop')
  }

  async attach(name: string, mimeType: string, buffer: Buffer): Promise<void> {
    await this.page.getByTestId('chat-file-input').setInputFiles({ name, mimeType, buffer })
  }

  attachments() {
    return this.page.getByTestId('chat-composer').getByTestId('chat-attachment')
  }

  conversations() {
    return this.page.getByTestId('chat-conversation')
  }

  async search(text: string): Promise<void> {
    await this.page.getByTestId('chat-search').locator('input').fill(text)
  }

  searchResults() {
    return this.page.getByTestId('chat-search-result')
  }
}
