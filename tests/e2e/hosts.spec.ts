import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test as base } from '@playwright/test'
import { LoginPage } from './pages/login-page'
import { ProfilesPage } from './pages/profiles-page'
import { Shell } from './pages/shell'
import { expect, startManager, type Manager } from './manager'

const SSH_STANDIN = join(import.meta.dirname, '..', 'fixtures', 'ssh', 'ssh-standin.sh')

// The manager reaches hosts through the SSH stand-in: 10.9.0.2 refuses the key, others run the probe here.
const test = base.extend<{ manager: Manager }>({
  manager: async ({}, use) => {
    const started = await startManager({ MLX_MANAGER_SSH: SSH_STANDIN })
    await use(started.manager)
    await started.stop()
  },
  baseURL: async ({ manager }, use) => {
    await use(manager.url)
  },
})

/** A Python environment whose python answers the host check as a Mac with mlx-lm would. */
function fakeEnv(): string {
  const env = mkdtempSync(join(tmpdir(), 'mlx-manager-e2e-env-'))
  mkdirSync(join(env, 'bin'))
  const report = { mlx: '0.32.4', 'mlx-lm': '0.32.2', platform: 'darwin', arch: 'arm64', total: 64 * 2 ** 30, available: null }
  writeFileSync(join(env, 'bin', 'python'), `#!/bin/sh\necho 'MLX-MANAGER-PROBE ${JSON.stringify(report)}'\n`)
  chmodSync(join(env, 'bin', 'python'), 0o755)
  return env
}

test('an admin adds hosts, checks them, and makes a profile that runs on two of them', async ({ page }) => {
  const env = fakeEnv()
  const login = new LoginPage(page)
  await login.open()
  await login.register('admin@example.com', 'admin-password-1')
  await new Shell(page).expectSignedIn()

  await page.getByTestId('nav-hosts').first().click()
  await expect(page.getByTestId('hosts-empty')).toBeVisible()

  // This machine: no SSH user, loopback filled in.
  await page.getByTestId('host-new').click()
  await page.getByTestId('host-name-input').fill('this mac')
  await page.getByTestId('host-local').click()
  await expect(page.getByTestId('host-address-input')).toHaveValue('127.0.0.1')
  await expect(page.getByTestId('host-user-input')).toHaveCount(0)
  await page.getByTestId('host-env-input').fill(env)
  await page.getByTestId('host-save').click()
  await expect(page.getByTestId('host-row').filter({ hasText: 'this mac' })).toBeVisible()

  // Another Mac whose SSH key is not set up; a bad address is refused in the form first.
  await page.getByTestId('host-new').click()
  await page.getByTestId('host-name-input').fill('locked mac')
  await page.getByTestId('host-address-input').fill('studio.local')
  await page.getByTestId('host-user-input').fill('studio')
  await page.getByTestId('host-env-input').fill(env)
  await page.getByTestId('host-save').click()
  await expect(page.getByTestId('host-form-error')).toContainText('not an IP address')
  await page.getByTestId('host-address-input').fill('10.9.0.2')
  await page.getByTestId('host-save').click()
  const locked = page.getByTestId('host-row').filter({ hasText: 'locked mac' })
  await expect(locked).toBeVisible()

  const here = page.getByTestId('host-row').filter({ hasText: 'this mac' })
  await here.getByTestId('host-check').click()
  await expect(here.getByTestId('host-check-state')).toHaveText('Ready')
  await expect(here.getByTestId('host-check-result')).toContainText('mlx-lm 0.32.2')
  await locked.getByTestId('host-check').click()
  await expect(locked.getByTestId('host-check-state')).toHaveText('Not ready')
  await expect(locked.getByTestId('host-problem')).toHaveAttribute('data-code', 'ssh-auth')
  await expect(locked.getByTestId('host-problem')).toContainText('ssh-copy-id studio@10.9.0.2')

  // A new profile prefilled as the model page's placement help links it: two ranks on this machine.
  const profiles = new ProfilesPage(page)
  await page.goto('/profiles/new?model=%2Fmodels%2Fbig&hosts=1,1&mode=pipeline')
  await expect(page.getByTestId('profile-form')).toBeVisible()
  const section = page.getByTestId('distributed-section')
  await expect(section.getByTestId('distributed-rank')).toHaveCount(2)
  await expect(section.getByTestId('distributed-mode-pipeline')).toHaveClass(/n-radio-button--checked/)
  // One rank is not distributed: the form says so before saving.
  await section.getByTestId('distributed-remove-rank').nth(1).click()
  await profiles.save()
  await expect(profiles.feedback('distributedHosts')).toContainText('at least 2 ranks')
  await section.getByTestId('distributed-add-rank').click()
  await expect(section.getByTestId('distributed-rank')).toHaveCount(2)
  await expect(section.getByTestId('distributed-rank').nth(1)).toContainText('locked mac')
  await profiles.save()
  await expect(page).toHaveURL(/\/profiles$/)
  await expect(profiles.row('big').getByTestId('profile-ranks')).toHaveText('2 ranks · pipeline')

  await profiles.row('big').getByRole('button', { name: 'Edit' }).click()
  await expect(section.getByTestId('distributed-rank')).toHaveCount(2)
  await expect(section.getByTestId('distributed-rank').nth(0)).toContainText('this mac')
  await section.getByTestId('distributed-check').click()
  await expect(section.getByTestId('distributed-checks')).toContainText('locked mac: SSH to studio@10.9.0.2 needs a password')
  await expect(section.getByTestId('distributed-checks')).toContainText('this mac: ready')
})
