import { afterEach, describe, expect, it, vi } from 'vitest'
import { useAuthStore, SIGNED_OUT_BY_ADMIN } from '../../../web/src/features/auth/store'
import { useBenchmarksStore } from '../../../web/src/features/benchmarks/store'
import { useDownloadsStore } from '../../../web/src/features/downloads/store'
import { useEnginesStore } from '../../../web/src/features/engines/store'
import { useLibraryStore } from '../../../web/src/features/models/store'
import { usePeersStore } from '../../../web/src/features/peers/store'
import { useHostsStore } from '../../../web/src/features/hosts/store'
import { useProfilesStore } from '../../../web/src/features/profiles/store'
import { useServersStore } from '../../../web/src/features/servers/store'
import { RECONNECT_DELAY_MS, useEventsStore } from '../../../web/src/features/events/store'
import { useSystemStore } from '../../../web/src/features/system/store'
import { useUsersStore } from '../../../web/src/features/users/store'
import { fakeServer, FakeEventSource, json, makeUser, useFakeEventSource } from '../helpers'

async function signedInAs(isAdmin: boolean) {
  useFakeEventSource()
  const me = makeUser({ email: 'me@example.com', isAdmin })
  const server = fakeServer({
    'POST /api/auth/login': () => json({ token: 't', user: me }),
    'POST /api/auth/logout': () => json({ ok: true }),
    'GET /api/auth/me': () => json(me),
  })
  const auth = useAuthStore()
  await auth.signIn(me.email, 'password-me')
  return { auth, server, me }
}

afterEach(() => {
  useEventsStore().disconnect()
  vi.useRealTimers()
})

describe('events store', () => {
  it('opens one stream on /api/events however often it is asked', async () => {
    await signedInAs(true)
    const events = useEventsStore()
    events.connect()
    events.connect()
    expect(FakeEventSource.instances).toHaveLength(1)
    expect(events.state).toBe('connecting')
    FakeEventSource.latest().open()
    expect(events.state).toBe('open')
  })

  it('sets the pending count from users.pending', async () => {
    await signedInAs(true)
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.emit('users.pending', { count: 2 })
    expect(useUsersStore().pendingCount).toBe(2)
    source.emit('users.pending', { count: 0 })
    expect(useUsersStore().pendingCount).toBe(0)
  })

  it('keeps memory current from system.memory', async () => {
    await signedInAs(false)
    useEventsStore().connect()
    FakeEventSource.latest().emit('system.memory', { totalBytes: 24 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 })
    expect(useSystemStore().memory).toEqual({ totalBytes: 24 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 })
  })

  it('signs out with a message when session.user says the account was disabled', async () => {
    const { auth, server } = await signedInAs(false)
    useEventsStore().connect()
    FakeEventSource.latest().emit('session.user', { status: 'disabled', isAdmin: false })
    await vi.waitFor(() => expect(auth.user).toBeNull())
    expect(auth.notice).toBe(SIGNED_OUT_BY_ADMIN)
    expect(server.callsTo('POST /api/auth/logout')).toHaveLength(1)
  })

  it('refreshes the user when session.user changes admin rights', async () => {
    const { auth, server, me } = await signedInAs(false)
    server.on('GET /api/auth/me', () => json({ ...me, isAdmin: true }))
    useEventsStore().connect()
    FakeEventSource.latest().emit('session.user', { status: 'approved', isAdmin: true })
    await vi.waitFor(() => expect(auth.isAdmin).toBe(true))
  })

  it('confirms who is signed in whenever the stream opens, since earlier events never reach it', async () => {
    const { auth, server, me } = await signedInAs(false)
    // An admin made this account an admin while the page was loading, before the stream existed.
    server.on('GET /api/auth/me', () => json({ ...me, isAdmin: true }))
    useEventsStore().connect()
    FakeEventSource.latest().open()
    await vi.waitFor(() => expect(auth.isAdmin).toBe(true))
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
  })

  it('shows the offline state while the stream is down and clears it when it is back', async () => {
    const { auth } = await signedInAs(false)
    const events = useEventsStore()
    events.connect()
    const source = FakeEventSource.latest()
    source.open()
    source.drop()
    expect(events.state).toBe('reconnecting')
    expect(auth.offline).toBe(true)
    source.open()
    await vi.waitFor(() => expect(auth.offline).toBe(false))
  })

  it('checks the session and opens a new stream later when the manager refused this one', async () => {
    const { auth, server } = await signedInAs(false)
    vi.useFakeTimers()
    const events = useEventsStore()
    events.connect()
    const first = FakeEventSource.latest()
    first.refuse()
    await vi.waitFor(() => expect(server.callsTo('GET /api/auth/me')).toHaveLength(1))
    expect(auth.user).not.toBeNull()
    expect(events.state).toBe('idle')
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAY_MS)
    expect(FakeEventSource.instances).toHaveLength(2)
    expect(FakeEventSource.latest()).not.toBe(first)
  })

  it('does not reconnect once signed out', async () => {
    const { server } = await signedInAs(false)
    server.on('GET /api/auth/me', () => json({ error: { code: 'unauthorized', message: 'Sign in.' } }, 401))
    vi.useFakeTimers()
    useEventsStore().connect()
    FakeEventSource.latest().refuse()
    await vi.advanceTimersByTimeAsync(RECONNECT_DELAY_MS * 2)
    expect(useAuthStore().user).toBeNull()
    expect(FakeEventSource.instances).toHaveLength(1)
  })

  it('closes the stream on disconnect and opens a fresh one on reconnect', async () => {
    await signedInAs(true)
    const events = useEventsStore()
    events.connect()
    const first = FakeEventSource.latest()
    events.reconnect()
    expect(first.readyState).toBe(FakeEventSource.CLOSED)
    expect(FakeEventSource.instances).toHaveLength(2)
    events.disconnect()
    expect(FakeEventSource.latest().readyState).toBe(FakeEventSource.CLOSED)
    expect(events.state).toBe('idle')
  })

  it('hands each feature event to the store that owns that state, with its data', async () => {
    await signedInAs(true)
    const downloads = useDownloadsStore()
    const library = useLibraryStore()
    const profiles = useProfilesStore()
    const servers = useServersStore()
    const peers = usePeersStore()
    const spies = {
      'downloads.progress': vi.spyOn(downloads, 'applyProgress').mockImplementation(() => undefined),
      'downloads.state': vi.spyOn(downloads, 'applyState').mockImplementation(() => undefined),
      'downloads.removed': vi.spyOn(downloads, 'drop').mockImplementation(() => undefined),
      'profiles.changed': vi.spyOn(profiles, 'upsert').mockImplementation(() => undefined),
      'profiles.deleted': vi.spyOn(profiles, 'drop').mockImplementation(() => undefined),
      'servers.state': vi.spyOn(servers, 'applyState').mockImplementation(() => undefined),
      'servers.stats': vi.spyOn(servers, 'applyStats').mockImplementation(() => undefined),
      'chat.metrics': vi.spyOn(servers, 'chatMetricsChanged').mockImplementation(() => undefined),
      'benchmarks.progress': vi.spyOn(useBenchmarksStore(), 'apply').mockImplementation(() => undefined),
      'engines.install': vi.spyOn(useEnginesStore(), 'applyInstall').mockImplementation(() => undefined),
      'peers.state': vi.spyOn(peers, 'apply').mockImplementation(() => undefined),
      'peers.removed': vi.spyOn(peers, 'drop').mockImplementation(() => undefined),
      'hosts.changed': vi.spyOn(useHostsStore(), 'apply').mockImplementation(() => undefined),
      'hosts.removed': vi.spyOn(useHostsStore(), 'drop').mockImplementation(() => undefined),
    }
    const forget = vi.spyOn(servers, 'forget').mockImplementation(() => undefined)
    const libraryChanged = vi.spyOn(library, 'changed').mockImplementation(() => undefined)
    useEventsStore().connect()
    const source = FakeEventSource.latest()

    const sent = {
      'downloads.progress': { id: 1, bytesDone: 10, files: [] },
      'downloads.state': { id: 1, status: 'paused', files: [] },
      'downloads.removed': { ids: [1, 2] },
      'profiles.changed': { id: 3, name: 'Qwen' },
      'profiles.deleted': { id: 3 },
      'servers.state': { profileId: 3, state: 'ready' },
      'servers.stats': { at: '2026-01-01T00:00:00.000Z', servers: [] },
      'chat.metrics': { profileId: 3, requests: 1 },
      'benchmarks.progress': { id: 4, profileId: 3, status: 'running', results: [] },
      'engines.install': { engine: 'mlx_lm.server', state: 'installing' },
      'peers.state': { id: 5, state: 'online', profiles: [] },
      'peers.removed': { id: 5 },
      'hosts.changed': { id: 6, name: 'studio', address: '192.168.1.6' },
      'hosts.removed': { id: 6 },
    }
    for (const [type, data] of Object.entries(sent)) source.emit(type, data)

    expect(spies['downloads.progress']).toHaveBeenCalledWith(sent['downloads.progress'])
    expect(spies['downloads.state']).toHaveBeenCalledWith(sent['downloads.state'])
    expect(spies['downloads.removed']).toHaveBeenCalledWith([1, 2])
    expect(spies['profiles.changed']).toHaveBeenCalledWith(sent['profiles.changed'])
    expect(spies['profiles.deleted']).toHaveBeenCalledWith(3)
    expect(forget).toHaveBeenCalledWith(3)
    expect(spies['servers.state']).toHaveBeenCalledWith(sent['servers.state'])
    expect(spies['servers.stats']).toHaveBeenCalledWith(sent['servers.stats'])
    expect(spies['chat.metrics']).toHaveBeenCalledWith(sent['chat.metrics'])
    expect(spies['benchmarks.progress']).toHaveBeenCalledWith(sent['benchmarks.progress'])
    expect(spies['engines.install']).toHaveBeenCalledWith(sent['engines.install'])
    expect(spies['peers.state']).toHaveBeenCalledWith(sent['peers.state'])
    expect(spies['peers.removed']).toHaveBeenCalledWith(5)
    expect(spies['hosts.changed']).toHaveBeenCalledWith(sent['hosts.changed'])
    expect(spies['hosts.removed']).toHaveBeenCalledWith(6)
    for (const spy of Object.values(spies)) expect(spy).toHaveBeenCalledOnce()
    // A download changing state and a models.changed both tell the library to look again.
    expect(libraryChanged).toHaveBeenCalledTimes(1)
    source.emit('models.changed', { modelId: 'mlx-community/Qwen3-8B-4bit', reason: 'downloaded' })
    expect(libraryChanged).toHaveBeenCalledTimes(2)
  })

  it('when the stream opens, reloads the server, profile and user lists already shown, and no others', async () => {
    await signedInAs(true)
    const servers = useServersStore()
    const profiles = useProfilesStore()
    const users = useUsersStore()
    const loads = {
      servers: vi.spyOn(servers, 'load').mockResolvedValue(undefined),
      profiles: vi.spyOn(profiles, 'load').mockResolvedValue(undefined),
      users: vi.spyOn(users, 'load').mockResolvedValue(undefined),
    }
    servers.$patch({ loaded: true })
    users.$patch({ loaded: true })
    useEventsStore().connect()
    FakeEventSource.latest().open()
    expect([loads.servers.mock.calls.length, loads.profiles.mock.calls.length, loads.users.mock.calls.length]).toEqual([1, 0, 1])

    servers.$patch({ loaded: false })
    users.$patch({ loaded: false })
    profiles.$patch({ loaded: true })
    FakeEventSource.latest().open()
    expect([loads.servers.mock.calls.length, loads.profiles.mock.calls.length, loads.users.mock.calls.length]).toEqual([1, 1, 1])
  })
})
