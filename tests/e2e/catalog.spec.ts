import { test as base, expect, type Page } from '@playwright/test'
import { freePort, startBunServer, startManager, type Manager } from './manager'
import { CatalogPage } from './pages/catalog-page'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'

const admin = { email: 'admin@example.com', password: 'admin-password-1' }

/** The local HuggingFace Hub (tests/fixtures/hub) from its CLI, with one fault on every request or none. */
async function startHub(fault: HubFault | null): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = ['tests/fixtures/hub/cli.ts', '--port', String(await freePort()), ...(fault === null ? [] : ['--fault', fault])]
  return startBunServer(args, /repos at (http:\/\/\S+)/)
}

/** The hub fixture's CLI faults: every request fails that way. */
type HubFault = 'rate-limit' | 'outage'

/** Each test gets its own hub and a fresh manager pointed at it. */
const test = base.extend<{ hubFault: HubFault | null; hub: string; manager: Manager }>({
  hubFault: [null, { option: true }],
  hub: async ({ hubFault }, use) => {
    const hub = await startHub(hubFault)
    await use(hub.url)
    await hub.stop()
  },
  manager: async ({ hub }, use) => {
    const started = await startManager({ HF_ENDPOINT: hub })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

async function registerAdmin(page: Page): Promise<void> {
  const login = new LoginPage(page)
  await login.open()
  await login.register(admin.email, admin.password)
  await new Shell(page).expectSignedIn()
}

test('search, filter, open a model, then do both again offline after a reload', async ({ page, context }) => {
  await registerAdmin(page)
  const catalog = new CatalogPage(page)
  await catalog.open()
  await expect.poll(() => catalog.resultIds().then((ids) => ids.length)).toBe(20)
  await expect(catalog.result('mlx-community/Qwen3-8B-4bit').getByTestId('fit-badge')).toHaveAttribute('data-state', 'fits')

  await catalog.search('qwen3')
  const found = await catalog.resultIds()
  expect(found.length).toBeGreaterThan(3)
  expect(found.every((id) => id.toLowerCase().includes('qwen3'))).toBe(true)

  await catalog.toggleFilter('filter-bits-4')
  const fourBit = await catalog.resultIds()
  expect(fourBit).toContain('mlx-community/Qwen3-8B-4bit')
  for (const facts of await catalog.results().getByTestId('result-bits').allTextContents()) expect(facts).toBe('4-bit')

  await catalog.openModel('mlx-community/Qwen3-8B-4bit')
  await expect(page.getByTestId('spec-kv-heads')).toHaveText('8')
  await expect(page.getByTestId('model-download-size')).toContainText('4.3 GB of weights')
  await expect(page.getByTestId('engine-command')).toHaveAttribute('data-command', /--reasoning-parser qwen3/)
  await expect(page.getByTestId('fit-kv')).toHaveText('1.1 GB')
  // One unit system in the fit panel: the budget's sentence writes sizes as the figures above it do.
  await expect(page.getByTestId('model-fit')).toContainText(/\d+\.\d GB of \d+\.\d GB memory is available now/)
  await expect(page.getByTestId('model-fit')).not.toContainText('GiB')
  // The slider recomputes the fit in the page: one step right is 16K tokens.
  await page.getByTestId('fit-slider').getByRole('slider').focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByTestId('fit-context')).toHaveText('16K tokens')
  await expect(page.getByTestId('fit-kv')).toHaveText('2.3 GB')

  // The service worker controls the page from the next load on; only then can it open offline.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await context.setOffline(true)
  await page.goto('/catalog')

  await expect(catalog.offlineNotice()).toContainText(/Offline — showing models saved on this device, last synced/)
  await catalog.expectResults()
  await catalog.search('qwen3 8b')
  const offlineIds = await catalog.resultIds()
  expect(offlineIds).toContain('mlx-community/Qwen3-8B-4bit')
  expect(offlineIds.every((id) => /qwen3/i.test(id) && /8b/i.test(id))).toBe(true)
  await catalog.toggleFilter('filter-capability-reasoning')
  expect(await catalog.resultIds()).toContain('mlx-community/Qwen3-8B-4bit')

  await catalog.openModel('mlx-community/Qwen3-8B-4bit')
  await expect(page.getByTestId('catalog-offline')).toContainText('this model as saved on this device')
  await expect(page.getByTestId('spec-layers')).toHaveText('36')
  await expect(page.getByTestId('model-download')).toBeDisabled()

  // A model page opens offline on a reload too.
  await page.reload()
  await expect(page.getByTestId('model-name')).toHaveText('Qwen3-8B-4bit')
  await expect(page.getByTestId('model-readme')).toContainText('converted to MLX format')

  // Back online, the page refreshes from the manager by itself.
  await context.setOffline(false)
  await expect(page.getByTestId('catalog-offline')).toHaveCount(0)
  await expect(page.getByTestId('model-download')).toBeEnabled()
})

test('the address holds the search and filters: a reload, back from a model page and a shared link restore the list', async ({ page, context }) => {
  await registerAdmin(page)
  const catalog = new CatalogPage(page)
  await catalog.open()
  const historyLength = await page.evaluate(() => history.length)
  await catalog.search('qwen3')
  await catalog.toggleFilter('filter-bits-4')
  await page.getByTestId('catalog-sort').click()
  await page.locator('.n-base-select-option').filter({ hasText: /^Most likes/ }).click()
  await catalog.settled()
  await expect(page).toHaveURL(/\/catalog\?q=qwen3&sort=likes&bits=4$/)
  // Typing and choosing replace the address: Back leaves the catalog instead of undoing each keystroke.
  expect(await page.evaluate(() => history.length)).toBe(historyLength)
  const listed = await catalog.resultIds()
  expect(listed.length).toBeGreaterThan(2)

  const expectRestored = async (on = page) => {
    await expect(on.getByTestId('catalog-search')).toHaveValue('qwen3')
    await expect(on.getByTestId('filter-bits-4')).toHaveAttribute('aria-checked', 'true')
    await expect(on.getByTestId('catalog-sort')).toContainText('Most likes')
    await expect.poll(() => new CatalogPage(on).resultIds()).toEqual(listed)
  }

  await catalog.openModel('mlx-community/Qwen3-8B-4bit')
  await page.goBack()
  await expect(page).toHaveURL(/\/catalog\?q=qwen3&sort=likes&bits=4$/)
  await expectRestored()
  await page.goForward()
  await expect(page.getByTestId('model-name')).toHaveText('Qwen3-8B-4bit')
  await page.getByTestId('model-back').click()
  await expectRestored()

  await page.reload()
  await expectRestored()

  const shared = await context.newPage()
  await shared.goto(page.url())
  await expectRestored(shared)
})

test('one row per model with its quantizations to choose from; names whole and "128K ctx" on one line at both widths', async ({ page }) => {
  await registerAdmin(page)
  const catalog = new CatalogPage(page)
  await catalog.open()
  await catalog.search('qwen3-8b')
  const row = catalog.result('mlx-community/Qwen3-8B-6bit')
  await expect(row).toHaveCount(1)
  await expect(row.getByTestId('result-variant')).toHaveText([/^3-bit/, /^4-bit/, /^6-bit/, /^bf16/])
  await expect(row.getByTestId('fit-share')).toHaveText(/^\d+% of memory$/)
  await catalog.openModel('mlx-community/Qwen3-8B-6bit')
  await expect(page.getByTestId('model-name')).toHaveText('Qwen3-8B-6bit')

  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport)
    await page.goto('/catalog?q=distill')
    await catalog.expectResults()
    // Each name is shown whole (it wraps rather than being cut), and no "… ctx" fact breaks across lines.
    const clipped = await page.getByTestId('result-name').evaluateAll((names) => names.filter((name) => name.scrollWidth > name.clientWidth + 1).map((name) => name.textContent))
    expect(clipped).toEqual([])
    const names = await page.getByTestId('result-name').allTextContents()
    expect(names).toContain('DeepSeek-R1-Distill-Qwen-7B-4bit')
    const broken = await page.getByTestId('result-context').evaluateAll((facts) => facts.filter((fact) => fact.getClientRects().length > 1).map((fact) => fact.textContent))
    expect(broken).toEqual([])
    await expect(page.getByTestId('result-context').first()).toHaveText(/^\d+K ctx$/)
  }
})

test('model cards are sanitised: no script, handler or javascript: link survives', async ({ page }) => {
  const dialogs: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  await registerAdmin(page)
  const catalog = new CatalogPage(page)
  await catalog.open()
  await catalog.search('Qwen2.5-7B-Instruct-4bit')
  await catalog.openModel('mlx-community/Qwen2.5-7B-Instruct-4bit')
  const card = page.getByTestId('model-readme')
  await expect(card.locator('table')).toHaveCount(1)
  await expect(card.locator('details summary')).toHaveText('Benchmarks')
  await expect(card.locator('script')).toHaveCount(0)
  await expect(card.locator('[onerror]')).toHaveCount(0)
  await expect(card.locator('a[href^="javascript:"]')).toHaveCount(0)
  for (const href of await card.locator('a[href]').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''))) {
    expect(href).toMatch(/^(https?:|mailto:|#)/)
  }
  expect(dialogs).toEqual([])
})

test('images from other sites on a model card load only after a click, and the page breaks no CSP rule', async ({ page }) => {
  // Every CSP violation the page reports. The hostile card's onerror attribute is the one inline
  // script the policy is there to stop (script-src-attr); nothing the app itself needs may be blocked.
  const violations: string[] = []
  await page.exposeFunction('reportViolation', (line: string) => violations.push(line))
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      void (window as unknown as { reportViolation: (line: string) => void }).reportViolation(`${event.effectiveDirective} ${event.blockedURI}`)
    })
  })
  // The image host is answered here, so the test never leaves the machine; it counts the fetches.
  const fetched: string[] = []
  await page.route('https://images.example.invalid/**', async (route) => {
    fetched.push(route.request().url())
    await route.fulfill({ status: 200, contentType: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>' })
  })
  const response = await page.goto('/catalog')
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'")
  expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'")
  await registerAdmin(page)
  const catalog = new CatalogPage(page)
  await catalog.open()
  await catalog.search('Qwen2.5-7B-Instruct-4bit')
  await catalog.openModel('mlx-community/Qwen2.5-7B-Instruct-4bit')
  const card = page.getByTestId('model-readme')
  await expect(card.locator('img[alt="throughput chart"]')).toHaveCount(1)
  await expect(card.locator('img[alt="throughput chart"]')).not.toHaveAttribute('src', /.*/)
  expect(fetched).toEqual([])
  await page.getByTestId('model-card-images').click()
  await expect(card.locator('img[alt="throughput chart"]')).toHaveAttribute('src', 'https://images.example.invalid/chart.png')
  await expect.poll(() => fetched).toEqual(['https://images.example.invalid/chart.png'])
  expect(violations.filter((line) => line !== 'script-src-attr inline')).toEqual([])
})

test.describe('with a hub that rate-limits every request', () => {
  test.use({ hubFault: 'rate-limit' })

  test('the catalog shows the hub’s wait and a retry, never an empty list', async ({ page }) => {
    await registerAdmin(page)
    await page.goto('/catalog')
    const error = page.getByTestId('catalog-error')
    await expect(error).toHaveAttribute('data-code', 'hub-rate-limited')
    await expect(error).toContainText('try again in 30 s')
    await expect(page.getByTestId('catalog-retry')).toBeDisabled()
    await expect(page.getByTestId('catalog-retry')).toContainText(/Retry in \d+ s/)
    await expect(page.getByTestId('catalog-empty')).toHaveCount(0)
    await expect(page.getByTestId('catalog-result')).toHaveCount(0)
  })
})

test.describe('with a hub that is down', () => {
  test.use({ hubFault: 'outage' })

  test('the catalog says what failed and offers a retry', async ({ page }) => {
    await registerAdmin(page)
    await page.goto('/catalog')
    // The manager's sentence, this device's (empty) copy instead of a blank page, and a way to try again.
    await expect(page.getByTestId('catalog-offline')).toContainText('Could not reach the HuggingFace Hub')
    await expect(page.getByTestId('catalog-empty')).toContainText('Nothing saved on this device yet')
    await page.getByTestId('catalog-offline-retry').click()
    await expect(page.getByTestId('catalog-offline')).toContainText('Could not reach the HuggingFace Hub')
  })
})
