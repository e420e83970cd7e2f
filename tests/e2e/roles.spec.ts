import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ChatPage } from './pages/chat-page'
import { LoginPage } from './pages/login-page'
import { ModelsPage } from './pages/models-page'
import { ProfilesPage } from './pages/profiles-page'
import { ServersPage } from './pages/servers-page'
import { Shell } from './pages/shell'
import { UsersPage } from './pages/users-page'
import { asPage, expect, freePort, ROOT, startBunServer, startManager, test } from './manager'

const ENGINE_PATH = join(ROOT, 'tests', 'fixtures', 'engine')
const MODEL = 'e2e-org/alpha-4bit'
const admin = { email: 'admin@example.com', password: 'admin-password-1' }
const member = { email: 'member@example.com', password: 'member-password-1' }

/** The local hub with one small repo, so the library and the downloads list have a row to show. */
async function startHub(): Promise<{ url: string; stop: () => Promise<void> }> {
  const script = join(mkdtempSync(join(tmpdir(), 'roles-e2e-hub-')), 'hub.ts')
  writeFileSync(
    script,
    `import { startHubFixture } from ${JSON.stringify(join(ROOT, 'tests/fixtures/hub/index.ts'))}
import { startFaultProxy, testRepo } from ${JSON.stringify(join(ROOT, 'tests/fixtures/faults/index.ts'))}
const hub = startHubFixture({ repos: [testRepo(${JSON.stringify(MODEL)})], sizes: 'content', generatedBytes: 1024 * 1024 })
const proxy = startFaultProxy({ target: hub.url, rules: [{ kind: 'throttle', bytesPerSecond: 1000000, match: '/resolve/' }] })
console.log('HUB ' + proxy.url)
`,
  )
  return startBunServer([script], /HUB (\S+)/)
}

test('an admin shares one profile; a member sees no admin actions and chats with it, starting its server from the chat', async ({ browser }) => {
  test.setTimeout(150_000)
  const hub = await startHub()
  const started = await startManager({ HF_ENDPOINT: hub.url, MLX_MANAGER_ENGINE_PATH: ENGINE_PATH })
  try {
    const baseURL = started.manager.url

    // A fresh manager opens on creating its first account, which becomes the administrator.
    const adminPage = await browser.newPage({ baseURL })
    const adminLogin = new LoginPage(adminPage)
    await adminLogin.open()
    await expect(adminLogin.firstRun()).toContainText('becomes its administrator')
    await expect(adminPage.getByTestId('login-tab-sign-in')).toHaveCount(0)
    await adminLogin.register(admin.email, admin.password)
    const adminShell = new Shell(adminPage)
    await adminShell.expectSignedIn()

    // The admin downloads a model, so the member's Models screen has rows to act on (or not).
    const adminModels = new ModelsPage(adminPage)
    await adminModels.open()
    await adminModels.download(MODEL)
    await adminModels.expectStatus(MODEL, 'completed')
    await expect(adminModels.library(MODEL)).toBeVisible()

    // One profile shared with members, made in the editor; one kept private, made by a script.
    const profiles = new ProfilesPage(adminPage)
    await profiles.openNew()
    // Its model takes 2 s to load, so the member's chat has to wait for the server it starts.
    await profiles.fill({ name: 'Shared helper', model: 'standin/load-2000ms-40tps', port: String(await freePort()) })
    await profiles.setAvailableToMembers(true)
    await profiles.save()
    await expect(profiles.row('Shared helper').getByTestId('profile-shared')).toBeVisible()
    const privateProfile = await adminPage.request.post('/api/profiles', {
      data: { name: 'Admin only', model: 'standin/fast', engine: 'mlx_lm.server', port: await freePort() },
      ...asPage(adminPage),
    })
    expect(privateProfile.status(), await privateProfile.text()).toBe(201)
    await expect(profiles.row('Admin only').getByTestId('profile-shared')).toHaveCount(0)

    // A member registers in their own browser and is approved.
    const memberContext = await browser.newContext({ baseURL })
    const memberPage = await memberContext.newPage()
    const memberLogin = new LoginPage(memberPage)
    await memberLogin.open()
    await expect(memberLogin.firstRun()).toHaveCount(0)
    await memberLogin.register(member.email, member.password)
    await expect(memberLogin.pendingMessage()).toBeVisible()
    await adminShell.nav('users').click()
    await new UsersPage(adminPage).act(member.email, 'approve')
    await memberLogin.open()
    await memberLogin.signIn(member.email, member.password)
    const memberShell = new Shell(memberPage)
    await memberShell.expectSignedIn()

    // Navigation: no Profiles, no Users; their addresses lead back to the catalog.
    await expect(memberShell.nav('profiles')).toHaveCount(0)
    await expect(memberShell.nav('users')).toHaveCount(0)
    for (const path of ['/profiles', '/profiles/new', '/users']) {
      await memberPage.goto(path)
      await expect(memberPage).toHaveURL(/\/catalog$/)
    }

    // Models: progress and the library, without the download form, download controls, Use or Delete.
    const memberModels = new ModelsPage(memberPage)
    await memberModels.open()
    await expect(memberModels.download$(MODEL)).toHaveAttribute('data-status', 'completed')
    await expect(memberModels.library(MODEL)).toBeVisible()
    await expect(memberPage.getByTestId('download-input')).toHaveCount(0)
    await expect(memberPage.locator('[data-testid="download-pause"], [data-testid="download-cancel"], [data-testid="download-retry"]')).toHaveCount(0)
    await expect(memberModels.library(MODEL).getByTestId('library-delete')).toHaveCount(0)
    await expect(memberModels.library(MODEL).getByTestId('library-use')).toHaveCount(0)

    // The catalog's model page: the facts, no Download.
    await memberPage.goto(`/catalog/${MODEL}`)
    await expect(memberPage.getByTestId('model-name')).toHaveText('alpha-4bit')
    await expect(memberPage.getByTestId('model-download')).toHaveCount(0)

    // Servers: only the shared profile, stopped, with Chat and no Start or Logs.
    const servers = new ServersPage(memberPage)
    await servers.open()
    await expect(memberPage.getByTestId('stopped-row')).toHaveCount(1)
    const sharedRow = servers.stoppedRow('Shared helper')
    await expect(sharedRow).toBeVisible()
    await expect(sharedRow.getByTestId('server-start')).toHaveCount(0)
    await expect(sharedRow.getByTestId('server-logs')).toHaveCount(0)

    // Chat: the picker holds only the shared profile; its stopped server starts from the chat.
    await sharedRow.getByTestId('server-chat').click()
    const chat = new ChatPage(memberPage)
    await expect(memberPage.getByTestId('chat-profile')).toContainText('Shared helper')
    await memberPage.getByTestId('chat-profile').click()
    await expect(memberPage.locator('.n-base-select-option')).toHaveCount(1)
    await memberPage.keyboard.press('Escape')
    // Sending starts the stopped server (a member may, for a shared profile) and the answer follows.
    await chat.send('Hello from a member')
    await expect(memberPage.getByTestId('chat-failure')).toHaveCount(0)
    await expect(chat.lastAnswer().getByTestId('chat-message-text')).toContainText('Hello from a member', { timeout: 20_000 })
    await chat.waitForAnswerDone()

    // Back on Servers the shared server runs, and the member still has only Chat on its tile.
    await servers.open()
    await servers.expectState('Shared helper', 'ready')
    const tile = servers.tile('Shared helper')
    await expect(tile.getByTestId('server-chat')).toBeVisible()
    for (const control of ['server-stop', 'server-restart', 'server-logs']) await expect(tile.getByTestId(control)).toHaveCount(0)
    await memberContext.close()
  } finally {
    await started.stop()
    await hub.stop()
  }
})
