import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Locator, type Page } from '@playwright/test'
import { freePort, startBunServer, startManager } from './manager'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'

const admin = { email: 'admin@example.com', password: 'admin-password-1' }
const NEW_PASSWORD = 'a much longer new password'
const GATED = 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit'
/** The token the local hub accepts for gated repos (FIXTURE_TOKEN in tests/fixtures/hub/server.ts). */
const HUB_TOKEN = 'hf_fixture_token_with_access'

/** The serious and critical axe findings on the current screen, once its transitions ended. */
async function audit(page: Page, screen: string, ready: Locator): Promise<string[]> {
  await expect(ready).toBeVisible()
  await page.waitForFunction(() => document.getAnimations().every((animation) => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity))
  const { violations } = await new AxeBuilder({ page }).analyze()
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${screen}: ${violation.id} (${violation.impact}) ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(' | ')}`)
}

test('settings: change your password, set the HuggingFace token and use a gated model at once, with no serious axe finding', async ({ browser }) => {
  test.setTimeout(90_000)
  const hub = await startBunServer(['tests/fixtures/hub/cli.ts', '--port', String(await freePort())], /repos at (http:\/\/\S+)/)
  const started = await startManager({ HF_ENDPOINT: hub.url })
  const context = await browser.newContext({ baseURL: started.manager.url })
  try {
    const page = await context.newPage()
    const login = new LoginPage(page)
    await login.open()
    await login.register(admin.email, admin.password)
    const shell = new Shell(page)
    await shell.expectSignedIn()

    // Without a token the hub keeps the gated model's page closed.
    await page.goto(`/catalog/${GATED}`)
    await expect(page.getByTestId('model-error')).toHaveAttribute('data-code', 'model-gated')

    await page.getByTestId('nav-settings').locator('visible=true').first().click()
    await expect(page).toHaveURL(/\/settings$/)
    const found: string[] = []
    found.push(...(await audit(page, 'settings (light)', page.getByTestId('token-status'))))
    await expect(page.getByTestId('token-status')).toContainText('No token')
    await expect(page.getByTestId('cache-path')).toHaveText(`${started.manager.home}/hub`)
    await expect(page.getByTestId('cache-free')).toContainText('free of')

    // The password: the new one twice, then the manager says it changed.
    await page.getByTestId('password-current').fill(admin.password)
    await page.getByTestId('password-new').fill(NEW_PASSWORD)
    await page.getByTestId('password-repeat').fill(NEW_PASSWORD)
    await page.getByTestId('password-save').click()
    await expect(page.getByText('Password changed.')).toBeVisible()
    await expect(page.getByTestId('password-current')).toHaveValue('')

    // The token: saved, then shown only by its end.
    await page.getByTestId('token-input').fill(HUB_TOKEN)
    await page.getByTestId('token-save').click()
    await expect(page.getByTestId('token-status')).toContainText(`ending in ${HUB_TOKEN.slice(-4)}, set here`)
    await expect(page.getByTestId('token-input')).toHaveValue('')
    await page.reload()
    await expect(page.getByTestId('token-status')).toContainText(`ending in ${HUB_TOKEN.slice(-4)}`)
    expect(await page.locator('body').innerText()).not.toContain(HUB_TOKEN)

    await page.emulateMedia({ colorScheme: 'dark' })
    found.push(...(await audit(page, 'settings (dark)', page.getByTestId('token-status'))))
    await page.emulateMedia({ colorScheme: 'light' })

    // The catalog uses the token at once: no restart.
    await page.goto(`/catalog/${GATED}`)
    await expect(page.getByTestId('model-name')).toContainText('Meta-Llama-3.1-8B-Instruct-4bit')
    await expect(page.getByTestId('model-gated')).toBeVisible()

    // Signed out, the old password no longer works and the new one does.
    await shell.signOut()
    await login.signIn(admin.email, admin.password)
    await expect(login.error()).toBeVisible()
    await login.signIn(admin.email, NEW_PASSWORD)
    await shell.expectSignedIn()

    // On a phone the bottom bar has no room for Settings: the account menu leads there.
    await page.setViewportSize({ width: 390, height: 844 })
    await expect(page.getByTestId('nav-settings').locator('visible=true')).toHaveCount(0)
    await page.getByTestId('user-menu').click()
    await page.getByTestId('menu-settings').click()
    await expect(page).toHaveURL(/\/settings$/)
    found.push(...(await audit(page, 'settings (phone)', page.getByTestId('token-status'))))

    expect(found, `serious or critical axe violations:\n${found.join('\n')}`).toEqual([])
  } finally {
    await context.close()
    await started.stop()
    await hub.stop()
  }
})
