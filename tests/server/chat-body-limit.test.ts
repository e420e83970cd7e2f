import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { loadConfig } from '../../server/config'
import { CHAT_BODY_LIMIT, declaredLimits } from '../../server/http/body-limit'
import { startManager } from '../../server/start'
import { CHAT_LIMITS } from '../../shared/chat'
import { MAX_CHAT_BODY_BYTES, MAX_JSON_BODY_BYTES } from '../../shared/limits'
import { freePort, servingApp, type ServingApp } from '../fixtures/engine/harness'
import { createTestApp, sseReader, tempDir, ADMIN, NO_SAVED_TOKEN } from './helpers'

let serving: ServingApp | null = null
afterEach(async () => {
  await serving?.close()
  serving = null
})

const MiB = 1024 * 1024

/** A user message with one inline image whose base64 payload is `bytes` long. */
function imageMessage(bytes: number) {
  return [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(bytes)}` } }] }]
}

describe('chat takes larger bodies than the rest of the API', () => {
  test('the larger limit is the routes’ own option: exactly the chat-like routes declare it', () => {
    const app = createTestApp()
    const declared = declaredLimits(app.app.routes)
    expect([...declared.keys()].sort()).toEqual(['POST /api/chat', 'POST /v1/chat/completions', 'POST /v1/messages'])
    for (const limit of declared.values()) expect(limit).toEqual(CHAT_BODY_LIMIT)
  })

  test('a 5 MiB image reaches a multimodal engine', async () => {
    serving = await servingApp({ env: { STANDIN_REPLY: 'A large picture.' } })
    const vision = await serving.profile({ name: 'vision', model: 'standin/400tps', modelType: 'multimodal' })
    await serving.start(vision.id)
    const response = await serving.app.call('POST', '/api/chat', { token: serving.token, body: { profileId: vision.id, messages: imageMessage(5 * MiB) } })
    expect(response.status).toBe(200)
    const all = await sseReader(response).rest(10_000)
    expect(all.at(-1)?.event).toBe('done')
    expect(all.filter((e) => e.event === 'token').map((e) => (e.data as { text: string }).text).join('')).toContain('I see 1 image')
  })

  test('the largest image the web app attaches passes validation', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const base64 = Math.ceil(CHAT_LIMITS.imageMaxBytes / 3) * 4
    const response = await app.json<{ error: { code: string } }>('POST', '/api/chat', { token: token ?? '', body: { profileId: 999, messages: imageMessage(base64) } })
    // Past the size and schema checks: refused only because there is no such profile.
    expect(response.body.error.code).toBe('profile-not-found')
  })

  test('a chat body over the cap is a 413 that says the limit and what to do', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const response = await app.json<{ error: { code: string; message: string } }>('POST', '/api/chat', {
      token: token ?? '',
      body: { profileId: 1, messages: imageMessage(MAX_CHAT_BODY_BYTES) },
    })
    expect(response.status).toBe(413)
    expect(response.body.error.code).toBe('payload-too-large')
    expect(response.body.error.message).toContain(`limited to ${MAX_CHAT_BODY_BYTES / MiB} MiB`)
    expect(response.body.error.message).toMatch(/fewer or smaller images/)
  })

  test('every other route keeps the 1 MiB cap', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const padding = 'x'.repeat(2 * MiB)
    for (const [method, path] of [
      ['POST', '/api/profiles'],
      ['POST', '/api/auth/login'],
      ['PUT', '/api/chat'],
    ] as const) {
      const response = await app.json<{ error: { code: string; message: string } }>(method, path, { token: token ?? '', body: { name: padding } })
      expect(response.status).toBe(413)
      expect(response.body.error.message).toContain(`limited to 1 MiB (${MAX_JSON_BODY_BYTES} bytes)`)
    }
  })

  test('a body without a declared length is refused, so no route can be sent more than its cap', async () => {
    const app = createTestApp()
    const request = new Request('http://localhost/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: '{}' })
    const response = await app.app.handle(request)
    expect(response.status).toBe(411)
    expect(await response.json()).toMatchObject({ error: { code: 'length-required' } })
  })
})

describe('over a real socket', () => {
  test('the listener takes a chat-sized body, and the 1 MiB cap still holds elsewhere', async () => {
    const home = tempDir()
    const config = loadConfig({ MLX_MANAGER_HOME: home, HF_HUB_CACHE: join(home, 'hub'), MLX_MANAGER_WEB_DIST: join(home, 'dist'), PORT: String(await freePort()), ...NO_SAVED_TOKEN })
    const manager = startManager(config, () => undefined)
    try {
      const post = (path: string, body: string) => fetch(`${manager.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      // Unauthenticated, so a 401: the body got through the socket and the size check.
      const chat = await post('/api/chat', JSON.stringify({ profileId: 1, messages: imageMessage(5 * MiB) }))
      expect(chat.status).toBe(401)
      const other = await post('/api/auth/login', JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(2 * MiB) }))
      expect(other.status).toBe(413)
    } finally {
      await manager.stop()
    }
  })
})
