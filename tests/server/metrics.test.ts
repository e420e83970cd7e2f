import { afterEach, describe, expect, test } from 'bun:test'
import { median, summarise } from '../../server/features/metrics/service'
import type { ChatRequestRecord } from '../../server/features/metrics/repository'
import type { ServerChatMetrics } from '../../shared/chat'
import { servingApp, type ServingApp } from '../fixtures/engine/harness'
import { sseReader } from './helpers'

let serving: ServingApp | null = null
afterEach(async () => {
  await serving?.close()
  serving = null
})

const hello = [{ role: 'user', content: 'Hello there' }]

const record = (over: Partial<ChatRequestRecord>): ChatRequestRecord => ({
  profileId: 1,
  model: 'm',
  startedAt: '2026-01-01T00:00:00.000Z',
  userId: 1,
  keyId: null,
  endpoint: 'chat',
  status: 200,
  cachedTokens: null,
  timeToFirstTokenMs: 10,
  promptTokens: 5,
  completionTokens: 20,
  tokensPerSecond: 40,
  totalMs: 500,
  errorCode: null,
  errorMessage: null,
  ...over,
})

describe('per-server summary', () => {
  test('medians skip failed requests; tokens add up over all of them', () => {
    expect(median([])).toBeNull()
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    const summary = summarise(1, [
      record({ tokensPerSecond: 30, timeToFirstTokenMs: 12 }),
      record({ tokensPerSecond: 50, timeToFirstTokenMs: 8 }),
      record({ tokensPerSecond: 1, timeToFirstTokenMs: 900, errorCode: 'engine-disconnected', completionTokens: 2, startedAt: '2026-01-02T00:00:00.000Z', keyId: 9, userId: 2 }),
    ])
    expect(summary).toEqual({
      profileId: 1,
      requests: 3,
      errors: 1,
      promptTokens: 15,
      completionTokens: 42,
      medianTokensPerSecond: 40,
      medianTimeToFirstTokenMs: 10,
      lastRequestAt: '2026-01-02T00:00:00.000Z',
      byKey: [{ keyId: 9, userId: 2, requests: 1, errors: 1, promptTokens: 5, completionTokens: 2, lastRequestAt: '2026-01-02T00:00:00.000Z' }],
    })
  })
})

describe('chat metrics through the API', () => {
  test('each request is stored, summarised per server, announced on /api/events and exported for Prometheus', async () => {
    serving = await servingApp({ env: { STANDIN_REPLY: 'one two three four five six seven eight' } })
    const s = serving
    const profile = await s.profile({ name: 'fast', model: 'standin/200tps' })
    await s.start(profile.id)
    const live = await s.events()
    for (let i = 0; i < 2; i++) {
      const all = await sseReader(await s.app.call('POST', '/api/chat', { token: s.token, body: { profileId: profile.id, messages: hello } })).rest(5_000)
      expect(all.at(-1)?.event).toBe('done')
    }
    const announced = await live.until((e) => e.event === 'chat.metrics' && (e.data as ServerChatMetrics).requests === 2)
    live.close()
    expect(announced.data).toMatchObject({ profileId: profile.id, requests: 2, errors: 0 })

    const stored = s.app.metrics.servers()
    const summary = await s.app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token: s.token })
    expect(summary.status).toBe(200)
    expect(summary.body).toEqual(stored)
    const [row] = summary.body
    expect(row).toMatchObject({ profileId: profile.id, requests: 2, errors: 0, promptTokens: 4, completionTokens: 16 })
    expect(row?.medianTokensPerSecond).toBeGreaterThan(200 * 0.5)
    expect(row?.medianTokensPerSecond).toBeLessThan(200 * 1.5)
    expect(row?.medianTimeToFirstTokenMs).toBeGreaterThan(0)
    expect((await s.app.json('GET', '/api/metrics/servers')).status).toBe(401)

    const text = await s.app.call('GET', '/metrics', { token: s.token })
    expect(text.status).toBe(200)
    expect(text.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    const body = await text.text()
    expect(body).toContain(`mlx_manager_chat_requests_total{profile_id="${profile.id}"} 2`)
    expect(body).toContain(`mlx_manager_chat_completion_tokens_total{profile_id="${profile.id}"} 16`)
    expect(body).toContain('# TYPE mlx_manager_time_to_first_token_seconds histogram')
    expect(body).toContain(`mlx_manager_time_to_first_token_seconds_count{profile_id="${profile.id}",key_id="none"} 2`)
    expect(body).toContain(`mlx_manager_generation_tokens_per_second_count{profile_id="${profile.id}",key_id="none"} 2`)
  })

  test('/metrics is for admins', async () => {
    serving = await servingApp()
    const other = await serving.app.signUp({ email: 'pat@example.com', password: 'pending-password' })
    expect((await serving.app.call('GET', '/metrics')).status).toBe(401)
    if (other.token !== null) expect((await serving.app.call('GET', '/metrics', { token: other.token })).status).toBe(403)
  })
})
