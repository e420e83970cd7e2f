import { afterEach, describe, expect, test } from 'bun:test'
import { withHeartbeat } from '../../server/features/chat/heartbeat'
import { httpUpstream } from '../../server/features/chat/upstream'
import { freePort, standinEnv, FAST_TIMING } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

let cleanups: (() => unknown)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

async function* slowly(items: string[], gapMs: number, finished: { value: boolean }) {
  try {
    for (const item of items) {
      await Bun.sleep(gapMs)
      yield item
    }
  } finally {
    finished.value = true
  }
}

describe('withHeartbeat', () => {
  test('pings only while the source is silent', async () => {
    const seen: string[] = []
    for await (const item of withHeartbeat(slowly(['a', 'b'], 70, { value: false }), 30, () => 'ping')) seen.push(item)
    expect(seen.filter((item) => item !== 'ping')).toEqual(['a', 'b'])
    // Two silences of 70 ms at a 30 ms heartbeat: each gets one or two pings.
    expect(seen.filter((item) => item === 'ping').length).toBeGreaterThanOrEqual(2)
    expect(seen.indexOf('a')).toBeGreaterThan(0)

    const busy: string[] = []
    for await (const item of withHeartbeat(slowly(['a', 'b', 'c'], 1, { value: false }), 200, () => 'ping')) busy.push(item)
    expect(busy).toEqual(['a', 'b', 'c'])
  })

  test('stopping early closes the source', async () => {
    const finished = { value: false }
    for await (const item of withHeartbeat(slowly(['a', 'b', 'c'], 5, finished), 1_000, () => 'ping')) if (item === 'a') break
    expect(finished.value).toBe(true)
  })
})

test('a reply whose engine is silent for a while gets ping events, so the connection stays open', async () => {
  const app = createTestApp({
    serving: { env: standinEnv(), timing: FAST_TIMING },
    chat: {
      heartbeatMs: 40,
      // An engine reading a long prompt: nothing at all for a while, then the answer.
      upstream: { open: async (url, body, signal) => (await Bun.sleep(200), httpUpstream.open(url, body, signal)) },
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
