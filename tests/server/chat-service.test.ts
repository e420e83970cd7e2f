import { describe, expect, test } from 'bun:test'
import { ChatService } from '../../server/features/chat/service'
import { ReplyMeter } from '../../server/features/chat/meter'
import type { ChatRequestRecord } from '../../server/features/metrics/repository'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'
import type { ServerStatus } from '../../shared/servers'
import type { ChatEvent } from '../../shared/chat'

const profile: Profile = { ...PROFILE_DEFAULTS, id: 1, name: 'p', model: 'org/model', port: 8001, temperature: 0.2, topP: 0.9, maxTokens: 100, systemPrompt: 'Be brief.', createdAt: '', updatedAt: '' }
const status = { profileId: 1, state: 'ready', baseUrl: 'http://127.0.0.1:8001/v1' } as ServerStatus

function service(open: (url: string, body: unknown, signal: AbortSignal) => Promise<Response>, records: ChatRequestRecord[] = []) {
  return new ChatService({
    profiles: { usable: () => profile },
    servers: { get: () => status, start: () => Promise.resolve(status), isActive: () => true },
    serving: { acquire: () => Promise.resolve({ status, release: () => undefined }) },
    exchange: { upstream: { open }, record: (r) => records.push(r), idleTimeoutMs: 200, now: () => new Date(), clock: () => performance.now() },
  })
}

const ADMIN_VIEWER = { id: 1, isAdmin: true }

const frames = (...chunks: unknown[]) => chunks.map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`).join('')

async function collect(events: AsyncGenerator<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = []
  for await (const event of events) out.push(event)
  return out
}

describe('ChatService', () => {
  test('sends the profile defaults, and the request overrides win', async () => {
    const sent: { url: string; body: unknown }[] = []
    const chat = service((url, body) => {
      sent.push({ url, body })
      return Promise.resolve(new Response(frames({ choices: [{ delta: {}, finish_reason: 'stop' }] }, '[DONE]')))
    })
    await collect(chat.reply(chat.open({ profileId: 1, messages: [{ role: 'user', content: 'hi' }] }, ADMIN_VIEWER), new AbortController().signal))
    expect(sent[0]).toEqual({
      url: 'http://127.0.0.1:8001/v1/chat/completions',
      body: {
        model: 'org/model',
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
        temperature: 0.2,
        top_p: 0.9,
        max_tokens: 100,
      },
    })
    const own = [{ role: 'system' as const, content: 'Mine.' }, { role: 'user' as const, content: 'hi' }]
    await collect(chat.reply(chat.open({ profileId: 1, messages: own, temperature: 0, topP: 0.5, maxTokens: 7, stop: ['\n'] }, ADMIN_VIEWER), new AbortController().signal))
    expect(sent[1]?.body).toMatchObject({ messages: own, temperature: 0, top_p: 0.5, max_tokens: 7, stop: ['\n'] })
  })

  test('without usage from the engine, chunks are counted; an error chunk ends the stream', async () => {
    const records: ChatRequestRecord[] = []
    const chat = service(() => Promise.resolve(new Response(frames({ choices: [{ delta: { content: 'a' } }] }, { choices: [{ delta: { content: 'b' } }] }, { choices: [{ delta: {}, finish_reason: 'stop' }] }, '[DONE]'))), records)
    const events = await collect(chat.reply(chat.open({ profileId: 1, messages: [{ role: 'user', content: 'hi' }] }, ADMIN_VIEWER), new AbortController().signal))
    expect(events.find((e) => e.type === 'metrics')?.data).toMatchObject({ completionTokens: 2, promptTokens: null })
    const failing = service(() => Promise.resolve(new Response(frames({ error: { message: 'out of memory' } }))), records)
    const failed = await collect(failing.reply(failing.open({ profileId: 1, messages: [{ role: 'user', content: 'hi' }] }, ADMIN_VIEWER), new AbortController().signal))
    expect(failed).toEqual([{ type: 'error', data: { code: 'engine-error', message: 'p reported an error: out of memory' } }])
    expect(records.map((r) => r.errorCode)).toEqual([null, 'engine-error'])
  })

  test('a silent engine times out with an error; the client leaving aborts the engine request', async () => {
    let upstreamSignal: AbortSignal | null = null
    const silent = service((_url, _body, signal) => {
      upstreamSignal = signal
      return Promise.resolve(new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(frames({ choices: [{ delta: { content: 'x' } }] }))) })))
    })
    const events = await collect(silent.reply(silent.open({ profileId: 1, messages: [{ role: 'user', content: 'hi' }] }, ADMIN_VIEWER), new AbortController().signal))
    expect(events.map((e) => e.type)).toEqual(['token', 'error'])
    expect(events[1]?.data).toMatchObject({ code: 'engine-timeout' })

    const records: ChatRequestRecord[] = []
    const client = new AbortController()
    const chat = service((_url, _body, signal) => {
      upstreamSignal = signal
      return Promise.resolve(new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode(frames({ choices: [{ delta: { content: 'x' } }] }))) })))
    }, records)
    const stream = chat.reply(chat.open({ profileId: 1, messages: [{ role: 'user', content: 'hi' }] }, ADMIN_VIEWER), client.signal)
    expect((await stream.next()).value).toEqual({ type: 'token', data: { text: 'x' } })
    const rest = collect(stream)
    client.abort()
    expect(await rest).toEqual([])
    expect((upstreamSignal as AbortSignal | null)?.aborted).toBe(true)
    expect(records[0]).toMatchObject({ errorCode: 'cancelled', completionTokens: 1 })
  })
})

describe('ReplyMeter', () => {
  test('times the first token and the rate of the rest on its own clock', () => {
    let now = 1_000
    const meter = new ReplyMeter(() => now, new Date('2026-03-01T12:00:00.000Z'))
    now += 120
    meter.output()
    for (let i = 0; i < 9; i++) {
      now += 20
      meter.output()
    }
    now += 10
    meter.usage = { prompt_tokens: 12, completion_tokens: 10 }
    expect(meter.startedAt).toBe('2026-03-01T12:00:00.000Z')
    // The first token's cost is in the time to first token; the other 9 took 180 ms.
    expect(meter.measure()).toEqual({ timeToFirstTokenMs: 120, promptTokens: 12, completionTokens: 10, generationTokensPerSecond: 50, promptTokensPerSecond: 100, totalMs: 310 })
  })

  test('without usage it counts chunks; one token has no rate', () => {
    let now = 0
    const meter = new ReplyMeter(() => now, new Date())
    now = 40
    meter.output()
    expect(meter.measure()).toEqual({ timeToFirstTokenMs: 40, promptTokens: null, completionTokens: 1, generationTokensPerSecond: null, promptTokensPerSecond: null, totalMs: 40 })
  })
})
