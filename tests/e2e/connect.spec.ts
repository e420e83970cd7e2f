import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { test as base, type Locator, type Page } from '@playwright/test'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
import { asPage, expect, freePort, startManager, type Manager } from './manager'

const ENGINE_PATH = join(import.meta.dirname, '..', 'fixtures', 'engine')
const REPLY = 'Connected through the manager'

// A manager whose engines are the stand-ins, answering with a known sentence.
const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager({ MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, MLX_STANDIN_LOAD_MS: '100', MLX_STANDIN_REPLY: REPLY })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

/** The serious and critical axe findings on the current screen, once its transitions ended. */
async function audit(page: Page, ready: Locator): Promise<string[]> {
  await expect(ready).toBeVisible()
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity))
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(' | ')}`)
}

const snippet = (page: Page, id: string) => page.locator(`[data-testid="snippet"][data-id="${id}"]`)

test('connect a client: the endpoint, a key made on the page and shown once, snippets that work as pasted', async ({ page, context, manager }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  const created = await page.request.post('/api/profiles', {
    data: { name: `Bob's fox`, model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() },
    ...asPage(page),
  })
  expect(created.status(), await created.text()).toBe(201)
  const { id } = (await created.json()) as { id: number }
  const started = await page.request.post(`/api/servers/${id}/start?wait=true`, { data: {}, ...asPage(page) })
  expect(started.ok(), await started.text()).toBe(true)

  await page.getByTestId('nav-connect').locator('visible=true').first().click()
  await expect(page).toHaveURL(/\/connect$/)
  await expect(page.getByTestId('connect-endpoint')).toHaveText(`${manager.url}/v1`)
  await expect(page.getByTestId('connect-keys-empty')).toBeVisible()
  await expect(snippet(page, 'curl-chat')).toContainText('$MLX_MANAGER_API_KEY')

  // A key made here is shown once and goes into every snippet while the page holds it.
  await page.getByTestId('connect-key-name').fill('Laptop')
  await page.getByTestId('connect-key-create').click()
  const secret = (await page.getByTestId('connect-key-secret').textContent()) ?? ''
  expect(secret).toMatch(/^mlxm_/)
  await expect(page.getByTestId('connect-key-row')).toHaveAttribute('data-name', 'Laptop')
  await expect(snippet(page, 'curl-chat')).toContainText(`Authorization: Bearer ${secret}`)

  // Copy, then paste into a shell: the model answers.
  await snippet(page, 'curl-chat').getByTestId('snippet-copy').click()
  const copied = await page.evaluate(() => navigator.clipboard.readText())
  expect(copied).toBe(await snippet(page, 'curl-chat').getByTestId('snippet-code').textContent())
  const run = spawnSync('bash', ['-c', copied], { encoding: 'utf8', timeout: 20_000 })
  expect(run.status, run.stderr).toBe(0)
  expect((JSON.parse(run.stdout) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(REPLY)

  // The other tabs carry the key too.
  await page.getByRole('tab', { name: 'Editors & agents' }).click()
  await expect(snippet(page, 'aider')).toContainText(`OPENAI_API_KEY='${secret}'`)
  await expect(snippet(page, 'claude-code')).toContainText(`ANTHROPIC_BASE_URL='${manager.url}'`)

  expect(await audit(page, page.getByTestId('connect-key-secret'))).toEqual([])

  // Gone once the page is left: the list shows the prefix, the snippets read the environment again.
  await page.reload()
  await expect(page.getByTestId('connect-key-row')).toContainText('mlxm_')
  await expect(page.getByTestId('connect-key-secret')).toHaveCount(0)
  await expect(snippet(page, 'curl-chat')).toContainText('$MLX_MANAGER_API_KEY')
  expect(await page.locator('main').textContent()).not.toContain(secret)

  // The server tile's panel: URL, model, curl, and the way here with its model chosen.
  await page.goto('/servers')
  const tile = page.getByTestId('server-tile').first()
  await tile.getByTestId('server-connect').click()
  const panel = page.getByTestId('connect-panel')
  await expect(panel.getByTestId('connect-panel-url')).toHaveText(`${manager.url}/v1`)
  await expect(panel.getByTestId('connect-panel-model')).toHaveText(`Bob's fox`)
  expect(await audit(page, panel)).toEqual([])
  await panel.getByTestId('connect-panel-more').click()
  await expect(page).toHaveURL(new RegExp(`/connect\\?profile=${id}$`))
  await expect(snippet(page, 'curl-chat')).toContainText(`"model": "Bob'\\''s fox"`)
})
