import { delimiter, join } from 'node:path'
import { test as base } from '@playwright/test'
import { EnginesPage } from './pages/engines-page'
import { LoginPage } from './pages/login-page'
import { ProfilesPage } from './pages/profiles-page'
import { Shell } from './pages/shell'
import { expect, startManager, type Manager } from './manager'

// First on PATH: a Python that makes the environment layout and prints pip-like lines in seconds,
// so the journey exercises the manager's real installer without downloading packages.
const FAKE_PYTHON = join(import.meta.dirname, 'fake-python')

const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager({ PATH: [FAKE_PYTHON, process.env.PATH ?? ''].join(delimiter) })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

test('an admin installs mlx_lm.server from the Engines screen, watches its progress, and removes it', async ({ page }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  // The profile editor says the engine is missing and leads to where it is installed.
  const profiles = new ProfilesPage(page)
  await profiles.openNew()
  await expect(page.getByTestId('engine-missing')).toBeVisible()
  await page.getByTestId('engine-install-link').click()
  await expect(page).toHaveURL(/\/engines$/)

  const engines = new EnginesPage(page)
  await expect(engines.row('mlx_lm.server')).toBeVisible()
  await expect(engines.source('mlx_lm.server')).toHaveText('Not installed')
  // mlx-openai-server needs Apple silicon; on Linux the row says so instead of offering a button.
  if (process.platform === 'linux') {
    await expect(engines.row('mlx-openai-server').getByTestId('engine-not-installable')).toContainText('Apple silicon')
    await expect(engines.row('mlx-openai-server').getByTestId('engine-install')).toHaveCount(0)
  }

  await engines.install('mlx_lm.server')
  await expect(engines.source('mlx_lm.server')).toHaveText('Installing…')
  await expect(engines.log('mlx_lm.server')).toContainText('using Python 3.13.0')
  await expect(engines.log('mlx_lm.server')).toContainText('Collecting mlx-lm')
  await expect(engines.source('mlx_lm.server')).toHaveText('Managed', { timeout: 20_000 })
  await expect(engines.row('mlx_lm.server').getByTestId('engine-path')).toContainText(join('engines', 'mlx_lm.server', 'bin', 'mlx_lm.server'))
  await expect(engines.row('mlx_lm.server').getByTestId('engine-update')).toBeVisible()

  // The editor now finds it.
  await page.getByTestId('nav-profiles').locator('visible=true').first().click()
  await profiles.openNew()
  await profiles.field('engine').click()
  await page.getByText('mlx_lm.server', { exact: false }).locator('visible=true').first().click()
  await expect(page.getByTestId('engine-missing')).toHaveCount(0)

  await engines.open()
  await engines.remove('mlx_lm.server')
  await expect(engines.source('mlx_lm.server')).toHaveText('Not installed')
})
