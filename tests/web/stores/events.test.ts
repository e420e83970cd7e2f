import { afterEach, describe, expect, it, vi } from 'vitest'
import { useAuthStore, SIGNED_OUT_BY_ADMIN } from '../../../web/src/features/auth/store'
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
})
