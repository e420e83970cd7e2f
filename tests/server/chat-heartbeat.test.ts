import { afterEach, expect, test } from 'bun:test'
import { systemChatUpstream } from '../../server/features/chat/upstream'
import { freePort, standinEnv, FAST_TIMING } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

let cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

test('a reply whose engine is silent for a while gets ping events, so the connection stays open', async () => {
  const app = createTestApp({
    serving: { env: standinEnv(), timing: FAST_TIMING },
    chat: {
      heartbeatMs: 40,
      // An engine reading a long prompt: nothing at all for a while, then the answer.
      upstream: { open: async (url, body, signal) => (await Bun.sleep(200), systemChatUpstream.open(url, body, signal)) },
    },
  })
  cleanups.push(() => app.serving.supervisor.stopAll())
  const token = (await app.signUp(ADMIN)).token ?? ''
  const created = await app.json<{ id: number }>('POST', '/api/profiles', { token, body: { name: 'p', model: 'standin/400tps', port: await freePort() } })
  await app.json('POST', `/api/servers/${created.body.id}/start?wait=true`, { token })
  // Read raw: the shared SSE reader skips pings, as the app's client does.
  const raw = await (await app.call('POST', '/api/chat', { token, body: { profileId: created.body.id, messages: [{ role: 'user', content: 'hi' }] } })).text()
  const names = [...raw.matchAll(/^event: ?(.*)$/gm)].map((match) => match[1])
  const firstToken = names.indexOf('token')
  expect(firstToken).toBeGreaterThan(0)
  expect(names.slice(0, firstToken).filter((name) => name === 'ping').length).toBeGreaterThanOrEqual(2)
  expect(names.at(-1)).toBe('done')
})
