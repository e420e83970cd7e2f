import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { test as base, type Page } from '@playwright/test'
import { ChatPage } from './pages/chat-page'
import { LoginPage } from './pages/login-page'
import { asPage, expect, freePort, startManager, type Manager } from './manager'

const ENGINE_PATH = join(import.meta.dirname, '..', 'fixtures', 'engine')

const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager({ MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, STANDIN_LOAD_MS: '200' })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

async function serve(page: Page, fields: Record<string, unknown>): Promise<number> {
  const request = page.request
  const created = await request.post('/api/profiles', { data: { port: await freePort(), ...fields }, ...asPage(page) })
  expect(created.status(), await created.text()).toBe(201)
  const { id } = (await created.json()) as { id: number }
  const started = await request.post(`/api/servers/${id}/start`, { data: {}, ...asPage(page) })
  expect(started.ok(), await started.text()).toBe(true)
  await expect.poll(async () => ((await (await request.get(`/api/servers/${id}`)).json()) as { state: string }).state, { timeout: 15_000 }).toBe('ready')
  return id
}

/** Serious and critical axe findings on the screen as it is. */
async function axe(page: Page): Promise<string[]> {
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity))
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(' | ')}`)
}

test('requests made in chat and through the gateway show on the dashboard, in the request log and in usage; the log view searches', async ({ page }) => {
  test.setTimeout(120_000)
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  // The first account is an admin, and admins land on the dashboard.
  await expect(page).toHaveURL(/\/dashboard$/)
  await expect(page.getByTestId('dashboard-requests')).toHaveText('0')
  await expect(page.getByTestId('dashboard-no-requests')).toBeVisible()

  const id = await serve(page, { name: 'Fast', model: 'standin/400tps', engine: 'mlx_lm.server' })
  const created = await page.request.post('/api/keys', { data: { name: 'laptop' }, ...asPage(page) })
  expect(created.status(), await created.text()).toBe(201)
  const { key } = (await created.json()) as { key: string }

  // One question in the manager's chat.
  const chat = new ChatPage(page)
  await chat.open(`/chat?profile=${id}`)
  await chat.send('Hello there')
  await chat.waitForAnswerDone()

  // The dashboard stays open while a client calls the gateway twice with the key: it follows live.
  await page.goto('/dashboard')
  await expect(page.getByTestId('dashboard-requests')).toHaveText('1')
  for (const content of ['one', 'two']) {
    const answer = await page.request.post('/v1/chat/completions', {
      headers: { authorization: `Bearer ${key}` },
      data: { model: 'Fast', messages: [{ role: 'user', content }] },
    })
    expect(answer.status(), await answer.text()).toBe(200)
  }
  await expect(page.getByTestId('dashboard-requests')).toHaveText('3')
  await expect(page.getByTestId('dashboard-errors')).toHaveText('0 errors')
  await expect(page.getByTestId('dashboard-server-' + id)).toContainText('Fast')
  const recent = page.getByTestId('dashboard-recent').locator('tbody tr')
  await expect(recent).toHaveCount(3)
  await expect(recent.first()).toContainText('laptop')
  await expect(page.getByTestId('chart-Requests and errors').locator('canvas').first()).toBeVisible()
  expect(await axe(page)).toEqual([])

  // The request log: newest first, the gateway's with the key, the chat's as Chat; exports follow the filters.
  await page.getByTestId('dashboard-all-requests').click()
  await expect(page).toHaveURL(/\/requests$/)
  const rows = page.getByTestId('requests-table').locator('tbody tr')
  await expect(rows).toHaveCount(3)
  await expect(rows.nth(0)).toContainText('/v1/chat/completions')
  await expect(rows.nth(0)).toContainText('laptop')
  await expect(rows.nth(2)).toContainText('Chat')
  expect(await axe(page)).toEqual([])
  const csvHref = await page.getByTestId('requests-export-csv').getAttribute('href')
  const csv = await page.request.get(csvHref ?? '')
  expect(csv.status()).toBe(200)
  const lines = (await csv.text()).trim().split('\n')
  expect(lines[0]).toContain('id,startedAt,profileId')
  expect(lines).toHaveLength(4)
  const json = await page.request.get((await page.getByTestId('requests-export-json').getAttribute('href')) ?? '')
  expect(((await json.json()) as unknown[]).length).toBe(3)

  // Usage by key: the laptop key made two, the chat (no key) one.
  await page.goto('/usage')
  await page.getByTestId('usage-group-key').click()
  await expect(page.getByTestId('usage-table')).toContainText('laptop')
  await expect(page.locator('[data-testid^="usage-row-"]').filter({ hasText: 'laptop' }).locator('td').first()).toHaveText('2')
  await expect(page.getByTestId('usage-row-none').locator('td').first()).toHaveText('1')
  await expect(page.getByTestId('usage-summary')).toContainText('3 requests')
  expect(await axe(page)).toEqual([])

  // The server's log: a search keeps the gateway's request lines and marks the match; the whole file downloads.
  await page.goto(`/servers/${id}/logs`)
  await expect(page.getByTestId('log-status')).toContainText('lines')
  await page.getByTestId('log-search').fill('POST /v1/chat/completions')
  await expect(page.getByTestId('log-lines').locator('mark').first()).toHaveText('POST /v1/chat/completions')
  await expect(page.getByTestId('log-status')).toHaveText(/^\d+ of \d+ lines$/)
  for (const line of await page.getByTestId('log-lines').locator('.line').allTextContents()) expect(line).toContain('POST /v1/chat/completions')
  const download = page.waitForEvent('download')
  await page.getByTestId('log-download').click()
  const file = await download
  expect(file.suggestedFilename()).toBe(`Fast-${id}.log`)
  expect(await axe(page)).toEqual([])
})
