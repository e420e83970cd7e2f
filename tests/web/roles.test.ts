import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { Download } from '../../shared/downloads'
import { useAuthStore } from '../../web/src/features/auth/store'
import ChatHeader from '../../web/src/features/chat/components/ChatHeader.vue'
import { useChatStore } from '../../web/src/features/chat/store'
import ModelsView from '../../web/src/features/models/ModelsView.vue'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import ServerTile from '../../web/src/features/servers/ServerTile.vue'
import { isLoopbackHost } from '../../web/src/features/servers/exposure'
import { navItemsFor } from '../../web/src/features/shell/nav'
import { decide } from '../../web/src/router'
import { qwen3Details, system } from './catalog-data'
import { showCatalog } from './components/catalog-screens'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeDownload, makeLocalModel, makeProfile, makeServerStatus, makeUser } from './helpers'
import { routerStub } from './servers-router'

const member = makeUser({ email: 'member@example.com', isAdmin: false })
const admin = makeUser({ email: 'admin@example.com', isAdmin: true })

/** Every element with this test id, anywhere on the page. */
const all = (id: string, root: ParentNode = document) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)]

function signIn(user: typeof member): void {
  useAuthStore().user = user
}

describe('navigation and routes for members', () => {
  it('offers members no Profiles or Users item', () => {
    expect(navItemsFor(false).map((item) => item.name)).toEqual(['dashboard', 'catalog', 'models', 'servers', 'usage', 'requests', 'chat', 'connect', 'settings'])
    expect(navItemsFor(true).map((item) => item.name)).toEqual(['dashboard', 'catalog', 'models', 'profiles', 'servers', 'usage', 'requests', 'chat', 'connect', 'engines', 'peers', 'hosts', 'users', 'settings'])
  })

  it('sends members away from the profile screens and server logs, and lets admins in', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: (await import('../../web/src/router')).routes })
    for (const path of ['/profiles', '/profiles/new', '/profiles/3', '/servers/3/logs', '/engines', '/peers', '/hosts', '/users']) {
      const to = router.resolve(path)
      expect(decide(to, member), path).toBe('/catalog')
      expect(decide(to, admin), path).toBe(true)
    }
    for (const path of ['/catalog', '/models', '/servers', '/chat']) expect(decide(router.resolve(path), member), path).toBe(true)
  })
})

describe('servers screen', () => {
  const ready = makeServerStatus({ state: 'ready', pid: 4242, startedAt: '2026-01-01T10:00:00.000Z', readyAt: '2026-01-01T10:00:02.000Z', cpuPercent: 12, rssBytes: 2 * 1024 ** 3 })
  const failed = makeServerStatus({
    profileId: 2,
    name: 'Broken',
    state: 'failed',
    exitCode: 1,
    failure: { reason: 'exited', message: 'The server exited with code 1 before it was ready.', logTail: [] },
  })
  const starting = makeServerStatus({ profileId: 3, name: 'Loading', state: 'starting', pid: 77, startedAt: '2026-01-01T10:00:00.000Z' })
  const stopped = makeServerStatus({ profileId: 4, name: 'Idle' })

  async function open(user: typeof member) {
    fakeServer({
      'GET /api/servers': () => json([ready, failed, starting, stopped]),
      'GET /api/profiles': () => json([]),
      'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
    })
    signIn(user)
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
  }

  const CONTROLS = ['server-restart', 'server-stop', 'server-cancel', 'server-retry', 'server-logs', 'server-start']

  it('shows members state and metrics with Chat, and no start, stop, restart or logs', async () => {
    await open(member)
    expect(all('server-tile').map((tile) => tile.dataset.name)).toEqual(['Qwen3 4B', 'Broken', 'Loading'])
    expect(requireTestId('gauge-cpu-value').textContent).toBe('12%')
    expect(requireTestId('server-failure-message').textContent).toContain('exited with code 1')
    for (const id of CONTROLS) expect(all(id), id).toHaveLength(0)
    // Chat on the ready tile, and on the stopped row, where chatting is how a member starts it.
    expect(all('server-chat').map((link) => link.getAttribute('href'))).toEqual(['/chat?profile=1', '/chat?profile=4'])
  })

  it('shows admins every control', async () => {
    await open(admin)
    for (const id of CONTROLS) expect(all(id).length, id).toBeGreaterThan(0)
  })

  it('tells members with nothing shared what to expect, without offering to create a profile', async () => {
    fakeServer({ 'GET /api/servers': () => json([]), 'GET /api/profiles': () => json([]), 'GET /api/system/memory': () => json({ totalBytes: 1, usedBytes: 0 }) })
    signIn(member)
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    expect(requireTestId('servers-empty').textContent).toContain('An administrator chooses')
    expect(requireTestId('servers-empty').querySelector('button')).toBeNull()
  })
})

describe('an engine listening beyond loopback', () => {
  it('tells loopback names from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(host), host).toBe(true)
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'studio.local']) expect(isLoopbackHost(host), host).toBe(false)
  })

  function tile(host: string) {
    mountInApp(ServerTile, {
      props: { server: makeServerStatus({ state: 'ready', host }), model: null, samples: [], totalMemory: null, now: Date.now(), busy: null, chat: null, admin: false },
      plugins: [routerStub()],
    })
  }

  it('warns on the server tile that other machines reach it without signing in', async () => {
    tile('0.0.0.0')
    await flushPromises()
    const warning = requireTestId('server-exposed').textContent ?? ''
    expect(warning).toContain('Listens on 0.0.0.0')
    expect(warning).toContain('without signing in')
    expect(warning).toContain('no authentication of their own')
  })

  it('says nothing for a loopback server', async () => {
    tile('127.0.0.1')
    await flushPromises()
    expect(byTestId('server-exposed')).toBeNull()
  })
})

describe('models screen', () => {
  const model = makeLocalModel({ capabilities: [] })
  const downloading = makeDownload({ modelId: 'mlx-community/Llama-3.2-1B-Instruct-4bit', files: [] })
  const failedDownload: Download = { ...downloading, id: 2, modelId: 'a/failed', status: 'failed', speedBps: 0, error: { code: 'hub-unreachable', message: 'The hub did not answer.' } }

  async function open(user: typeof member) {
    fakeServer({ 'GET /api/downloads': () => json([downloading, failedDownload]), 'GET /api/models': () => json([model]) })
    signIn(user)
    mountInApp(ModelsView, { plugins: [routerStub()] })
    await flushPromises()
  }

  const CONTROLS = ['download-a-model', 'download-pause', 'download-cancel', 'download-retry', 'library-delete', 'library-use']

  it('shows members progress and the library, with no download form, download controls, Use or Delete', async () => {
    await open(member)
    expect(requireTestId('download-percent').textContent).toBe('25 %')
    expect(all('library-row')).toHaveLength(1)
    for (const id of CONTROLS) expect(all(id), id).toHaveLength(0)
  })

  it('gives admins the form and every control', async () => {
    await open(admin)
    for (const id of CONTROLS) expect(all(id).length, id).toBeGreaterThan(0)
  })
})

describe('model page', () => {
  async function open(user: typeof member) {
    fakeServer({
      'GET /api/catalog/models/mlx-community/Qwen3-8B-4bit': () => json(qwen3Details()),
      'GET /api/catalog/system': () => json(system()),
    })
    signIn(user)
    await showCatalog('/catalog/mlx-community/Qwen3-8B-4bit')
  }

  it('shows members the model without a Download button', async () => {
    await open(member)
    expect(requireTestId('model-name').textContent).toContain('Qwen3-8B-4bit')
    expect(byTestId('model-download')).toBeNull()
  })

  it('shows admins the Download button', async () => {
    await open(admin)
    expect(byTestId('model-download')).not.toBeNull()
  })
})

describe('chat for members', () => {
  it('starts a shared profile’s stopped server through the chat’s own route', async () => {
    const shared = makeProfile({ id: 7, name: 'Shared', availableToMembers: true })
    const server = fakeServer({
      'GET /api/profiles': () => json([shared]),
      'GET /api/servers': () => json([makeServerStatus({ profileId: 7, name: 'Shared' })]),
      'POST /api/chat/start': () => json(makeServerStatus({ profileId: 7, name: 'Shared', state: 'starting', pid: 12 }), 202),
    })
    signIn(member)
    await useChatStore().loadServing()
    mountInApp(ChatHeader, { props: { showChatsButton: false }, plugins: [routerStub()] })
    await flushPromises()
    await click('chat-start-server')
    expect(server.callsTo('POST /api/chat/start').map((call) => call.body)).toEqual([{ profileId: 7 }])
    expect(server.calls.filter((call) => call.path.startsWith('/api/servers/') && call.method === 'POST')).toEqual([])
    expect(requireTestId('server-state').dataset.state).toBe('starting')
  })
})
