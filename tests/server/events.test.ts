import { describe, expect, test } from 'bun:test'
import { ADMIN, chunkText, createTestApp, sseReader } from './helpers'
import { eventually } from '../fixtures/engine/harness'

async function openStream(app: ReturnType<typeof createTestApp>, token: string) {
  const controller = new AbortController()
  const response = await app.call('GET', '/api/events', { token, signal: controller.signal })
  return { response, events: sseReader(response), close: () => controller.abort() }
}

describe('/api/events', () => {
  test('needs a session', async () => {
    const app = createTestApp()
    const response = await app.json('GET', '/api/events')
    expect(response.status).toBe(401)
  })

  test('an admin gets memory and the pending count at once, then each new registration', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const stream = await openStream(app, token ?? '')
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream')
    expect(await stream.events.next(2)).toEqual([
      { event: 'system.memory', data: { totalBytes: 32 * 2 ** 30, usedBytes: 12 * 2 ** 30 } },
      { event: 'users.pending', data: { count: 0 } },
    ])
    await app.signUp({ email: 'new@example.com', password: 'new-password' })
    expect(await stream.events.next(1)).toEqual([{ event: 'users.pending', data: { count: 1 } }])
    stream.close()
  })

  test('approving a user pushes the lower pending count', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    const stream = await openStream(app, adminToken)
    expect((await stream.events.next(2))[1]).toEqual({ event: 'users.pending', data: { count: 1 } })
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    expect(await stream.events.next(1)).toEqual([{ event: 'users.pending', data: { count: 0 } }])
    stream.close()
  })

  test('a non-admin never hears admin events', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const token = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    const stream = await openStream(app, token)
    expect((await stream.events.next(1)).map((e) => e.event)).toEqual(['system.memory'])
    // Another registration (admin-only news) and then a broadcast: only the broadcast arrives.
    await app.signUp({ email: 'third@example.com', password: 'third-password' })
    app.bus.publish({ type: 'system.memory', data: { totalBytes: 1, usedBytes: 0 } })
    expect(await stream.events.next(1)).toEqual([{ event: 'system.memory', data: { totalBytes: 1, usedBytes: 0 } }])
    stream.close()
  })

  test('a user disabled while listening is told so and the stream ends', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const token = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    const stream = await openStream(app, token)
    await stream.events.next(1)
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'disabled' } })
    expect(await stream.events.rest()).toEqual([{ event: 'session.user', data: { status: 'disabled', isAdmin: false } }])
    expect(stream.events.ended).toBe(true)
  })

  test('closing the connection unsubscribes the stream', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    // The app's own listeners (e.g. "last used" bookkeeping) are there before any stream opens.
    const before = app.bus.subscriberCount
    const stream = await openStream(app, token ?? '')
    await stream.events.next(2)
    expect(app.bus.subscriberCount).toBe(before + 1)
    expect(app.bus.clientCount).toBe(1)
    stream.close()
    await eventually(() => app.bus.subscriberCount === before)
    expect(app.bus.clientCount).toBe(0)
  })

  test('pings keep an idle stream alive', async () => {
    const app = createTestApp({ heartbeatMs: 20 })
    const { token } = await app.signUp(ADMIN)
    const controller = new AbortController()
    const response = await app.call('GET', '/api/events', { token: token ?? '', signal: controller.signal })
    const reader = response.body?.getReader()
    let text = ''
    while (!text.includes('event: ping')) {
      const chunk = await reader?.read()
      if (chunk === undefined || chunk.done) break
      text += chunkText(chunk.value)
    }
    expect(text).toContain('event: ping')
    controller.abort()
  })
})
