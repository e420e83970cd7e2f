import { afterEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import { systemChatUpstream, type ChatUpstream } from '../../server/features/chat/upstream'
import { eventually, FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const REPLY = 'The quick brown fox jumps over the lazy dog'

/**
 * The app on a real loopback socket (the official client needs a URL), its engines the stand-in,
 * every body sent upstream recorded. Without `reply`, the stand-in answers with what it was asked
 * (or what a tool said).
 */
async function setUp(reply: string | null = REPLY) {
  const sent: Record<string, unknown>[] = []
  const recording: ChatUpstream = {
    open: (url, body, signal) => {
      sent.push(body as Record<string, unknown>)
      return systemChatUpstream.open(url, body, signal)
    },
  }
  const env = standinEnv(reply === null ? {} : { STANDIN_REPLY: reply })
  const app = createTestApp({ serving: { env, timing: FAST_TIMING }, chat: { upstream: recording } })
  cleanups.push(() => app.serving.supervisor.stopAll())
  const token = (await app.signUp(ADMIN)).token ?? ''
  app.app.listen({ port: 0, hostname: '127.0.0.1' })
  cleanups.push(() => app.app.stop(true))
  const base = `http://127.0.0.1:${app.app.server?.port ?? 0}`
  const profile = async (body: Record<string, unknown>) => {
    const response = await app.json<Profile>('POST', '/api/profiles', { token, body: { port: await freePort(), ...body } })
    if (response.status !== 201) throw new Error(JSON.stringify(response.body))
    return response.body
  }
  const start = (id: number) => app.json('POST', `/api/servers/${id}/start?wait=true`, { token })
  const createKey = async (body: Record<string, unknown> = {}) => (await app.json<CreatedApiKey>('POST', '/api/keys', { token, body: { name: 'test', ...body } })).body
  const key = async (body: Record<string, unknown> = {}) => (await createKey(body)).key
  // The official client sends the key as x-api-key; `bearer` sends it as Authorization: Bearer instead.
  const client = (apiKey: string, bearer = false) =>
    new Anthropic(bearer ? { apiKey: null, authToken: apiKey, baseURL: base, maxRetries: 0 } : { apiKey, baseURL: base, maxRetries: 0 })
  return { app, token, base, sent, profile, start, createKey, key, client }
}

const hello: Anthropic.MessageParam[] = [{ role: 'user', content: 'Hello there' }]

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}

describe('POST /v1/messages with the official @anthropic-ai/sdk client', () => {
  test('not streamed, on a stopped model: started on demand, the system prompt sent first, an Anthropic message back', async () => {
    const s = await setUp()
    await s.profile({ name: 'Fox', model: 'standin/400tps' })
    const anthropic = s.client(await s.key())
    // Sampling fields are no longer in the client's types, but older clients and scripts send them.
    const params = { model: 'Fox', max_tokens: 300, system: 'Answer in English.', messages: hello, temperature: 0.3, metadata: { user_id: 'u-1' } }
    const message = await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming)
    expect(message).toMatchObject({ type: 'message', role: 'assistant', model: 'Fox', content: [{ type: 'text', text: REPLY }], stop_reason: 'end_turn', stop_sequence: null })
    expect(message.id).toMatch(/^msg_/)
    expect(message.usage.output_tokens).toBe(REPLY.split(' ').length)
    expect(message.usage.input_tokens).toBeGreaterThan(0)
    // The engine was asked for its own model, with the system prompt first and Anthropic's fields by OpenAI's names.
    expect(s.sent.at(-1)).toEqual({
      model: 'standin/400tps',
      max_tokens: 300,
      temperature: 0.3,
      messages: [
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Hello there' },
      ],
    })
    // Records are written in batches; the test writes the waiting one now instead of sleeping.
    s.app.metrics.flush()
    const recorded = s.app.db.query<{ endpoint: string; status: number; completion_tokens: number }, []>('SELECT endpoint, status, completion_tokens FROM chat_requests').all()
    expect(recorded).toEqual([{ endpoint: 'messages', status: 200, completion_tokens: REPLY.split(' ').length }])
  })

  test('max_tokens reached is stop_reason max_tokens; the key also works as Authorization: Bearer, and with ?beta=true', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Fox', model: 'standin/400tps' })
    await s.start(profile.id)
    // Claude Code adds ?beta=true to the path.
    const message = await s.client(await s.key(), true).messages.create({ model: 'Fox', max_tokens: 3, messages: hello }, { query: { beta: 'true' } })
    expect(message.stop_reason).toBe('max_tokens')
    expect(message.content).toEqual([{ type: 'text', text: 'The quick brown' }] as Anthropic.ContentBlock[])
  })

  test('streamed: message_start, one text block of deltas, message_delta with stop reason, usage and measurements, message_stop', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Streamer', model: 'standin/400tps', engine: 'mlx_lm.server' })
    await s.start(profile.id)
    const stream = s.client(await s.key()).messages.stream({ model: 'Streamer', max_tokens: 200, messages: hello })
    const events: Anthropic.MessageStreamEvent[] = []
    for await (const event of stream) events.push(event)
    const types = events.map((event) => event.type)
    expect(types[0]).toBe('message_start')
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop'])
    expect(types.filter((type) => type === 'content_block_start')).toHaveLength(1)
    expect(types.filter((type) => type === 'content_block_delta').length).toBe(REPLY.split(' ').length)
    const delta = events.find((event) => event.type === 'message_delta') as Anthropic.MessageDeltaEvent & { x_mlx_manager?: { time_to_first_token_ms: number | null } }
    expect(delta.delta.stop_reason).toBe('end_turn')
    expect(delta.usage.output_tokens).toBe(REPLY.split(' ').length)
    expect(delta.x_mlx_manager?.time_to_first_token_ms).toBeGreaterThanOrEqual(0)
    const final = await stream.finalMessage()
    expect(final.content).toEqual([{ type: 'text', text: REPLY }] as typeof final.content)
    expect(final.usage.input_tokens).toBeGreaterThan(0)
    // The engine was asked for usage at the end of its stream.
    expect(s.sent.at(-1)).toMatchObject({ stream: true, stream_options: { include_usage: true } })
  })

  test('reasoning is a thinking block when thinking is enabled, and left out when it is not', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Thinker', model: 'standin/reasoning-400tps', engine: 'mlx_lm.server' })
    await s.start(profile.id)
    const anthropic = s.client(await s.key())
    const thinking = await anthropic.messages.stream({ model: 'Thinker', max_tokens: 200, thinking: { type: 'enabled', budget_tokens: 100 }, messages: hello }).finalMessage()
    expect(thinking.content.map((block) => block.type)).toEqual(['thinking', 'text'])
    expect((thinking.content[0] as Anthropic.ThinkingBlock).thinking).toContain('think briefly')
    expect(s.sent.at(-1)).toMatchObject({ chat_template_kwargs: { enable_thinking: true } })
    const plain = await anthropic.messages.create({ model: 'Thinker', max_tokens: 200, messages: hello })
    expect(plain.content.map((block) => block.type)).toEqual(['text'])
  })

  test('tools: a tool_use block with parsed input, streamed and not; the tool_result goes back as a tool message and is answered', async () => {
    const s = await setUp(null)
    const profile = await s.profile({ name: 'Tools', model: 'standin/400tps' })
    await s.start(profile.id)
    const anthropic = s.client(await s.key())
    const ask: Anthropic.MessageParam[] = [{ role: 'user', content: 'Call get_weather for Paris' }]
    const call = await anthropic.messages.create({ model: 'Tools', max_tokens: 200, tools: [weather], tool_choice: { type: 'auto' }, messages: ask })
    expect(call.stop_reason).toBe('tool_use')
    const use = call.content.find((block) => block.type === 'tool_use')
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'example' } })
    expect(s.sent.at(-1)).toMatchObject({ tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather.input_schema } }], tool_choice: 'auto' })

    const streamed = await anthropic.messages.stream({ model: 'Tools', max_tokens: 200, tools: [weather], messages: ask }).finalMessage()
    expect(streamed.stop_reason).toBe('tool_use')
    expect(streamed.content.find((block) => block.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'example' } })

    const toolUseId = (use as Anthropic.ToolUseBlock).id
    const answer = await anthropic.messages.create({
      model: 'Tools',
      max_tokens: 200,
      tools: [weather],
      messages: [...ask, { role: 'assistant', content: call.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUseId, content: 'Sunny and 21 degrees' }] }],
    })
    expect(answer.stop_reason).toBe('end_turn')
    expect(answer.content).toEqual([{ type: 'text', text: 'This is the stand-in engine answering: the tool said Sunny and 21 degrees' }] as Anthropic.ContentBlock[])
    expect((s.sent.at(-1)?.messages as unknown[]).slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: toolUseId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"example"}' } }] },
      { role: 'tool', tool_call_id: toolUseId, content: 'Sunny and 21 degrees' },
    ])
  })

  test('an engine that dies mid-stream: Anthropic’s error event, raised by the client as an api_error', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Fragile', model: 'standin/die-mid-stream-200tps' })
    await s.start(profile.id)
    const stream = s.client(await s.key()).messages.stream({ model: 'Fragile', max_tokens: 200, messages: hello })
    let text = ''
    const error = await (async () => {
      for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('api_error')
    expect((error as Error).message).toContain('Fragile')
    expect(text.length).toBeGreaterThan(0)
  })

  test('revoking the key mid-stream ends the answer at once, with an authentication_error event', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Slow', model: 'standin/5tps' })
    await s.start(profile.id)
    const created = await s.createKey({ name: 'revoked soon' })
    const stream = s.client(created.key).messages.stream({ model: 'Slow', max_tokens: 200, messages: hello })
    const started = performance.now()
    let deltas = 0
    const error = await (async () => {
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && ++deltas === 1) await s.app.call('DELETE', `/api/keys/${created.id}`, { token: s.token })
      }
    })().catch((e: unknown) => e)
    // Told why, instead of a short answer that looks finished.
    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('authentication_error')
    // At 5 tokens/s the whole reply would take seconds; it stops after the revocation instead.
    expect(deltas).toBeLessThan(4)
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(s.app.watching()).toBe(0)
  })

  test('a client that stops reading ends the engine’s request, recorded as cancelled', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Slow', model: 'standin/5tps' })
    await s.start(profile.id)
    const stream = s.client(await s.key()).messages.stream({ model: 'Slow', max_tokens: 200, messages: hello })
    for await (const event of stream) if (event.type === 'content_block_delta') break
    const recorded = () => s.app.db.query<{ status: number }, []>("SELECT status FROM chat_requests WHERE endpoint = 'messages'").all()
    await eventually(() => recorded().length > 0, 2_000)
    expect(recorded()).toEqual([{ status: 499 }])
    expect(s.app.watching()).toBe(0)
  })
})

interface AnthropicErrorBody {
  type: string
  error: { type: string; message: string }
}

describe('POST /v1/messages refuses in Anthropic’s shape', () => {
  const shapeOf = (error: unknown) => {
    expect(error).toBeInstanceOf(Anthropic.APIError)
    const body = (error as InstanceType<typeof Anthropic.APIError>).error as AnthropicErrorBody
    expect(Object.keys(body).sort()).toEqual(['error', 'type'])
    expect(body.type).toBe('error')
    expect(Object.keys(body.error).sort()).toEqual(['message', 'type'])
    return body.error
  }

  test('a bad key is 401 authentication_error; no key at all too', async () => {
    const s = await setUp()
    const bad = await s.client('mlxm_000000000000_' + 'A'.repeat(43)).messages.create({ model: 'Fox', max_tokens: 10, messages: hello }).catch((e: unknown) => e)
    expect(bad).toBeInstanceOf(Anthropic.AuthenticationError)
    expect(shapeOf(bad).type).toBe('authentication_error')
    const none = await fetch(`${s.base}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'Fox', max_tokens: 10, messages: hello }) })
    expect(none.status).toBe(401)
    const body = (await none.json()) as AnthropicErrorBody
    expect(body).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
    expect(body.error.message).toContain('x-api-key')
  })

  test('an unknown model is 404 not_found_error; one outside the key’s allow-list is 403 permission_error', async () => {
    const s = await setUp()
    const allowed = await s.profile({ name: 'Allowed', model: 'standin/400tps' })
    await s.profile({ name: 'Other', model: 'standin/fast' })
    const anthropic = s.client(await s.key({ profiles: [allowed.id] }))
    const unknown = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: hello }).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError)
    const notFound = shapeOf(unknown)
    expect(notFound.type).toBe('not_found_error')
    expect(notFound.message).toContain('GET /v1/models')
    const other = await anthropic.messages.create({ model: 'Other', max_tokens: 10, messages: hello }).catch((e: unknown) => e)
    expect(other).toBeInstanceOf(Anthropic.PermissionDeniedError)
    expect(shapeOf(other).type).toBe('permission_error')
  })

  test('a key over its daily token limit is 429 rate_limit_error with retry-after', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Fox', model: 'standin/400tps' })
    await s.start(profile.id)
    const anthropic = s.client(await s.key({ dailyTokenLimit: 5 }))
    await anthropic.messages.create({ model: 'Fox', max_tokens: 200, messages: hello })
    const over = await anthropic.messages.create({ model: 'Fox', max_tokens: 200, messages: hello }).catch((e: unknown) => e)
    expect(over).toBeInstanceOf(Anthropic.RateLimitError)
    expect(shapeOf(over).type).toBe('rate_limit_error')
    expect(Number((over as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after'))).toBeGreaterThan(0)
  })

  test('bad bodies: 400 (or 415) invalid_request_error saying what is wrong, never a 500, and no model started', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Fox', model: 'standin/400tps' })
    const key = await s.key()
    const post = (body: string, contentType = 'application/json') =>
      fetch(`${s.base}/v1/messages`, { method: 'POST', headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': contentType }, body })
    const valid = { model: 'Fox', max_tokens: 10, messages: hello }
    const cases: [string, string, string?][] = [
      ['{not json', 'JSON'],
      ['[]', ''],
      ['null', ''],
      ['{}', ''],
      [JSON.stringify({ model: 'Fox', messages: hello }), 'max_tokens is required'],
      [JSON.stringify({ ...valid, max_tokens: 0 }), 'max_tokens'],
      [JSON.stringify({ ...valid, model: 42 }), 'model'],
      [JSON.stringify({ ...valid, messages: [] }), 'messages is a list'],
      [JSON.stringify({ ...valid, messages: [{ role: 'robot', content: 'hi' }] }), 'role'],
      [JSON.stringify({ ...valid, messages: [{ role: 'user', content: 42 }] }), 'content'],
      [JSON.stringify({ ...valid, stream: 'yes' }), 'stream'],
      [JSON.stringify({ ...valid, system: 7 }), 'system'],
      [JSON.stringify({ ...valid, tool_choice: { type: 'sometimes' } }), 'tool_choice is'],
      [JSON.stringify({ ...valid, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }), 'messages[0].content[0]'],
      [JSON.stringify({ ...valid, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } }] }] }), 'plain-text documents'],
      [JSON.stringify({ ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }), 'built-in'],
      [JSON.stringify(valid), 'JSON', 'text/plain'],
    ]
    for (const [body, says, type] of cases) {
      const response = await post(body, type)
      const answer = (await response.json()) as AnthropicErrorBody
      expect([body, response.status]).toEqual([body, type === undefined ? 400 : 415])
      expect([body, answer.type, Object.keys(answer.error).sort(), answer.error.type]).toEqual([body, 'error', ['message', 'type'], 'invalid_request_error'])
      expect([body, answer.error.message]).toEqual([body, expect.stringContaining(says) as unknown as string])
    }
    // Nothing was started for a request the engine could not have been given.
    const servers = await s.app.json<{ profileId: number; state: string }[]>('GET', '/api/servers', { token: s.token })
    expect(servers.body.find((server) => server.profileId === profile.id)?.state).toBe('stopped')
  })

  test('a body over the chat limit is 413 request_too_large; one over the usual 1 MiB but under it is let through', async () => {
    const s = await setUp()
    const key = await s.key()
    // The edge judges the declared length before reading a byte, so a small body declaring a large one shows the limit.
    const declare = (bytes: number) =>
      s.app.app.handle(
        new Request('http://localhost/v1/messages', { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json', 'content-length': String(bytes) }, body: '{}' }),
      )
    const tooLarge = await declare(33 * 1024 * 1024)
    expect(tooLarge.status).toBe(413)
    expect(((await tooLarge.json()) as AnthropicErrorBody).error.type).toBe('request_too_large')
    expect((await declare(2 * 1024 * 1024)).status).not.toBe(413)
  })

  test('an unknown path under /v1/messages is a 404 in Anthropic’s shape; other /v1 paths keep OpenAI’s', async () => {
    const s = await setUp()
    const key = await s.key()
    const count = await fetch(`${s.base}/v1/messages/batches`, { headers: { 'x-api-key': key } })
    expect(count.status).toBe(404)
    expect(((await count.json()) as AnthropicErrorBody).error.type).toBe('not_found_error')
    const openAi = await fetch(`${s.base}/v1/nothing`, { headers: { authorization: `Bearer ${key}` } })
    expect(((await openAi.json()) as { error: { code: string } }).error).toHaveProperty('code')
  })
})
