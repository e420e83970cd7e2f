import { afterEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { CreatedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import { systemChatUpstream, type ChatUpstream } from '../../server/features/chat/upstream'
import { FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const REPLY = 'The quick brown fox jumps over the lazy dog'
const MEMBER = { email: 'member@example.com', password: 'member-password' }

/**
 * The app on a real loopback socket (the official client needs a URL), its engines the stand-in,
 * every body sent upstream recorded.
 */
async function setUp() {
  const sent: Record<string, unknown>[] = []
  const recording: ChatUpstream = {
    open: (url, body, signal) => {
      sent.push(body as Record<string, unknown>)
      return systemChatUpstream.open(url, body, signal)
    },
  }
  const app = createTestApp({ serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: FAST_TIMING }, chat: { upstream: recording } })
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
  const key = async (as: string, body: Record<string, unknown> = {}) =>
    (await app.json<CreatedApiKey>('POST', '/api/keys', { token: as, body: { name: 'test', ...body } })).body.key
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 })
  return { app, token, base, sent, profile, start, key, client }
}

const hello: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello there' }]

const weather: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
}

describe('POST /v1/chat/completions with the official openai client', () => {
  test('not streamed: the engine’s answer as it sent it, the engine asked for its own model', async () => {
    const s = await setUp()
    const shared = await s.profile({ name: 'Fox', model: 'standin/400tps', maxTokens: 500 })
    await s.start(shared.id)
    const openai = s.client(await s.key(s.token))
    const completion = await openai.chat.completions.create({ model: 'Fox', messages: hello })
    expect(completion.object).toBe('chat.completion')
    expect(completion.choices[0]?.message.content).toBe(REPLY)
    expect(completion.choices[0]?.finish_reason).toBe('stop')
    expect(completion.usage?.completion_tokens).toBe(REPLY.split(' ').length)
    expect(s.sent.at(-1)).toMatchObject({ model: 'standin/400tps', max_tokens: 500 })
  })

  test('streamed: every chunk relayed, usage at the end when asked, finish reason kept', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Streamer', model: 'standin/reasoning-400tps', engine: 'mlx_lm.server' })
    await s.start(profile.id)
    const openai = s.client(await s.key(s.token))
    const stream = await openai.chat.completions.create({ model: 'Streamer', messages: hello, stream: true, stream_options: { include_usage: true } })
    let content = ''
    let reasoning = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined = null
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      content += choice?.delta.content ?? ''
      // Engines' own fields (mlx_lm.server's `reasoning`) pass through untouched.
      reasoning += (choice?.delta as { reasoning?: string } | undefined)?.reasoning ?? ''
      finish = choice?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(content).toBe(REPLY)
    expect(reasoning.length).toBeGreaterThan(0)
    expect(finish).toBe('stop')
    expect(usage?.completion_tokens).toBeGreaterThan(0)
  })

  test('tool calls, streamed and not; unknown request fields reach the engine', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Tools', model: 'standin/400tps' })
    await s.start(profile.id)
    const openai = s.client(await s.key(s.token))
    const ask: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Call get_weather for Paris' }]
    const whole = await openai.chat.completions.create({ model: 'Tools', messages: ask, tools: [weather] })
    expect(whole.choices[0]?.finish_reason).toBe('tool_calls')
    expect(whole.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"example"}' } })
    const stream = await openai.chat.completions.create({ model: 'Tools', messages: ask, tools: [weather], stream: true, top_k: 20 } as OpenAI.Chat.ChatCompletionCreateParamsStreaming)
    const calls: string[] = []
    for await (const chunk of stream) for (const call of chunk.choices[0]?.delta.tool_calls ?? []) calls.push(call.function?.name ?? '')
    expect(calls).toContain('get_weather')
    expect(s.sent.at(-1)).toMatchObject({ top_k: 20, model: 'standin/400tps', stream: true })
  })

  test('routed by model id when only one usable profile serves it; several is a 400 naming them', async () => {
    const s = await setUp()
    const one = await s.profile({ name: 'One', model: 'standin/400tps' })
    await s.start(one.id)
    const openai = s.client(await s.key(s.token))
    const completion = await openai.chat.completions.create({ model: 'standin/400tps', messages: hello })
    expect(completion.choices[0]?.message.content).toBe(REPLY)
    await s.profile({ name: 'Two', model: 'standin/400tps' })
    const error = await openai.chat.completions.create({ model: 'standin/400tps', messages: hello }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('One, Two')
  })
})

describe('a stream ends when its key stops working', () => {
  test('revoking the key mid-stream ends the answer at once', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Slow', model: 'standin/5tps' })
    await s.start(profile.id)
    const created = (await s.app.json<CreatedApiKey>('POST', '/api/keys', { token: s.token, body: { name: 'revoked soon' } })).body
    const stream = await s.client(created.key).chat.completions.create({ model: 'Slow', messages: hello, stream: true })
    const started = performance.now()
    let chunks = 0
    for await (const _chunk of stream) {
      if (++chunks === 1) await s.app.call('DELETE', `/api/keys/${created.id}`, { token: s.token })
    }
    // At 5 tokens/s the whole reply would take seconds; it stops after the revocation instead.
    expect(chunks).toBeLessThan(4)
    expect(performance.now() - started).toBeLessThan(1_500)
    expect(s.app.watching()).toBe(0)
  })
})

describe('the gateway refuses in OpenAI’s shape', () => {
  test('a model outside the key’s allow-list is 403; an unknown model is 404; one that cannot start is 503 with Retry-After', async () => {
    const s = await setUp()
    const allowed = await s.profile({ name: 'Allowed', model: 'standin/400tps' })
    await s.profile({ name: 'Other', model: 'standin/fast' })
    const openai = s.client(await s.key(s.token, { profiles: [allowed.id] }))
    const other = await openai.chat.completions.create({ model: 'Other', messages: hello }).catch((e: unknown) => e)
    expect(other).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect((other as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_allowed')
    const unknown = await openai.chat.completions.create({ model: 'Nope', messages: hello }).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect((unknown as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found')
    const broken = await s.profile({ name: 'Broken', model: 'standin/exit0-with-error', engine: 'mlx-openai-server' })
    const brokenKey = s.client(await s.key(s.token, { profiles: [broken.id] }))
    const failed = await brokenKey.chat.completions.create({ model: 'Broken', messages: hello }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError)
    const apiError = failed as InstanceType<typeof OpenAI.APIError>
    expect(apiError.status).toBe(503)
    expect(apiError.code).toBe('model_failed_to_start')
    expect(apiError.headers?.get('retry-after')).toBe('30')
    expect(apiError.message).toContain('could not be started')
    // Refused before any engine answered: recorded with the profile it named and why, for the requests log.
    expect(s.app.metrics.records().find((record) => record.profileId === broken.id)).toMatchObject({
      status: 503,
      errorCode: 'model-failed-to-start',
      endpoint: 'chat/completions',
      timeToFirstTokenMs: null,
    })
  })

  test('a member’s key cannot reach a profile not shared with members, even when it names it', async () => {
    const s = await setUp()
    const shared = await s.profile({ name: 'Shared', model: 'standin/400tps', availableToMembers: true })
    const hidden = await s.profile({ name: 'Hidden', model: 'standin/fast' })
    await s.start(hidden.id)
    const member = await s.app.signUp(MEMBER)
    await s.app.json('PATCH', `/api/users/${member.user.id}`, { token: s.token, body: { status: 'approved' } })
    const memberToken = await s.app.signIn(MEMBER)
    const openai = s.client(await s.key(memberToken, { profiles: [shared.id] }))
    for (const model of ['Hidden', 'standin/fast']) {
      const error = await openai.chat.completions.create({ model, messages: hello }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(OpenAI.NotFoundError)
    }
    // An unshared profile later: the key that listed it loses it too.
    await s.app.json('PATCH', `/api/profiles/${shared.id}`, { token: s.token, body: { availableToMembers: false } })
    expect((await openai.models.list()).data).toEqual([])
  })

  test('a bad key through the client is an AuthenticationError', async () => {
    const s = await setUp()
    const error = await s.client('mlxm_000000000000_' + 'A'.repeat(43)).models.list().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key')
  })

  test('bad bodies: 400 (or 415, 413) with {error: {message, type, param, code}}, never a 500', async () => {
    const s = await setUp()
    const profile = await s.profile({ name: 'Fox', model: 'standin/400tps' })
    await s.start(profile.id)
    const key = await s.key(s.token)
    const post = (body: string, contentType = 'application/json') =>
      fetch(`${s.base}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': contentType }, body })
    const cases: [string, string?][] = [
      ['{not json'],
      ['[]'],
      ['null'],
      ['{}'],
      [JSON.stringify({ model: 'Fox' })],
      [JSON.stringify({ model: 'Fox', messages: [] })],
      [JSON.stringify({ model: 'Fox', messages: ['hi'] })],
      [JSON.stringify({ model: 42, messages: hello })],
      [JSON.stringify({ model: 'Fox', messages: hello, stream: 'yes' })],
      [JSON.stringify({ model: 'Fox', messages: hello }), 'text/plain'],
    ]
    for (const [body, type] of cases) {
      const response = await post(body, type)
      const answer = (await response.json()) as { error: Record<string, unknown> }
      expect([body, response.status === 400 || response.status === 415]).toEqual([body, true])
      expect(Object.keys(answer.error).sort()).toEqual(['code', 'message', 'param', 'type'])
      expect(answer.error.type).toBe('invalid_request_error')
    }
    const missing = await post(JSON.stringify({ model: 'Fox' }))
    expect(((await missing.json()) as { error: { param: string } }).error.param).toBe('messages')
  })
})
