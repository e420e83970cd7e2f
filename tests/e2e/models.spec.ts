import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LoginPage } from './pages/login-page'
import { ModelsPage } from './pages/models-page'
import { Shell } from './pages/shell'
import { expect, ROOT, startBunServer, startManager, test } from './manager'

const ALPHA = 'e2e-org/alpha-4bit'
const BETA = 'e2e-org/beta-4bit'

/**
 * The local hub and the fault proxy are Bun servers and Playwright runs under Node, so they run in a
 * Bun child: the hub in `content` mode (listed sizes are served sizes, sha256 checks pass) with 1 MiB
 * weights, behind a proxy that throttles file bytes so progress can be watched, paused and cancelled.
 */
async function startHub(bytesPerSecond: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const script = join(mkdtempSync(join(tmpdir(), 'models-e2e-hub-')), 'hub.ts')
  writeFileSync(
    script,
    `import { startHubFixture } from ${JSON.stringify(join(ROOT, 'tests/fixtures/hub/index.ts'))}
import { startFaultProxy, testRepo } from ${JSON.stringify(join(ROOT, 'tests/fixtures/faults/index.ts'))}
const hub = startHubFixture({ repos: [testRepo(${JSON.stringify(ALPHA)}), testRepo(${JSON.stringify(BETA)})], sizes: 'content', generatedBytes: 1024 * 1024 })
const proxy = startFaultProxy({ target: hub.url, rules: [{ kind: 'throttle', bytesPerSecond: ${bytesPerSecond}, match: '/resolve/' }] })
console.log('HUB ' + proxy.url)
`,
  )
  return startBunServer([script], /HUB (\S+)/)
}

test('download with live progress, pause, resume, cancel, then the model in the library and deleted', async ({ browser }) => {
  test.setTimeout(120_000)
  const hub = await startHub(150_000)
  const started = await startManager({ HF_ENDPOINT: hub.url })
  try {
    const page = await browser.newPage({ baseURL: started.manager.url })
    const login = new LoginPage(page)
    await login.open()
    await login.register('admin@example.com', 'admin-password-1')
    await new Shell(page).expectSignedIn()
    await new Shell(page).nav('models').click()
    const models = new ModelsPage(page)
    await expect(page.getByTestId('library-empty')).toBeVisible()

    // A bad id is refused in the page, before the manager is asked.
    await page.getByTestId('download-input').fill('not a repo')
    await page.getByTestId('download-submit').click()
    await expect(page.getByTestId('download-form-error')).toContainText('org/name')

    await models.download(ALPHA)
    await models.expectStatus(ALPHA, 'downloading')
    await expect.poll(() => models.percent(ALPHA), { timeout: 30_000 }).toBeGreaterThan(0)
    const before = await models.percent(ALPHA)
    await expect.poll(() => models.percent(ALPHA), { timeout: 30_000 }).toBeGreaterThan(before)
    await expect(models.download$(ALPHA).getByTestId('download-speed')).toContainText('/s')

    // Per-file progress on expand.
    await models.download$(ALPHA).getByTestId('download-files-toggle').click()
    await expect(models.download$(ALPHA).getByTestId('download-file').first()).toBeVisible()

    await models.act(ALPHA, 'pause')
    await models.expectStatus(ALPHA, 'paused')
    const paused = await models.percent(ALPHA)
    // Nothing moves any more, and what the manager has on record after the pause settled is what the row showed.
    await expect(models.download$(ALPHA).getByTestId('download-speed')).toBeHidden()
    await page.reload()
    await models.expectStatus(ALPHA, 'paused')
    expect(await models.percent(ALPHA)).toBe(paused)
    await models.act(ALPHA, 'resume')
    await models.expectStatus(ALPHA, 'downloading')

    // A second download, paused (so it cannot finish first on a slow machine), then cancelled after a confirmation.
    await models.download(BETA)
    await models.act(BETA, 'pause')
    await models.expectStatus(BETA, 'paused')
    await models.act(BETA, 'cancel')
    await expect(page.getByTestId('confirm-dialog')).toContainText('deleted')
    await models.confirm()
    await models.expectStatus(BETA, 'cancelled')

    // The first one finishes and shows up in the library by itself.
    await expect(models.download$(ALPHA)).toHaveAttribute('data-status', 'completed', { timeout: 60_000 })
    // The finished row keeps its totals: the full bar and every byte.
    await expect.poll(() => models.percent(ALPHA)).toBe(100)
    await expect(models.download$(ALPHA).getByTestId('download-bytes')).toHaveText(/^2\.0 MB of 2\.0 MB$/)
    await expect(models.library(ALPHA)).toHaveAttribute('data-state', 'complete')
    await expect(models.library(ALPHA).getByTestId('library-quantization')).toContainText('4-bit')
    await expect(models.library(BETA)).toHaveCount(0)
    await expect(models.library(ALPHA).getByTestId('library-use')).toHaveAttribute('href', `/profiles/new?model=${encodeURIComponent(ALPHA)}`)

    await models.deleteFromLibrary(ALPHA)
    await expect(models.library(ALPHA)).toHaveCount(0)
    await expect(page.getByTestId('library-empty')).toBeVisible()
  } finally {
    await started.stop()
    await hub.stop()
  }
})
