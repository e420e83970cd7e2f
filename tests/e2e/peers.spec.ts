import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { test as base, type Page } from '@playwright/test'
import { ChatPage } from './pages/chat-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { expect, freePort, startManager, type Manager } from './manager'

const ENGINE_PATH = join(import.meta.dirname, '..', 'fixtures', 'engine')
const REPLY = 'Answered on the studio'

// Manager A (the page under test) and manager B, "the studio", whose engines are the stand-ins.
const test = base.extend<{ manager: Manager; studio: { manager: Manager; stop: () => Promise<void> } }>({
  manager: async ({}, use) => {
    const started = await startManager()
    await use(started.manager)
    await started.stop()
  },
  studio: async ({}, use) => {
    const started = await startManager({ MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, MLX_STANDIN_LOAD_MS: '100', MLX_STANDIN_REPLY: REPLY })
    await use(started)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

/** The serious and critical axe findings on the screen as it is. */
async function audit(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity))
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} — ${v.nodes.map((node) => node.target.join(' ')).join(' | ')}`)
}

/** B's admin, one stopped profile and an API key made there, through its API as a script would. */
async function prepareStudio(url: string): Promise<{ key: string }> {
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as Record<string, unknown>
  }
  const credentials = { email: 'studio@example.com', password: 'studio-password-1' }
  await post('/api/auth/register', credentials)
  const { token } = (await post('/api/auth/login', credentials)) as { token: string }
  await post('/api/profiles', { name: 'Fox', model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() }, token)
  const { key } = (await post('/api/keys', { name: 'for the laptop' }, token)) as { key: string }
  return { key }
}

test('connect another manager on the Peers page, see its servers, chat with its model, and see it go unreachable', async ({ page, studio }) => {
  const { key } = await prepareStudio(studio.manager.url)
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  await page.getByTestId('nav-peers').locator('visible=true').first().click()
  await expect(page).toHaveURL(/\/peers$/)
  await expect(page.getByTestId('peers-empty')).toBeVisible()

  // A refused key is said in the form, which stays open with what was typed.
  await page.getByTestId('peer-new').click()
  await page.getByTestId('peer-name-input').fill('studio')
  await page.getByTestId('peer-url-input').fill(studio.manager.url)
  await page.getByTestId('peer-key-input').fill(`mlxm_${'0'.repeat(12)}_${'a'.repeat(43)}`)
  await page.getByTestId('peer-add').click()
  await expect(page.getByTestId('peer-form-error')).toContainText('refused the API key')
  expect(await audit(page)).toEqual([])

  await page.getByTestId('peer-key-input').fill(key)
  await page.getByTestId('peer-add').click()
  await expect(page.getByTestId('peer-dialog')).toBeHidden()
  const row = page.getByTestId('peer-row').filter({ hasText: 'studio' })
  await expect(row).toHaveAttribute('data-state', 'online')
  await expect(row.getByTestId('peer-summary')).toContainText('1 profile · 0 ready')
  // The key is never shown again: only its visible start.
  await expect(row).toContainText(key.slice(0, 17))
  await expect(page.locator('body')).not.toContainText(key)
  expect(await audit(page)).toEqual([])

  // Its servers on the Servers page, under its name; chatting starts Fox there.
  await new Shell(page).nav('servers').click()
  const section = page.getByTestId('peer-servers').filter({ hasText: 'studio' })
  await expect(section.getByTestId('peer-server-row')).toHaveAttribute('data-name', 'Fox')
  await expect(section.getByTestId('server-state')).toHaveAttribute('data-state', 'stopped')
  expect(await audit(page)).toEqual([])
  await section.getByTestId('peer-server-chat').click()
  const chat = new ChatPage(page)
  await expect(page.getByTestId('chat-profile')).toContainText('Fox@studio')
  await chat.send('Hello, studio')
  await chat.waitForAnswerDone()
  await expect(chat.lastAnswer()).toContainText(REPLY)

  // Its state reached this manager live.
  await new Shell(page).nav('servers').click()
  await expect(section.getByTestId('server-state')).toHaveAttribute('data-state', 'ready')

  // The studio goes away: unreachable within seconds, with the reason, on both pages.
  await studio.stop()
  await expect(section).toHaveAttribute('data-state', 'unreachable', { timeout: 5_000 })
  await expect(section.getByTestId('peer-servers-note')).toContainText('cannot be reached')
  await page.getByTestId('nav-peers').locator('visible=true').first().click()
  await expect(row).toHaveAttribute('data-state', 'unreachable')
  await expect(row.getByTestId('peer-error')).toContainText('studio')
})
