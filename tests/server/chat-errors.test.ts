import { afterEach, describe, expect, test } from 'bun:test'
import { systemChatUpstream } from '../../server/features/chat/upstream'
import type { ServerChatMetrics } from '../../shared/chat'
import { createTestApp, sseReader, ADMIN } from './helpers'
import { eventually, freePort, servingApp, standinEnv, FAST_TIMING, type ServingApp } from '../fixtures/engine/harness'

let cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

async function setUp(options: Parameters<typeof servingApp>[0] = {}) {
  const s = await servingApp(options)
  cleanups.push(() => s.close())
  return s
}

const hello = [{ role: 'user', content: 'Hello there' }]
const post = (s: ServingApp, body: unknown, signal?: AbortSignal) => s.app.call('POST', '/api/chat', { token: s.token, body, signal })
const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error

describe('POST /api/chat refuses what it cannot do, before streaming', () => {
  test('bad input gets a 400 that says what is wrong', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'p', model: 'standin/400tps' })
    const cases: [unknown, RegExp][] = [
      [{ profileId: profile.id, messages: [] }, /1 to 1000 messages/],
      [{ profileId: profile.id }, /messages/],
      [{ profileId: 'one', messages: hello }, /profileId/],
      [{ profileId: profile.id, messages: [{ role: 'wizard', content: 'hi' }] }, /role is one of system, user, assistant, tool/],
      [{ profileId: profile.id, messages: [{ role: 'user', content: 42 }] }, /content is text or a list/],
      [{ profileId: profile.id, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/cat.png' } }] }] }, /content/],
      [{ profileId: profile.id, messages: hello, temperature: 5 }, /temperature is a number from 0 to 2/],
      [{ profileId: profile.id, messages: hello, topP: 0 }, /Top-p/],
      [{ profileId: profile.id, messages: hello, maxTokens: 0 }, /Max tokens/],
      [{ profileId: profile.id, messages: hello, stop: ['a', 'b', 'c', 'd', 'e'] }, /Stop is a string or a list/],
    ]
    for (const [body, message] of cases) {
      const response = await post(s, body)
      expect(response.status).toBe(400)
      const error = await errorOf(response)
      expect(error.code).toBe('invalid-input')
      expect(error.message).toMatch(message)
    }
    const notJson = await s.app.call('POST', '/api/chat', { token: s.token, rawBody: '{', headers: { 'content-type': 'application/json' } })
    expect(notJson.status).toBe(400)
  })

  test('signed out is 401; an unknown profile is 404', async () => {
    const s = await setUp()
    expect((await s.app.call('POST', '/api/chat', { body: { profileId: 1, messages: hello } })).status).toBe(401)
    const response = await post(s, { profileId: 999, messages: hello })
    expect(response.status).toBe(404)
    expect((await errorOf(response)).code).toBe('profile-not-found')
  })

  test('a stopped server is started by the chat request itself, and the reply follows', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'idle', model: 'standin/400tps' })
    const response = await post(s, { profileId: profile.id, messages: hello })
    expect(response.status).toBe(200)
    const events = await response.text()
    // Said first, so the browser can show why the answer waits.
    expect(events.indexOf('event: loading')).toBeGreaterThanOrEqual(0)
    expect(events.indexOf('event: loading')).toBeLessThan(events.indexOf('event: token'))
    expect(events).toContain('idle is not running, so it is being started')
    expect(events).toContain('event: token')
    expect(events).toContain('event: done')
    expect(s.app.serving.supervisor.get(profile.id).state).toBe('ready')
  })

  test('a request while the server is still loading waits for it instead of being refused', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'slow', model: 'standin/load-1000ms' })
    await s.start(profile.id, false)
    expect(s.app.serving.supervisor.get(profile.id).state).toBe('starting')
    const response = await post(s, { profileId: profile.id, messages: hello })
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('event: done')
  })

  test('a server that cannot start ends the reply with its error event, and the request is recorded with why', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'broken', model: 'standin/exit0-with-error', engine: 'mlx-openai-server' })
    const response = await post(s, { profileId: profile.id, messages: hello })
    expect(response.status).toBe(200)
    const events = await response.text()
    expect(events).toContain('event: error')
    expect(events).toContain('model-failed-to-start')
    expect(s.app.metrics.records().find((record) => record.profileId === profile.id)).toMatchObject({
      endpoint: 'chat',
      keyId: null,
      status: 503,
      errorCode: 'model-failed-to-start',
      timeToFirstTokenMs: null,
    })
  })

  test('images for a text-only profile, and chat with an embeddings profile, are refused', async () => {
    const s = await setUp()
    const text = await s.profile({ name: 'text', model: 'standin/400tps' })
    const image = [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }]
    const refused = await post(s, { profileId: text.id, messages: image })
    expect(refused.status).toBe(400)
    expect((await errorOf(refused)).code).toBe('images-not-supported')
    const embed = await s.profile({ name: 'embed', model: 'standin/400tps', modelType: 'embeddings' })
    const notChat = await post(s, { profileId: embed.id, messages: hello })
    expect((await errorOf(notChat)).code).toBe('not-a-chat-model')
  })

  test('an image reaches a multimodal profile', async () => {
    const s = await setUp({ env: { STANDIN_REPLY: 'A small red square.' } })
    const vision = await s.profile({ name: 'vision', model: 'standin/400tps', modelType: 'multimodal' })
    await s.start(vision.id)
    const image = [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }]
    const all = await sseReader(await post(s, { profileId: vision.id, messages: image })).rest(5_000)
    expect(all.map((e) => e.event).at(-1)).toBe('done')
  })
})

describe('engine failures become an error event, never a hang or a 500', () => {
  test('the engine dying mid-stream', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'fragile', model: 'standin/die-mid-stream-100tps' })
    await s.start(profile.id)
    const response = await post(s, { profileId: profile.id, messages: hello })
    expect(response.status).toBe(200)
    const all = await sseReader(response).rest(5_000)
    expect(all.slice(0, 2).map((e) => e.event)).toEqual(['token', 'token'])
    expect(all.at(-1)).toMatchObject({ event: 'error', data: { code: 'engine-disconnected' } })
    expect((all.at(-1)?.data as { message: string }).message).toContain('fragile')
    expect(all.some((e) => e.event === 'done')).toBe(false)
  })

  test('the engine answering 4xx or 5xx: its own message is passed on', async () => {
    // A stand-in for a broken engine behind a ready server: answers 503 the way mlx-openai-server does.
    const broken = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => Response.json({ error: { message: 'Model handler not initialized', type: 'service_unavailable', code: 503 } }, { status: 503 }),
    })
    cleanups.push(() => broken.stop(true))
    let target: 'real-404' | 'broken-503' = 'real-404'
    const app = createTestApp({
      serving: { env: standinEnv(), timing: FAST_TIMING },
      chat: {
        upstream: {
          open: (url, body, signal) =>
            systemChatUpstream.open(target === 'real-404' ? url.replace('/chat/completions', '/chat/nothing-here') : `http://127.0.0.1:${broken.port}/v1/chat/completions`, body, signal),
        },
      },
    })
    cleanups.push(() => app.serving.supervisor.stopAll())
    const token = (await app.signUp(ADMIN)).token ?? ''
    const created = await app.json<{ id: number }>('POST', '/api/profiles', { token, body: { name: 'p', model: 'standin/400tps', port: await freePort() } })
    await app.json('POST', `/api/servers/${created.body.id}/start?wait=true`, { token })
    const ask = async () => sseReader(await app.call('POST', '/api/chat', { token, body: { profileId: created.body.id, messages: hello } })).rest(5_000)
    expect(await ask()).toEqual([{ event: 'error', data: { code: 'engine-error', message: 'p answered 404: Not Found' } }])
    target = 'broken-503'
    expect(await ask()).toEqual([{ event: 'error', data: { code: 'engine-error', message: 'p answered 503: Model handler not initialized' } }])
    const summary = await app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token })
    expect(summary.body).toMatchObject([{ profileId: created.body.id, requests: 2, errors: 2 }])
  })

  test('a client that goes away aborts the engine request', async () => {
    const s = await setUp({ env: { STANDIN_REPLY: 'word '.repeat(200) } })
    const profile = await s.profile({ name: 'long', model: 'standin/50tps' })
    await s.start(profile.id)
    const controller = new AbortController()
    const reader = sseReader(await post(s, { profileId: profile.id, messages: hello }, controller.signal))
    await reader.next(1, 3_000)
    const abortedAt = Date.now()
    controller.abort()
    // The whole reply would take 4 s; the cancelled request is recorded right away.
    await eventually(async () => {
      const summary = await s.app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token: s.token })
      return summary.body[0]?.errors === 1
    }, 2_000)
    expect(Date.now() - abortedAt).toBeLessThan(1_500)
  })
})
