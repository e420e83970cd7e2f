import { asPage, expect, freePort, test } from './manager'
import { LoginPage } from './pages/login-page'
import { Shell } from './pages/shell'

/**
 * Offline, the screens that list the manager's state (Models, Profiles, Users) open from this
 * device's last copy, read-only, with when it was last updated, as the catalog does.
 */
test('Models, Profiles and Users open offline with their last-known copy, read-only, and go live again', async ({ page, context }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()
  const created = await page.request.post('/api/profiles', {
    data: { name: 'Offline coder', model: 'mlx-community/Qwen3-8B-4bit', engine: 'mlx_lm.server', port: await freePort() },
    ...asPage(page),
  })
  expect(created.status()).toBe(201)

  // Seen once online; the service worker controls the page from the next load on.
  for (const path of ['/profiles', '/users', '/models']) {
    await page.goto(path)
    await expect(page.getByTestId(path === '/models' ? 'library-panel' : path === '/users' ? 'users-list' : 'profiles-list')).toBeVisible()
  }
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await expect(page.getByTestId('library-panel')).toBeVisible()

  await context.setOffline(true)
  await page.goto('/profiles')
  await expect(page.getByTestId('last-known')).toContainText('Offline — showing the last-known copy.')
  await expect(page.getByTestId('last-known-updated')).toHaveText(/^Last updated (just now|\d+ minutes? ago)$/)
  await expect(page.getByTestId('profile-name')).toHaveText('Offline coder')
  for (const action of ['profile-new', 'profile-toggle', 'profile-edit', 'profile-duplicate', 'profile-delete']) {
    await expect(page.getByTestId(action)).toBeDisabled()
  }
  await expect(page.getByTestId('profiles-error')).toHaveCount(0)

  await page.goto('/users')
  await expect(page.getByTestId('last-known')).toBeVisible()
  await expect(page.getByTestId('user-email')).toHaveText(['admin@example.com'])

  await page.goto('/models')
  await expect(page.getByTestId('last-known')).toContainText('Downloading, using and deleting models need the manager')
  await expect(page.getByTestId('download-a-model')).toHaveCount(0)
  await expect(page.getByTestId('library-panel')).toBeVisible()

  // Back online, the screen is live again by itself once the manager answers.
  await context.setOffline(false)
  await page.getByTestId('offline-retry').click()
  await page.goto('/profiles')
  await expect(page.getByTestId('last-known')).toHaveCount(0)
  await expect(page.getByTestId('profile-edit')).toBeEnabled()
})
