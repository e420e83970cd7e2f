import { join } from 'node:path'
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { asPage, freePort, ROOT, startBunServer, startManager } from './manager'
import { CatalogPage } from './pages/catalog-page'
import { ChatPage } from './pages/chat-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'

const ENGINE_PATH = join(ROOT, 'tests', 'fixtures', 'engine')
const admin = { email: 'admin@example.com', password: 'admin-password-1' }
const MODEL = 'mlx-community/Qwen3-8B-4bit'

type Violations = Awaited<ReturnType<AxeBuilder['analyze']>>['violations']

/** Waits for Naive UI's enter transitions, so colours are checked as they end up rather than mid-fade. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity))
}

/** The serious and critical axe findings on the current screen, one line each with a few of the elements. */
async function audit(page: Page, screen: string, ready: Locator): Promise<string[]> {
  await expect(ready).toBeVisible()
  await settled(page)
  const { violations }: { violations: Violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => {
      const targets = violation.nodes.slice(0, 4).map((node) => {
        // Contrast findings name their colours, so a failure says what to change.
        const data: unknown = node.any[0]?.data
        const colours = typeof data === 'object' && data !== null && 'contrastRatio' in data ? ` (${String((data as Record<string, unknown>).fgColor)} on ${String((data as Record<string, unknown>).bgColor)}: ${String(data.contrastRatio)})` : ''
        return `${node.target.join(' ')}${colours}`
      })
      return `${screen}: ${violation.id} (${violation.impact}) ${violation.help} — ${targets.join(' | ')}`
    })
}

/** The element keyboard focus is on, described by its test id, or its tag and type. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement
    if (element === null) return ''
    const testId = element.closest('[data-testid]')?.getAttribute('data-testid')
    return testId ?? `${element.tagName.toLowerCase()}${element.getAttribute('type') === null ? '' : `[type=${element.getAttribute('type')}]`}`
  })
}

/** The ring the focused element draws: an outline of some width, or a box shadow. */
function focusRing(page: Page): Promise<{ outline: string; boxShadow: string; visible: boolean }> {
  return page.evaluate(() => {
    const element = document.activeElement
    if (element === null) return { outline: '', boxShadow: '', visible: false }
    const style = getComputedStyle(element)
    const outline = `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`
    const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none'
    return { outline, boxShadow: style.boxShadow, visible }
  })
}

test('every screen passes axe without serious or critical violations, and the keyboard reaches every control with a visible ring', async ({ browser }, testInfo) => {
  test.setTimeout(90_000)
  const hub = await startBunServer(['tests/fixtures/hub/cli.ts', '--port', String(await freePort())], /repos at (http:\/\/\S+)/)
  const started = await startManager({ HF_ENDPOINT: hub.url, MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, MLX_STANDIN_LOAD_MS: '100' })
  const context = await browser.newContext({ baseURL: started.manager.url })
  try {
    const page = await context.newPage()
    const found: string[] = []

    // First run: the form for the administrator's account.
    const login = new LoginPage(page)
    await login.open()
    found.push(...(await audit(page, 'first run', login.firstRun())))
    await login.register(admin.email, admin.password)
    const shell = new Shell(page)
    await shell.expectSignedIn()

    // Rows for every list: a running server with a log, an API key, a member waiting for approval.
    const profile = await page.request.post('/api/profiles', {
      data: { name: 'Helper', model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() },
      ...asPage(page),
    })
    expect(profile.status(), await profile.text()).toBe(201)
    const { id } = (await profile.json()) as { id: number }
    const start = await page.request.post(`/api/servers/${id}/start`, { data: {}, ...asPage(page) })
    expect(start.ok(), await start.text()).toBe(true)
    const key = await page.request.post('/api/keys', { data: { name: 'Laptop' }, ...asPage(page) })
    expect(key.status(), await key.text()).toBe(201)
    const member = await fetch(`${started.manager.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: started.manager.url },
      body: JSON.stringify({ email: 'member@example.com', password: 'member-password-1' }),
    })
    expect(member.ok, await member.text()).toBe(true)

    // The catalog, and the keyboard through its filters: the Fits switch, every chip in order, then the size boxes.
    const catalog = new CatalogPage(page)
    await catalog.open()
    found.push(...(await audit(page, 'catalog', catalog.results().first())))
    const filters = page.getByTestId('catalog-filters')
    const chips = await filters.locator('[role="checkbox"]').evaluateAll((elements) => elements.map((element) => element.getAttribute('data-testid') ?? ''))
    expect(chips.length).toBeGreaterThan(5)
    await page.getByTestId('filter-fits').focus()
    const order: string[] = []
    for (let stop = 0; stop <= chips.length; stop++) {
      await page.keyboard.press('Tab')
      order.push(await focused(page))
      if (stop === 0) expect((await focusRing(page)).visible, `the first chip shows a focus ring: ${JSON.stringify(await focusRing(page))}`).toBe(true)
    }
    expect(order).toEqual([...chips, 'filter-min-size'])
    // Space works a chip as a click would.
    await page.keyboard.press('Shift+Tab')
    const last = page.getByTestId(chips.at(-1) ?? '')
    await expect(last).toHaveAttribute('aria-checked', 'false')
    await page.keyboard.press('Space')
    await expect(last).toHaveAttribute('aria-checked', 'true')
    await catalog.settled()
    await page.keyboard.press('Space')
    await expect(last).toHaveAttribute('aria-checked', 'false')

    await page.goto(`/catalog/${MODEL}`)
    found.push(...(await audit(page, 'model page', page.getByTestId('model-name'))))

    await page.goto('/models')
    found.push(...(await audit(page, 'models', page.getByTestId('downloads-panel'))))

    await page.goto('/profiles')
    found.push(...(await audit(page, 'profiles', page.getByTestId('profile-row').first())))

    await page.goto(`/profiles/${id}`)
    found.push(...(await audit(page, 'profile editor', page.getByTestId('profile-form'))))

    await expect.poll(async () => ((await (await page.request.get(`/api/servers/${id}`)).json()) as { state: string }).state, { timeout: 15_000 }).toBe('ready')
    await page.goto('/servers')
    found.push(...(await audit(page, 'servers', page.getByTestId('server-tile').first())))

    await page.goto(`/servers/${id}/logs`)
    found.push(...(await audit(page, 'server log', page.getByTestId('log-lines'))))

    // Chat with one exchange; its hidden file inputs are opened by buttons and take no Tab stop.
    const chat = new ChatPage(page)
    await chat.open(`/chat?profile=${id}`)
    await chat.send('Hello there')
    await chat.waitForAnswerDone()
    found.push(...(await audit(page, 'chat', chat.lastAnswer())))
    await page.locator('body').focus()
    const stops: string[] = []
    const fileStops: string[] = []
    for (let stop = 0; stop < 60; stop++) {
      await page.keyboard.press('Tab')
      stops.push(await focused(page))
      if (await page.evaluate(() => document.activeElement?.matches('input[type="file"]') === true)) fileStops.push(stops.at(-1) ?? '')
    }
    expect(stops).toContain('chat-attach')
    expect(stops).toContain('chat-import')
    expect(fileStops).toEqual([])

    await page.goto('/users')
    found.push(...(await audit(page, 'users', page.getByTestId('user-row').nth(1))))

    await page.goto('/engines')
    found.push(...(await audit(page, 'engines', page.getByTestId('engines-list'))))

    await page.goto('/keys')
    found.push(...(await audit(page, 'API keys', page.getByText('Laptop'))))

    // A button reached by Tab draws a ring, in both themes; the screenshots are kept with the results.
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      await page.goto('/servers')
      await expect(page.getByTestId('server-tile').first()).toBeVisible()
      await settled(page)
      await page.getByTestId('server-tile').first().getByTestId('server-logs').focus()
      // Focus set by a script shows :focus-visible only after keyboard use; one Tab there and back makes it keyboard focus.
      await page.keyboard.press('Tab')
      await page.keyboard.press('Shift+Tab')
      expect(await focused(page)).toBe('server-logs')
      const ring = await focusRing(page)
      expect(ring.visible, `a focused button shows a ring in ${scheme}: ${JSON.stringify(ring)}`).toBe(true)
      await page.screenshot({ path: testInfo.outputPath(`focus-ring-${scheme}.png`) })
    }
    await page.emulateMedia({ colorScheme: 'light' })

    // Signing out leads to the sign-in form with its tabs.
    await shell.signOut()
    found.push(...(await audit(page, 'sign in', page.getByTestId('login-tab-sign-in'))))

    expect(found, `serious or critical axe violations:\n${found.join('\n')}`).toEqual([])
  } finally {
    await context.close()
    await started.stop()
    await hub.stop()
  }
})

test('in dark mode on a phone, every screen and the in-app dialogs pass axe too', async ({ browser }) => {
  test.setTimeout(120_000)
  const started = await startManager({ MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, MLX_STANDIN_LOAD_MS: '100' })
  const context = await browser.newContext({ baseURL: started.manager.url, viewport: { width: 390, height: 844 }, colorScheme: 'dark' })
  try {
    const page = await context.newPage()
    const login = new LoginPage(page)
    await login.open()
    await login.register(admin.email, admin.password)
    await new Shell(page).expectSignedIn()
    const profile = await page.request.post('/api/profiles', {
      data: { name: 'Helper', model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort(), aliases: ['helper-latest'] },
      ...asPage(page),
    })
    expect(profile.status(), await profile.text()).toBe(201)
    const { id } = (await profile.json()) as { id: number }
    const start = await page.request.post(`/api/servers/${id}/start`, { data: {}, ...asPage(page) })
    expect(start.ok(), await start.text()).toBe(true)
    await expect.poll(async () => ((await (await page.request.get(`/api/servers/${id}`)).json()) as { state: string }).state, { timeout: 15_000 }).toBe('ready')

    const found: string[] = []
    const screens = ['/catalog', '/models', '/profiles', `/profiles/${id}`, '/servers', `/servers/${id}/logs`, '/chat', '/connect', '/users', '/engines', '/keys', '/settings']
    for (const path of screens) {
      await page.goto(path)
      await expect(page.locator('main')).toBeVisible()
      // Lists and panels load after the first paint: the audit waits for the network to go quiet.
      await page.waitForLoadState('networkidle')
      found.push(...(await audit(page, `${path} (dark, phone)`, page.locator('main'))))
    }

    // The in-app dialog for leaving the profile editor with unsaved changes.
    await page.goto(`/profiles/${id}`)
    await page.getByTestId('profile-form').getByRole('textbox').first().fill('Helper renamed')
    await page.getByRole('link', { name: 'Servers' }).first().click()
    const dialog = page.getByRole('dialog')
    await expect(dialog).toBeVisible()
    found.push(...(await audit(page, 'leave dialog (dark, phone)', dialog)))

    expect(found, `serious or critical axe violations:\n${found.join('\n')}`).toEqual([])
  } finally {
    await context.close()
    await started.stop()
  }
})
