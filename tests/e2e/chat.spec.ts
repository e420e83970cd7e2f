import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { test as base, type Page } from '@playwright/test'
import { ChatPage } from './pages/chat-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'
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

/** A 1×1 PNG: enough for the engine to receive a real image part. */
const PIXEL = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')

/**
 * Engines of journeys running side by side share this machine's ports, and each manager would
 * suggest 8000: a port picked free here keeps one journey's engine off another's.
 */
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

test('chat streams with reasoning, stops, regenerates, takes an image, and is found again offline', async ({ page, context }) => {
  test.setTimeout(120_000)
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  // A reasoning model writing 8 tokens a second (slow enough to watch and stop), and a vision model on mlx-openai-server.
  const thinker = await serve(page, { name: 'Thinker', model: 'standin/reasoning-8tps', engine: 'mlx_lm.server' })
  await serve(page, { name: 'Vision', model: 'standin/vision-200tps', engine: 'mlx-openai-server', modelType: 'multimodal' })

  const chat = new ChatPage(page)
  await chat.open(`/chat?profile=${thinker}`)
  await expect(page.getByTestId('chat-profile')).toContainText('Thinker')

  // Streaming: the reasoning block opens live, then the answer grows token by token.
  await chat.send('Tell me about the aurora borealis over Tromsø')
  await expect(page).toHaveURL(/\/chat\/[0-9a-f-]{36}$/)
  const answer = chat.lastAnswer()
  await expect(answer.getByTestId('reasoning-summary')).toHaveText(/Thinking…/)
  await expect(chat.stopButton()).toBeVisible()
  await expect(answer.getByTestId('chat-message-text')).toContainText('stand-in engine')
  const partial = (await answer.getByTestId('chat-message-text').textContent()) ?? ''
  await chat.waitForAnswerDone()
  const full = (await answer.getByTestId('chat-message-text').textContent()) ?? ''
  expect(full).toContain('aurora borealis over Tromsø')
  expect(full.length).toBeGreaterThan(partial.length)
  await expect(answer.getByTestId('reasoning-summary')).toHaveText(/Thought for/)
  await expect(answer.getByTestId('reasoning')).not.toHaveAttribute('open', '')
  await expect(answer.getByTestId('chat-metrics')).toContainText(/tok\/s/)
  await expect(answer.getByTestId('chat-metrics')).toContainText(/to first token/)

  // Stop: a long question gets a long echo; stopping keeps what came and says so.
  const long = 'Please repeat slowly: ' + Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ')
  await chat.send(long)
  await expect(chat.answers()).toHaveCount(2)
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('stand-in engine')
  await chat.stopButton().click()
  await expect(chat.lastAnswer().getByTestId('chat-stopped')).toBeVisible()
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).not.toContainText('word19')
  await expect(chat.answers()).toHaveCount(2)

  // Continue goes on in the same answer: no new message, and it is no longer marked stopped.
  await chat.lastAnswer().getByTestId('chat-continue').click()
  await chat.waitForAnswerDone()
  await expect(chat.answers()).toHaveCount(2)
  await expect(chat.lastAnswer().getByTestId('chat-stopped')).toHaveCount(0)
  await expect(chat.lastAnswer().getByTestId('chat-continue')).toHaveCount(0)
  const continued = (await chat.lastAnswer().getByTestId('chat-message-text').textContent()) ?? ''
  expect(continued).toContain('word19')

  // Regenerate writes a new answer and keeps the continued one as version 1 of 2.
  await chat.lastAnswer().getByTestId('chat-regenerate').click()
  await chat.waitForAnswerDone()
  await expect(chat.answers()).toHaveCount(2)
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('word19')
  await expect(chat.lastAnswer().getByTestId('chat-stopped')).toHaveCount(0)
  await expect(chat.lastAnswer().getByTestId('chat-version-count')).toHaveText('2/2')
  const regenerated = (await chat.lastAnswer().getByTestId('chat-message-text').textContent()) ?? ''
  expect(regenerated).not.toBe(continued)
  await chat.lastAnswer().getByTestId('chat-version-previous').click()
  await expect(chat.lastAnswer().getByTestId('chat-version-count')).toHaveText('1/2')
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toHaveText(continued)
  // Kept on this device: after a reload the chosen version is still the one shown.
  await page.reload()
  await expect(chat.lastAnswer().getByTestId('chat-version-count')).toHaveText('1/2')
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toHaveText(continued)
  await chat.lastAnswer().getByTestId('chat-version-next').click()
  await expect(chat.lastAnswer().getByTestId('chat-version-count')).toHaveText('2/2')
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toHaveText(regenerated)
  // The version switcher passes axe like the rest of the screen.
  const { violations } = await new AxeBuilder({ page }).analyze()
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([])

  // A text-only model refuses images before anything is sent, and says why.
  await chat.attach('pixel.png', 'image/png', PIXEL)
  await expect(page.getByText(/Thinker serves a text-only model/)).toBeVisible()
  await expect(chat.attachments()).toHaveCount(0)

  // The vision profile takes it: a preview, then the engine acknowledges the image it got.
  await page.getByTestId('chat-new').click()
  await chat.chooseProfile('Vision')
  await chat.attach('pixel.png', 'image/png', PIXEL)
  await expect(chat.attachments()).toHaveCount(1)
  await expect(chat.attachments().locator('img')).toBeVisible()
  await chat.send('What is in this picture?')
  await chat.waitForAnswerDone()
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('I see 1 image')
  await expect(chat.messages().first().locator('img')).toBeVisible()
  await expect(chat.conversations()).toHaveCount(2)

  // The Servers screen sums up what each server answered.
  await page.getByRole('link', { name: 'Servers' }).first().click()
  const visionTile = page.getByTestId('server-tile').filter({ has: page.getByRole('heading', { name: 'Vision', exact: true }) })
  await expect(visionTile.getByTestId('chat-requests')).toHaveText('1')
  await expect(visionTile.getByTestId('chat-speed')).toHaveText(/tok\/s$/)
  await page.getByRole('link', { name: 'Chat' }).first().click()

  // Offline: the service worker serves the app, Dexie the history; search finds the first chat.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await context.setOffline(true)
  await chat.open('/chat')
  await expect(chat.conversations()).toHaveCount(2)
  await chat.search('tromso aurora')
  await expect(chat.searchResults()).toHaveCount(1)
  await expect(chat.searchResults().first()).toContainText('Tromsø')
  await chat.searchResults().first().click()
  await expect(chat.answers()).toHaveCount(2)
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('word19')
  await expect(chat.lastAnswer().getByTestId('chat-metrics')).toContainText(/tok\/s/)
  // Sending needs the manager, and the composer says so.
  await expect(chat.input()).toHaveAttribute('placeholder', /Offline: conversations stay readable and searchable/)
  await expect(page.getByTestId('chat-send')).toBeDisabled()
})

function conversation(id: string, title: string, updatedAt: string, words: string[]) {
  const messages = words.map((content, seq) => ({
    id: `${id.slice(0, 8)}-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    seq,
    role: seq % 2 === 0 ? 'user' : 'assistant',
    content,
    reasoning: null,
    reasoningMs: null,
    attachments: [],
    metrics: null,
    error: null,
    status: 'complete',
    createdAt: updatedAt,
    profileName: seq % 2 === 0 ? null : 'Qwen3 4B',
  }))
  const parameters = { systemPrompt: null, temperature: null, topP: null, maxTokens: null }
  return { id, title, createdAt: updatedAt, updatedAt, pinned: 0, profileId: null, profileName: 'Qwen3 4B', model: 'mlx-community/Qwen3-4B-4bit', parameters, messageCount: messages.length, messages }
}

test('history: import, rename, pin, export, delete, and import back without duplicates', async ({ page }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()
  const chat = new ChatPage(page)
  await chat.open('/chat')

  const now = new Date().toISOString()
  const file = {
    format: 'mlx-manager-chats',
    version: 1,
    exportedAt: now,
    conversations: [
      conversation('11111111-1111-4111-8111-111111111111', 'Sourdough starter', now, ['How do I feed a sourdough starter?', 'Equal weights of flour and water, daily.']),
      conversation('22222222-2222-4222-8222-222222222222', 'Rust lifetimes', '2026-03-02T10:00:00.000Z', ['Explain lifetimes in Rust', 'A lifetime names how long a borrow lives.']),
    ],
  }
  await page.getByTestId('chat-import-input').setInputFiles({ name: 'chats.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) })
  await expect(page.getByText('Imported 2 new conversations and 4 messages.')).toBeVisible()
  await expect(chat.conversations()).toHaveCount(2)
  await expect(page.getByRole('heading', { name: 'March 2026' })).toBeVisible()

  // A damaged file is refused with a reason, and changes nothing.
  await page.getByTestId('chat-import-input').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"something-else"}') })
  await expect(page.locator('.n-message').filter({ hasText: /export it again|not an MLX Manager/i })).toBeVisible()
  await expect(chat.conversations()).toHaveCount(2)

  // Rename and pin through the row's menu.
  const rust = chat.conversations().filter({ hasText: 'Rust lifetimes' })
  await rust.hover()
  await rust.getByTestId('chat-conversation-menu').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Rename' }).click()
  await page.getByTestId('chat-rename-input').locator('input').fill('Borrowing in Rust')
  await page.getByTestId('chat-rename-input').locator('input').press('Enter')
  const renamed = chat.conversations().filter({ hasText: 'Borrowing in Rust' })
  await expect(renamed).toBeVisible()
  await renamed.hover()
  await renamed.getByTestId('chat-conversation-menu').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Pin' }).click()
  await expect(page.getByRole('heading', { name: 'Pinned' })).toBeVisible()

  // Export everything as JSON.
  const [download] = await Promise.all([page.waitForEvent('download'), (async () => {
    await page.getByTestId('chat-export-all').click()
    await page.locator('.n-dropdown-option').filter({ hasText: 'Export all as JSON' }).click()
  })()])
  expect(download.suggestedFilename()).toMatch(/\.json$/)
  const exported = await download.path().then((path) => import('node:fs').then((fs) => fs.readFileSync(path, 'utf8')))
  const parsed = JSON.parse(exported) as { conversations: { title: string; pinned: number }[] }
  expect(parsed.conversations.map((c) => [c.title, c.pinned]).sort()).toEqual([['Borrowing in Rust', 1], ['Sourdough starter', 0]])

  // Delete one after confirming, then import the export: only it comes back.
  const bread = chat.conversations().filter({ hasText: 'Sourdough starter' })
  await bread.hover()
  await bread.getByTestId('chat-conversation-menu').click()
  await page.locator('.n-dropdown-option').filter({ hasText: 'Delete' }).click()
  await page.locator('.n-dialog').getByRole('button', { name: 'Delete' }).click()
  await expect(chat.conversations()).toHaveCount(1)
  await page.getByTestId('chat-import-input').setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(exported) })
  await expect(page.getByText('Imported 1 new conversation and 2 messages.')).toBeVisible()
  await expect(chat.conversations()).toHaveCount(2)
  await page.getByTestId('chat-import-input').setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(exported) })
  await expect(page.getByText('Nothing new: every conversation in the file is already here.')).toBeVisible()
  await expect(chat.conversations()).toHaveCount(2)

  // The imported conversation opens with its messages.
  await chat.conversations().filter({ hasText: 'Sourdough starter' }).getByRole('link').click()
  await expect(chat.messages()).toHaveCount(2)
  await expect(chat.lastAnswer()).toContainText('Equal weights of flour and water')
})

test('a question sent to a stopped server starts it, is answered once it has loaded, and Escape stops it; its tile says when it stops for being idle', async ({ page }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()
  const created = await page.request.post('/api/profiles', {
    data: { name: 'Sleeper', model: 'standin/load-4000ms-4tps', engine: 'mlx_lm.server', port: await freePort(), idleTimeoutMinutes: 5 },
    ...asPage(page),
  })
  const { id } = (await created.json()) as { id: number }

  const chat = new ChatPage(page)
  await chat.open(`/chat?profile=${id}`)
  await chat.send('Wake up and answer')
  // The serving pool starts it; while the model loads, the answer waits and says so, then arrives by itself.
  await expect(page.getByTestId('chat-waiting')).toContainText('Sleeper is not running, so it is being started')
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('stand-in', { timeout: 15_000 })
  await expect(page.getByTestId('chat-failure')).toHaveCount(0)
  // Escape stops it, like the Stop button.
  await page.keyboard.press('Escape')
  await expect(chat.lastAnswer().getByTestId('chat-stopped')).toBeVisible()
  await expect(chat.lastAnswer().getByTestId('chat-message-text')).not.toContainText('Wake up and answer')

  // Idle now: the pool stops it after the profile's five minutes, and its tile says when.
  await page.getByRole('link', { name: 'Servers' }).first().click()
  const tile = page.getByTestId('server-tile').filter({ has: page.getByRole('heading', { name: 'Sleeper', exact: true }) })
  await expect(tile.getByTestId('server-idle-stop')).toHaveText(/^Stops when idle at \d{1,2}:\d{2}( [AP]M)?, in [45] min$/)
})

test('the open conversation is in the address: a reload reopens it, back and forward move between conversations', async ({ page }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()
  const chat = new ChatPage(page)
  await chat.open('/chat')
  const now = new Date().toISOString()
  const first = '33333333-3333-4333-8333-333333333333'
  const second = '44444444-4444-4444-8444-444444444444'
  const file = {
    format: 'mlx-manager-chats',
    version: 1,
    exportedAt: now,
    conversations: [conversation(first, 'Knots for sailing', now, ['Which knot for a mooring?', 'A bowline.']), conversation(second, 'Tomato seedlings', now, ['When to transplant?', 'After the last frost.'])],
  }
  await page.getByTestId('chat-import-input').setInputFiles({ name: 'chats.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(file)) })
  await expect(chat.conversations()).toHaveCount(2)

  await chat.conversations().filter({ hasText: 'Knots for sailing' }).getByRole('link').click()
  await expect(page).toHaveURL(new RegExp(`/chat/${first}$`))
  await expect(page.getByTestId('chat-title')).toHaveText('Knots for sailing')
  await chat.conversations().filter({ hasText: 'Tomato seedlings' }).getByRole('link').click()
  await expect(page).toHaveURL(new RegExp(`/chat/${second}$`))
  await expect(chat.lastAnswer()).toContainText('After the last frost.')

  await page.reload()
  await expect(page.getByTestId('chat-title')).toHaveText('Tomato seedlings')
  await expect(chat.lastAnswer()).toContainText('After the last frost.')

  await page.goBack()
  await expect(page).toHaveURL(new RegExp(`/chat/${first}$`))
  await expect(page.getByTestId('chat-title')).toHaveText('Knots for sailing')
  await expect(chat.lastAnswer()).toContainText('A bowline.')
  await page.goForward()
  await expect(page).toHaveURL(new RegExp(`/chat/${second}$`))
  await expect(page.getByTestId('chat-title')).toHaveText('Tomato seedlings')

  // New chat is an address of its own, and back returns to the conversation.
  await page.getByTestId('chat-new').click()
  await expect(page).toHaveURL(/\/chat$/)
  await expect(page.getByTestId('chat-title')).toHaveText('New chat')
  await page.goBack()
  await expect(page).toHaveURL(new RegExp(`/chat/${second}$`))
  await expect(page.getByTestId('chat-title')).toHaveText('Tomato seedlings')

  // An address for a conversation this device does not have says so.
  await page.goto('/chat/55555555-5555-4555-8555-555555555555')
  await expect(page.getByTestId('chat-missing')).toBeVisible()
})

test('on a phone the chat uses the whole width, its header keeps every control on screen, and the placeholder fits', async ({ page }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()
  // A stopped server: the header carries its state and a Start button too.
  const created = await page.request.post('/api/profiles', { data: { name: 'A rather long profile name', model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() }, ...asPage(page) })
  const { id } = (await created.json()) as { id: number }
  const chat = new ChatPage(page)
  await chat.open(`/chat?profile=${id}`)
  await page.getByTestId('chat-import-input').setInputFiles({
    name: 'chats.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ format: 'mlx-manager-chats', version: 1, exportedAt: new Date().toISOString(), conversations: [conversation('66666666-6666-4666-8666-666666666666', 'A question about phones', new Date().toISOString(), ['Does it fit?', 'It does.'])] })),
  })
  // The list (and its import) is a drawer on a phone: the conversation comes in at desktop size.
  await expect(chat.conversations()).toHaveCount(1)
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto('/chat/66666666-6666-4666-8666-666666666666')
  await expect(chat.lastAnswer()).toContainText('It does.')
  await page.getByTestId('chat-profile').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^A rather long profile name/ }).click()
  await expect(page.getByTestId('chat-start-server')).toBeVisible()

  const inView = async (testId: string) => {
    const box = await page.getByTestId(testId).boundingBox()
    expect(box, testId).not.toBeNull()
    expect(box!.x, testId).toBeGreaterThanOrEqual(0)
    expect(box!.x + box!.width, testId).toBeLessThanOrEqual(390)
    expect(box!.width, testId).toBeGreaterThan(20)
  }
  for (const id of ['chat-open-list', 'chat-title', 'chat-more', 'chat-profile', 'chat-start-server', 'chat-settings']) await inView(id)
  // The ⋯ menu opens fully on screen.
  await page.getByTestId('chat-more').click()
  const menu = page.locator('.n-dropdown-menu')
  await expect(menu).toBeVisible()
  const menuBox = await menu.boundingBox()
  expect(menuBox!.x).toBeGreaterThanOrEqual(0)
  expect(menuBox!.x + menuBox!.width).toBeLessThanOrEqual(390)
  await page.keyboard.press('Escape')

  // No card around the chat: it spans the screen.
  const view = await page.getByTestId('chat-view').boundingBox()
  expect(view!.width).toBeGreaterThanOrEqual(389)
  // The placeholder is one line that fits the box.
  const placeholder = page.getByTestId('chat-input').locator('.n-input__placeholder')
  await expect(placeholder).toHaveText('Message A rather long profile name')
  expect(await placeholder.evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true)
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth <= window.innerWidth)).toBe(true)
  // The composer sits above the tab bar, in view without scrolling the page.
  const composer = await page.getByTestId('chat-composer').boundingBox()
  const tabBar = await page.getByRole('navigation', { name: 'Main' }).boundingBox()
  expect(composer!.y + composer!.height).toBeLessThanOrEqual(tabBar!.y)
  expect(await page.evaluate(() => document.scrollingElement!.scrollHeight <= window.innerHeight + 1)).toBe(true)
})

