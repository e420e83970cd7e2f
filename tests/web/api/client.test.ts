import { describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  api,
  NETWORK_ERROR_CODE,
  NETWORK_ERROR_MESSAGE,
  openEvents,
  parseServerEvent,
  request,
} from '../../../web/src/api/client'
import type { ServerEvent } from '../../../shared/events'
import { failure, fakeServer, FakeEventSource, json, makeUser, useFakeEventSource } from '../helpers'

describe('request', () => {
  it('returns the data of a successful call', async () => {
    const me = makeUser({ email: 'ann@example.com' })
    const server = fakeServer({ 'GET /api/auth/me': () => json(me) })
    await expect(request(api.auth.me.get())).resolves.toEqual(me)
    expect(server.calls).toEqual([{ method: 'GET', path: '/api/auth/me', body: undefined }])
  })

  it('sends the session cookie with every call', async () => {
    const server = fakeServer({ 'GET /api/auth/me': () => json(makeUser()) })
    await request(api.auth.me.get())
    expect(server.fetch.mock.calls[0]?.[1]?.credentials).toBe('include')
  })

  it('turns the error envelope into an ApiError with the code and sentence', async () => {
    fakeServer({ 'GET /api/auth/me': () => failure(401, 'unauthorized', 'Sign in to continue.') })
    const error = await request(api.auth.me.get()).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'unauthorized', message: 'Sign in to continue.', status: 401, isNetwork: false })
  })

  it('reads how long to wait from Retry-After', async () => {
    fakeServer({
      'POST /api/auth/login': () =>
        failure(429, 'too-many-attempts', 'Too many failed sign-ins. Try again in 30 seconds.', { 'retry-after': '30' }),
    })
    const error = await request(api.auth.login.post({ email: 'a@b.co', password: 'password1' })).catch(
      (caught: unknown) => caught,
    )
    expect(error).toMatchObject({ code: 'too-many-attempts', status: 429, retryAfterSeconds: 30 })
  })

  it('says the manager cannot be reached when the network fails', async () => {
    const server = fakeServer()
    server.offline()
    const error = await request(api.auth.me.get()).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: NETWORK_ERROR_CODE, message: NETWORK_ERROR_MESSAGE, status: null, isNetwork: true })
    expect(NETWORK_ERROR_MESSAGE).toBe('The manager cannot be reached. Check that it is running.')
  })

  it('describes an answer without the envelope by its status', async () => {
    fakeServer({ 'GET /api/auth/me': () => new Response('<html>Bad gateway</html>', { status: 502 }) })
    const error = await request(api.auth.me.get()).catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'http-502', status: 502 })
  })
})

describe('parseServerEvent', () => {
  it('accepts each event type with its data', () => {
    expect(parseServerEvent('users.pending', '{"count":3}')).toEqual({ type: 'users.pending', data: { count: 3 } })
    expect(parseServerEvent('system.memory', '{"totalBytes":10,"usedBytes":4}')).toEqual({
      type: 'system.memory',
      data: { totalBytes: 10, usedBytes: 4 },
    })
    expect(parseServerEvent('session.user', '{"status":"disabled","isAdmin":false}')).toEqual({
      type: 'session.user',
      data: { status: 'disabled', isAdmin: false },
    })
  })

  it('drops data that does not fit its type', () => {
    expect(parseServerEvent('users.pending', 'not json')).toBeNull()
    expect(parseServerEvent('users.pending', '{"count":"3"}')).toBeNull()
    expect(parseServerEvent('system.memory', '{"totalBytes":10}')).toBeNull()
    expect(parseServerEvent('session.user', '{"status":"gone","isAdmin":false}')).toBeNull()
    expect(parseServerEvent('session.user', 'null')).toBeNull()
    expect(parseServerEvent('hosts.changed', '{"id":2,"name":"studio"}')).toBeNull()
    expect(parseServerEvent('hosts.removed', '{"id":"2"}')).toBeNull()
  })

  it('takes a host as GET /api/hosts lists it, and a removed host by id', () => {
    const host = { id: 2, name: 'studio', address: '192.168.1.2', sshUser: 'me', pythonEnv: '/env', local: false, rdmaDevice: null }
    expect(parseServerEvent('hosts.changed', JSON.stringify(host))).toEqual({ type: 'hosts.changed', data: host })
    expect(parseServerEvent('hosts.removed', '{"id":2}')).toEqual({ type: 'hosts.removed', data: { id: 2 } })
  })
})

describe('openEvents', () => {
  it('listens on /api/events and hands over each named event', () => {
    useFakeEventSource()
    const events: ServerEvent[] = []
    openEvents({ onEvent: (event) => events.push(event) })
    const source = FakeEventSource.latest()
    expect(new URL(source.url).pathname).toBe('/api/events')
    expect(source.withCredentials).toBe(true)

    source.emit('users.pending', { count: 2 })
    source.emit('system.memory', { totalBytes: 100, usedBytes: 25 })
    source.emit('ping', {})
    source.emit('users.pending', { count: 'many' })
    expect(events).toEqual([
      { type: 'users.pending', data: { count: 2 } },
      { type: 'system.memory', data: { totalBytes: 100, usedBytes: 25 } },
    ])
  })

  it('tells a dropped connection the browser retries from one it gave up on', () => {
    useFakeEventSource()
    const onError = vi.fn()
    const onOpen = vi.fn()
    const connection = openEvents({ onEvent: () => undefined, onOpen, onError })
    const source = FakeEventSource.latest()
    source.open()
    source.drop()
    source.refuse()
    expect(onOpen).toHaveBeenCalledOnce()
    expect(onError.mock.calls).toEqual([['reconnecting'], ['closed']])
    connection.close()
    expect(source.readyState).toBe(FakeEventSource.CLOSED)
  })
})
