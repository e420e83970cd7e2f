import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Peer, RemoteProfile } from '../../shared/peers'
import { useAuthStore } from '../../web/src/features/auth/store'
import { useChatHistoryStore } from '../../web/src/features/chat/history-store'
import { useChatStore } from '../../web/src/features/chat/store'
import { useEventsStore } from '../../web/src/features/events/store'
import { peerChatId } from '../../web/src/features/peers/chat'
import { usePeersStore } from '../../web/src/features/peers/store'
import PeersView from '../../web/src/features/peers/PeersView.vue'
import PeerServers from '../../web/src/features/peers/PeerServers.vue'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { byTestId, click, mountInApp, requireTestId, submit, type } from './components/mount'
import { routerStub } from './servers-router'
import { failure, fakeServer, FakeEventSource, json, makeUser, useFakeEventSource } from './helpers'

const admin = makeUser({ id: 1, email: 'admin@example.com', isAdmin: true })

function remote(overrides: Partial<RemoteProfile> = {}): RemoteProfile {
  return { id: 4, name: 'Fox', aliases: [], model: 'mlx-community/Qwen3-4B-4bit', engine: 'mlx_lm.server', modelType: 'lm', state: 'ready', failure: null, ...overrides }
}

function makePeer(overrides: Partial<Peer> = {}): Peer {
  return {
    id: 1,
    name: 'studio',
    state: 'online',
    availableToMembers: false,
    profiles: [remote(), remote({ id: 5, name: 'Owl', state: 'stopped' })],
    since: '2026-03-01T10:00:00.000Z',
    url: 'http://192.168.1.20:8080',
    keyPrefix: 'mlxm_0123456789ab',
    lastError: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  }
}

afterEach(() => useEventsStore().disconnect())

/** The live stream, as the manager sends each event. */
function liveEvents() {
  useFakeEventSource()
  useEventsStore().connect()
  const source = FakeEventSource.latest()
  source.open()
  return source
}

const rows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="peer-row"]')]

async function openPage(peers: Peer[], extra: Parameters<typeof fakeServer>[0] = {}) {
  const server = fakeServer({ 'GET /api/peers/servers': () => json(peers), ...extra })
  useAuthStore().user = admin
  const events = liveEvents()
  mountInApp(PeersView)
  await flushPromises()
  return Object.assign(server, { events })
}

describe('Peers page', () => {
  it('lists each peer with its state, address, key prefix and what it serves, and follows its state live', async () => {
    const server = await openPage([makePeer()])
    expect(rows().map((row) => [row.dataset.name, row.dataset.state])).toEqual([['studio', 'online']])
    const row = rows()[0]!
    expect(row.textContent).toContain('http://192.168.1.20:8080')
    expect(row.textContent).toContain('mlxm_0123456789ab…')
    expect(requireTestId('peer-summary').textContent).toContain('2 profiles · 1 ready')
    expect(byTestId('peer-error')).toBeNull()

    // The event stream says it went away: the row changes in place, with the reason.
    server.events.emit('peers.state', makePeer({ state: 'unreachable', lastError: 'studio closed the connection. Retrying by itself.' }))
    await flushPromises()
    expect(rows()[0]?.dataset.state).toBe('unreachable')
    expect(requireTestId('peer-state').textContent).toBe('Unreachable')
    expect(requireTestId('peer-error').textContent).toContain('closed the connection')

    server.events.emit('peers.removed', { id: 1 })
    await flushPromises()
    expect(rows()).toEqual([])
    expect(byTestId('peers-empty')).not.toBeNull()
  })

  it('connects a manager with its address and key, and shows the manager’s refusal in the form', async () => {
    const server = await openPage([])
    server.on('POST /api/peers', () => failure(422, 'peer-key-refused', 'The manager at http://192.168.1.20:8080 refused the API key. Make a new key there under API keys and paste it whole.'))
    await click('peer-new')
    await type('peer-name-input', 'studio')
    await type('peer-url-input', 'http://192.168.1.20:8080')
    await type('peer-key-input', 'mlxm_0123456789ab_secret')
    await submit('peer-form')
    expect(server.callsTo('POST /api/peers').map((call) => call.body)).toEqual([
      { name: 'studio', url: 'http://192.168.1.20:8080', apiKey: 'mlxm_0123456789ab_secret', availableToMembers: false },
    ])
    expect(requireTestId('peer-form-error').textContent).toContain('refused the API key')
    expect(rows()).toEqual([])

    // The link comes online before the answer arrives (loopback is that quick): the answer's older state does not win.
    server.on('POST /api/peers', () => {
      server.events.emit('peers.state', makePeer({ state: 'online' }))
      return json(makePeer({ state: 'connecting', profiles: [] }), 201)
    })
    await submit('peer-form')
    expect(rows().map((row) => [row.dataset.name, row.dataset.state])).toEqual([['studio', 'online']])
    expect(byTestId('peer-form-error')).toBeNull()
  })

  it('an empty form is not sent', async () => {
    const server = await openPage([])
    await click('peer-new')
    await submit('peer-form')
    expect(server.callsTo('POST /api/peers')).toEqual([])
    expect(requireTestId('peer-form-error').textContent).toContain('API key')
  })

  it('removes a peer after asking', async () => {
    const server = await openPage([makePeer()], { 'DELETE /api/peers/1': () => new Response(null, { status: 204 }) })
    await click('peer-remove')
    expect(server.callsTo('DELETE /api/peers/1')).toEqual([])
    const confirm = [...document.querySelectorAll<HTMLElement>('button')].find((button) => button.textContent?.includes('Remove peer'))
    confirm?.click()
    await flushPromises()
    expect(server.callsTo('DELETE /api/peers/1')).toHaveLength(1)
    expect(rows()).toEqual([])
  })
})

describe('peer servers on the Servers page', () => {
  it('shows each peer’s profiles under its name with their live states, and says when the peer cannot be reached', async () => {
    fakeServer({ 'GET /api/peers/servers': () => json([makePeer({ url: null, keyPrefix: null })]) })
    useAuthStore().user = makeUser({ id: 2, isAdmin: false })
    const events = liveEvents()
    const router = routerStub()
    await router.push('/servers')
    mountInApp(PeerServers, { plugins: [router] })
    await flushPromises()
    const serverRows = () => [...document.querySelectorAll<HTMLElement>('[data-testid="peer-server-row"]')]
    expect(serverRows().map((row) => [row.dataset.name, row.querySelector('[data-testid="server-state"]')?.getAttribute('data-state')])).toEqual([
      ['Fox', 'ready'],
      ['Owl', 'stopped'],
    ])
    expect(serverRows()[0]?.textContent).toContain('Fox@studio')
    // Chat opens with that model chosen (it is started there if need be).
    expect(serverRows()[1]?.querySelector('[data-testid="peer-server-chat"]')?.getAttribute('href')).toBe(`/chat?profile=${peerChatId(1, 5)}`)
    expect(byTestId('peer-servers-note')).toBeNull()

    events.emit('peers.state', makePeer({ state: 'unreachable', profiles: [remote({ state: 'ready' }), remote({ id: 5, name: 'Owl', state: 'starting' })] }))
    await flushPromises()
    expect(requireTestId('peer-servers').dataset.state).toBe('unreachable')
    expect(requireTestId('peer-servers-note').textContent).toContain('cannot be reached')
    expect(serverRows()[1]?.querySelector('[data-testid="server-state"]')?.getAttribute('data-state')).toBe('starting')
    // Nothing to chat with while it cannot be reached.
    expect(byTestId('peer-server-chat')).toBeNull()
  })
})

describe('the Servers page with only other managers’ servers', () => {
  function manager(peers: Peer[]) {
    fakeServer({
      'GET /api/peers/servers': () => json(peers),
      'GET /api/servers': () => json([]),
      'GET /api/profiles': () => json([]),
      'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
      'GET /api/metrics/servers': () => json([]),
    })
    useAuthStore().user = admin
    liveEvents()
    mountInApp(ServersView, { plugins: [routerStub()] })
  }

  it('lists them without saying there are no servers', async () => {
    manager([makePeer()])
    await vi.waitFor(() => expect(document.querySelectorAll('[data-testid="peer-server-row"]')).toHaveLength(2))
    expect(byTestId('servers-empty')).toBeNull()
  })

  it('says there are none when no machine has any', async () => {
    manager([makePeer({ profiles: [] })])
    await vi.waitFor(() => expect(byTestId('servers-empty')).not.toBeNull())
  })
})

describe('peer models in chat', () => {
  it('offers a peer’s chat models as model@machine with their states, and a message to one names the peer and its profile there', async () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
    const server = fakeServer({
      'GET /api/profiles': () => json([]),
      'GET /api/servers': () => json([]),
      'GET /api/peers/servers': () =>
        json([makePeer({ profiles: [remote(), remote({ id: 5, name: 'Owl', state: 'stopped' }), remote({ id: 6, name: 'Embedder', modelType: 'embeddings' })] })]),
      'POST /api/chat': () =>
        new Response('event: token\ndata: {"text":"Hello from the studio"}\n\nevent: done\ndata: {"finishReason":"stop"}\n\n', { headers: { 'content-type': 'text/event-stream' } }),
    })
    useAuthStore().user = admin
    const chat = useChatStore()
    await chat.loadServing()
    // Embeddings do not chat; the rest are listed under their machine's name, a ready one chosen first.
    expect(chat.chatProfiles.map((profile) => profile.name)).toEqual(['Fox@studio', 'Owl@studio'])
    expect(chat.profileId).toBe(peerChatId(1, 4))
    expect(chat.serverState).toBe('ready')
    expect(chat.onPeer).toBe(true)
    expect(chat.chatProfiles.map((profile) => chat.optionLabel(profile))).toEqual(['Fox@studio', 'Owl@studio (stopped)'])
    usePeersStore().apply(makePeer({ state: 'unreachable' }))
    expect(chat.optionLabel(chat.chatProfiles[0]!)).toBe('Fox@studio (unreachable)')
    usePeersStore().apply(makePeer())
    await chat.chooseProfile(peerChatId(1, 5))
    expect(chat.serverState).toBe('stopped')

    await chat.send('Hi')
    await flushPromises()
    expect(server.callsTo('POST /api/chat').map((call) => (call.body as { peerId?: number; profileId: number }))).toMatchObject([{ peerId: 1, profileId: 5 }])
    const history = useChatHistoryStore()
    await vi.waitFor(() => expect(history.messages.at(-1)?.content).toBe('Hello from the studio'))
    expect(history.active?.profileName).toBe('Owl@studio')
    expect(usePeersStore().peers).toHaveLength(1)
  })
})
