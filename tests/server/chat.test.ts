import { afterEach, describe, expect, test } from 'bun:test'
import type { ChatMetrics } from '../../shared/chat'
import { servingApp, type ServingApp } from '../fixtures/engine/harness'
import { sseReader, type SseEvent } from './helpers'

let serving: ServingApp | null = null

afterEach(async () => {
  await serving?.close()
  serving = null
})

const REPLY = 'The quick brown fox jumps over the lazy dog near the quiet river bank today'
const REASONING = 'The user asked something. I will think briefly, then answer.'

async function setUp(env: Record<string, string> = {}) {
  serving = await servingApp({ env: { STANDIN_REPLY: REPLY, ...env } })
  return serving
}

async function chat(s: ServingApp, body: Record<string, unknown>, signal?: AbortSignal) {
  return s.app.call('POST', '/api/chat', { token: s.token, body, signal })
}

async function events(s: ServingApp, body: Record<string, unknown>): Promise<SseEvent[]> {
  const response = await chat(s, body)
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/event-stream')
  return sseReader(response).rest(10_000)
}

const text = (all: SseEvent[], type: string) =>
  all.filter((e) => e.event === type).map((e) => (e.data as { text: string }).text).join('')
/** The event types in order, with runs of the same type collapsed. */
const shape = (all: SseEvent[]) => all.map((e) => e.event).filter((type, i, list) => i === 0 || list[i - 1] !== type)

const hello = [{ role: 'user', content: 'Hello there' }]

describe('POST /api/chat streams the engine reply as typed events', () => {
  test('mlx-openai-server: reasoning_content, then tokens, then metrics, then done', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'thinker', model: 'standin/reasoning-400tps' })
    expect((await s.start(profile.id)).body.state).toBe('ready')
    const all = await events(s, { profileId: profile.id, messages: hello })
    expect(shape(all)).toEqual(['reasoning', 'token', 'metrics', 'done'])
    expect(text(all, 'reasoning')).toBe(REASONING)
    expect(text(all, 'token')).toBe(REPLY)
    expect(all.at(-1)?.data).toEqual({ finishReason: 'stop' })
  })

  test('mlx_lm.server: the `reasoning` field is reasoning too', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'lm', model: 'standin/reasoning-400tps', engine: 'mlx_lm.server' })
    await s.start(profile.id)
    const all = await events(s, { profileId: profile.id, messages: hello })
    expect(shape(all)).toEqual(['reasoning', 'token', 'metrics', 'done'])
    expect(text(all, 'reasoning')).toBe(REASONING)
  })

  test('<think> tags in the content become reasoning', async () => {
    const s = await setUp({ STANDIN_REPLY: '<think>Count the r letters.</think>\n\nThere are three.' })
    const profile = await s.profile({ name: 'tags', model: 'standin/400tps' })
    await s.start(profile.id)
    const all = await events(s, { profileId: profile.id, messages: hello })
    expect(shape(all)).toEqual(['reasoning', 'token', 'metrics', 'done'])
    expect(text(all, 'reasoning')).toBe('Count the r letters.')
    expect(text(all, 'token')).toBe('There are three.')
  })

  test('the profile defaults apply unless the request overrides them', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'defaults', model: 'standin/400tps', maxTokens: 4, systemPrompt: 'Be brief and kind.' })
    await s.start(profile.id)
    const metricsOf = (all: SseEvent[]) => all.find((e) => e.event === 'metrics')?.data as ChatMetrics
    const byDefault = await events(s, { profileId: profile.id, messages: hello })
    expect(metricsOf(byDefault).completionTokens).toBe(4)
    // The stand-in counts the words of every message: 4 of the system prompt + 2.
    expect(metricsOf(byDefault).promptTokens).toBe(6)
    expect(byDefault.at(-1)?.data).toEqual({ finishReason: 'length' })
    const overridden = await events(s, { profileId: profile.id, messages: hello, maxTokens: 2, systemPrompt: '' })
    expect(metricsOf(overridden).completionTokens).toBe(2)
    expect(metricsOf(overridden).promptTokens).toBe(2)
    expect(text(overridden, 'token')).toBe('The quick')
  })

  test('the metrics match the engine speed', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'steady', model: 'standin/50tps' })
    await s.start(profile.id)
    const all = await events(s, { profileId: profile.id, messages: hello })
    const metrics = all.find((e) => e.event === 'metrics')?.data as ChatMetrics
    const words = REPLY.split(' ').length
    expect(metrics.completionTokens).toBe(words)
    expect(metrics.promptTokens).toBe(2)
    // One token every 20 ms. A busy machine only delays tokens, so only the engine's pace bounds the
    // figures; the arithmetic itself is checked on a fake clock (ReplyMeter in chat-service.test.ts).
    const ttft = metrics.timeToFirstTokenMs ?? 0
    const rate = metrics.generationTokensPerSecond ?? Infinity
    expect(ttft).toBeGreaterThanOrEqual(15)
    expect(metrics.totalMs).toBeGreaterThanOrEqual(((words - 1) * 1000) / 50)
    expect(rate).toBeLessThan(50 * 1.3)
    // The rest of the tokens came between the first and the end, so the rate is at least what that span allows.
    expect(rate).toBeGreaterThanOrEqual(((words - 1) * 1000) / (metrics.totalMs - ttft) - 0.01)
  })

  test('a tool call is relayed', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'tools', model: 'standin/400tps' })
    await s.start(profile.id)
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', required: ['city'] } } }]
    const all = await events(s, { profileId: profile.id, messages: [{ role: 'user', content: 'call get_weather' }], tools })
    expect(all.map((e) => e.event)).toEqual(['tool_call', 'metrics', 'done'])
    expect(all[0]?.data).toMatchObject({ index: 0, name: 'get_weather', arguments: '{"city":"example"}' })
    expect(all.at(-1)?.data).toEqual({ finishReason: 'tool_calls' })
  })
})
