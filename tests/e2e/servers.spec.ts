import { join } from 'node:path'
import { test as base } from '@playwright/test'
import { LoginPage } from './pages/login-page'
import { ProfilesPage } from './pages/profiles-page'
import { ServersPage } from './pages/servers-page'
import { Shell } from './pages/shell'
import { expect, freePort, startManager, type Manager } from './manager'

const ENGINE_PATH = join(import.meta.dirname, '..', 'fixtures', 'engine')

// A manager whose engines are the stand-ins, loading in a fraction of a second.
const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager({ MLX_MANAGER_ENGINE_PATH: ENGINE_PATH, MLX_STANDIN_LOAD_MS: '300' })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

test('create a profile, start its server, watch it live, read its log, see it offline, stop it', async ({ page, context }) => {
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  const profiles = new ProfilesPage(page)
  await profiles.openNew()
  // The editor checks fields before anything is sent, with the shared rules.
  await profiles.fill({ name: 'Stand-in Qwen', model: 'not a repo id' })
  await profiles.save()
  await expect(profiles.feedback('model')).toContainText('neither a repo id')
  await profiles.fill({ model: 'mlx-community/Qwen3-4B-4bit' })
  // A free port is suggested on arrival.
  await expect(profiles.field('port')).toHaveValue(/^\d{4,5}$/)
  // Another journey's manager suggests the same first port for its engine: take one free here.
  await profiles.fill({ port: String(await freePort()) })
  await profiles.save()
  await expect(page).toHaveURL(/\/profiles$/)
  await expect(profiles.row('Stand-in Qwen')).toBeVisible()
  await expect(profiles.row('Stand-in Qwen').getByTestId('server-state')).toHaveAttribute('data-state', 'stopped')

  const servers = new ServersPage(page)
  await servers.open()
  // The stopped row's state tag sits on the row's middle line, with its buttons.
  const middle = async (name: string) => {
    const box = await servers.stoppedRow('Stand-in Qwen').getByTestId(name).boundingBox()
    return (box?.y ?? 0) + (box?.height ?? 0) / 2
  }
  expect(Math.abs((await middle('server-state')) - (await middle('server-start')))).toBeLessThan(3)
  await servers.stoppedRow('Stand-in Qwen').getByTestId('server-start').click()
  const tile = servers.tile('Stand-in Qwen')
  await servers.expectState('Stand-in Qwen', 'ready')
  await expect(tile.getByTestId('server-pid')).toHaveText(/^\d+$/)
  // Gauges come from servers.stats events; a second sample draws the sparkline.
  await expect(tile.getByTestId('gauge-memory-value')).toHaveText(/\d+(\.\d)? (MB|GB)/, { timeout: 15_000 })
  await expect(tile.getByTestId('gauge-cpu-value')).toHaveText(/%$/)
  // The memory chart is drawn from the first reading on, from 0 to a round top above it, and says so.
  const memory = tile.getByTestId('gauge-memory')
  await expect(memory.getByTestId('sparkline-line')).toHaveCount(1)
  await expect(memory.getByTestId('sparkline-top')).toHaveText(/^0–\d+(\.\d)? (MB|GB)$/)
  await expect(memory.getByTestId('sparkline-waiting')).toHaveCount(0)
  await expect(tile.getByTestId('sparkline').first()).not.toHaveAttribute('data-samples', /^[01]$/, { timeout: 20_000 })
  await expect(tile.getByTestId('server-chat')).toHaveAttribute('href', /\/chat\?profile=\d+/)

  await tile.getByTestId('server-logs').click()
  await expect(page).toHaveURL(/\/servers\/\d+\/logs$/)
  await expect(servers.logLines()).not.toBeEmpty()
  await expect(page.getByTestId('log-status')).toHaveAttribute('data-state', 'open')
  await page.getByRole('link', { name: '← Servers' }).click()

  // Offline: the last list the manager sent, read-only, with its time.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined))
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await expect(servers.tile('Stand-in Qwen')).toBeVisible()
  await context.setOffline(true)
  await page.reload()
  await expect(page.getByTestId('last-known')).toContainText('Offline — showing the last-known copy.')
  await expect(page.getByTestId('last-known-updated')).toContainText('Last updated')
  await expect(servers.tile('Stand-in Qwen').getByTestId('server-stop')).toBeDisabled()
  await expect(page.getByTestId('servers-error')).toHaveCount(0)
  await context.setOffline(false)
  await page.reload()
  await expect(page.getByTestId('last-known')).toHaveCount(0)

  await servers.tile('Stand-in Qwen').getByTestId('server-stop').click()
  await expect(servers.stoppedRow('Stand-in Qwen').getByTestId('server-state')).toHaveAttribute('data-state', 'stopped')
  await expect(page.getByTestId('servers-held')).toHaveText('0 B')
})
