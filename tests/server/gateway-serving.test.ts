import { afterEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ServerChatMetrics } from '../../shared/chat'
import { NO_PROFILE, NO_PROFILE_LABEL, type RequestLogPage, type UsageResponse } from '../../shared/observability'
import type { CreatedApiKey, ListedApiKey } from '../../shared/keys'
import type { Profile } from '../../shared/profiles'
import type { ServerState } from '../../shared/servers'
import type { PoolClock } from '../../server/features/serving/model'
import { eventually, FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp } from './helpers'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const REPLY = 'one two three four five six'
const hello: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello there' }]

/** Real timers, except that the test can fire the pool's idle countdowns at once. */
function idleClock() {
  const timers = new Map<number, { run: () => void; ms: number; handle: ReturnType<typeof setTimeout> | null }>()
  let next = 1
  const clock: PoolClock = {
    now: () => Date.now(),
    setTimeout: (run, ms) => {
      const id = next++
      // Queue timeouts keep real time; idle countdowns (minutes) wait for `fireIdle`.
      timers.set(id, { run, ms, handle: ms < 60_000 ? setTimeout(run, ms) : null })
      return id
    },
    clearTimeout: (id) => {
      const timer = timers.get(id as number)
      if (timer?.handle) clearTimeout(timer.handle)
      timers.delete(id as number)
    },
  }
  const fireIdle = () => {
    for (const [id, timer] of timers) {
      if (timer.handle !== null) continue
      timers.delete(id)
      timer.run()
    }
  }
  return { clock, fireIdle }
}

async function setUp(listen: { idleTimeout?: number } = {}) {
  const { clock, fireIdle } = idleClock()
  const app = createTestApp({ serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: FAST_TIMING }, pool: { clock } })
  cleanups.push(() => app.pool.close())
  cleanups.push(() => app.serving.supervisor.stopAll())
  const token = (await app.signUp(ADMIN)).token ?? ''
  app.app.listen({ port: 0, hostname: '127.0.0.1', ...listen })
  cleanups.push(() => app.app.stop(true))
  const base = `http://127.0.0.1:${app.app.server?.port ?? 0}`
  const states: { profileId: number; state: ServerState }[] = []
  cleanups.push(app.bus.subscribe(({ event }) => event.type === 'servers.state' && states.push({ profileId: event.data.profileId, state: event.data.state })))
  const profile = async (body: Record<string, unknown>) => {
    const response = await app.json<Profile>('POST', '/api/profiles', { token, body: { port: await freePort(), ...body } })
    if (response.status !== 201) throw new Error(JSON.stringify(response.body))
    return response.body
  }
  const key = async (body: Record<string, unknown> = {}) => (await app.json<CreatedApiKey>('POST', '/api/keys', { token, body: { name: 'test', ...body } })).body
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 })
  const starts = (profileId: number) => states.filter((s) => s.profileId === profileId && s.state === 'starting').length
  return { app, token, base, profile, key, client, starts, fireIdle }
}

describe('on-demand serving through the gateway', () => {
  test('five concurrent first requests for a stopped model start it once and are all answered', async () => {
    const s = await setUp()
    const fox = await s.profile({ name: 'Fox', model: 'standin/load-400ms' })
    const openai = s.client((await s.key()).key)
    const answers = await Promise.all(Array.from({ length: 5 }, () => openai.chat.completions.create({ model: 'Fox', messages: hello })))
    expect(answers.map((a) => a.choices[0]?.message.content)).toEqual(Array.from({ length: 5 }, () => REPLY))
    expect(s.starts(fox.id)).toBe(1)
    expect(s.app.serving.supervisor.get(fox.id).state).toBe('ready')
  })

  test('a request quiet for longer than the server’s idle timeout (its model loading) is not dropped', async () => {
    // The server drops connections quiet past its idle timeout (30 s in production, one second here;
    // Bun checks every 4 s) — a request waiting for its model to load must not count as quiet.
    const s = await setUp({ idleTimeout: 1 })
    await s.profile({ name: 'Slow', model: 'standin/load-6000ms' })
    const openai = s.client((await s.key()).key)
    const answer = await openai.chat.completions.create({ model: 'Slow', messages: hello })
    expect(answer.choices[0]?.message.content).toBe(REPLY)
  }, 20_000)

  test('starting by hand while a start is under way joins it instead of answering 409', async () => {
    const s = await setUp()
    const fox = await s.profile({ name: 'Fox', model: 'standin/load-400ms' })
    const both = await Promise.all([0, 1].map(() => s.app.json('POST', `/api/servers/${fox.id}/start?wait=true`, { token: s.token })))
    expect(both.map((r) => r.status)).toEqual([200, 200])
    expect(s.starts(fox.id)).toBe(1)
  })

  test('an idle server stops after its profile’s idle time and the tile said when; a pinned one stays', async () => {
    const s = await setUp()
    const idle = await s.profile({ name: 'Idle', model: 'standin/fast', idleTimeoutMinutes: 5 })
    const pinned = await s.profile({ name: 'Pinned', model: 'standin/fast', idleTimeoutMinutes: 5, pinned: true })
    const openai = s.client((await s.key()).key)
    const before = Date.now()
    await openai.chat.completions.create({ model: 'Idle', messages: hello })
    await openai.chat.completions.create({ model: 'Pinned', messages: hello })
    const stopsAt = s.app.serving.supervisor.get(idle.id).idleStopsAt
    expect(stopsAt).not.toBeNull()
    expect(Date.parse(stopsAt ?? '') - before).toBeGreaterThanOrEqual(5 * 60_000 - 1000)
    expect(s.app.serving.supervisor.get(pinned.id).idleStopsAt).toBeNull()
    s.fireIdle()
    await eventually(() => s.app.serving.supervisor.get(idle.id).state === 'stopped', 2_000)
    expect(s.app.serving.supervisor.get(pinned.id).state).toBe('ready')
  })
})

describe('idle-stop times on the servers’ tiles', () => {
  test('a busy server publishes its moving idle-stop time at most once a second, and the last one always reaches the page', async () => {
    const s = await setUp()
    const idle = await s.profile({ name: 'Busy', model: 'standin/fast', idleTimeoutMinutes: 5 })
    const openai = s.client((await s.key()).key)
    await openai.chat.completions.create({ model: 'Busy', messages: hello })
    const published: (string | null)[] = []
    cleanups.push(s.app.bus.subscribe(({ event }) => event.type === 'servers.state' && event.data.profileId === idle.id && published.push(event.data.idleStopsAt)))
    const started = Date.now()
    // Each request clears the time while it runs and sets a new one after: 20 changes or more.
    for (let i = 0; i < 10; i++) await openai.chat.completions.create({ model: 'Busy', messages: hello })
    const elapsedSeconds = (Date.now() - started) / 1000
    const final = s.app.serving.supervisor.get(idle.id).idleStopsAt
    expect(final).not.toBeNull()
    await eventually(() => published.at(-1) === final, 3_000)
    // One publication per second at most, plus the first at once and the trailing one.
    expect(published.length).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 2)
  })
})

describe('the other OpenAI endpoints', () => {
  test('/v1/completions streamed and not, and /v1/embeddings for an embeddings profile', async () => {
    const s = await setUp()
    await s.profile({ name: 'Text', model: 'standin/fast' })
    await s.profile({ name: 'Embed', model: 'standin/fast', engine: 'mlx-openai-server', modelType: 'embeddings' })
    const openai = s.client((await s.key()).key)
    const completion = await openai.completions.create({ model: 'Text', prompt: 'Once upon a time' })
    expect(completion.choices[0]?.text).toBe(REPLY)
    let streamed = ''
    for await (const chunk of await openai.completions.create({ model: 'Text', prompt: 'Once', stream: true })) streamed += chunk.choices[0]?.text ?? ''
    expect(streamed).toBe(REPLY)
    const embedded = await openai.embeddings.create({ model: 'Embed', input: ['a', 'b'] })
    expect(embedded.data).toHaveLength(2)
    expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0)
    const refused = await openai.embeddings.create({ model: 'Text', input: 'a' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError)
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe('not_an_embeddings_model')
  })

  test('bad completion and embedding bodies are 400 in OpenAI’s shape', async () => {
    const s = await setUp()
    const { key } = await s.key()
    for (const [path, body] of [
      ['/v1/completions', { model: 'x' }],
      ['/v1/embeddings', { model: 'x', input: 5 }],
      ['/v1/embeddings', { input: 'a' }],
    ] as const) {
      const response = await fetch(`${s.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
      expect(response.status).toBe(400)
      const error = ((await response.json()) as { error: { message: string; type: string } }).error
      expect(error.type).toBe('invalid_request_error')
      expect(error.message.length).toBeGreaterThan(5)
    }
  })

  test('a stream’s finishing chunk carries the manager’s measurements in a field clients ignore', async () => {
    const s = await setUp()
    await s.profile({ name: 'Fox', model: 'standin/400tps' })
    const { key } = await s.key()
    const response = await fetch(`${s.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'Fox', messages: hello, stream: true, stream_options: { include_usage: true } }),
    })
    const payloads = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
      .map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>)
    const measured = payloads.filter((p) => p.x_mlx_manager !== undefined)
    expect(measured.length).toBeGreaterThanOrEqual(1)
    const last = measured.at(-1)?.x_mlx_manager as { time_to_first_token_ms: number; tokens_per_second: number; total_ms: number }
    expect(last.time_to_first_token_ms).toBeGreaterThan(0)
    expect(last.tokens_per_second).toBeGreaterThan(0)
    expect(last.total_ms).toBeGreaterThanOrEqual(last.time_to_first_token_ms)
    // Chunks before the finish are relayed untouched.
    expect(payloads[0]?.x_mlx_manager).toBeUndefined()
  })
})

describe('requests are recorded, and a key’s daily limit holds', () => {
  test('each request is recorded with its user, key, endpoint, status and tokens; over the limit is 429 with Retry-After, and recorded', async () => {
    const s = await setUp()
    await s.profile({ name: 'Fox', model: 'standin/fast' })
    const limited = await s.key({ dailyTokenLimit: 20 })
    const openai = s.client(limited.key)
    const first = await openai.chat.completions.create({ model: 'Fox', messages: hello })
    const used = (first.usage?.prompt_tokens ?? 0) + (first.usage?.completion_tokens ?? 0)
    expect(used).toBeGreaterThan(0)
    const records = s.app.metrics.records()
    expect(records.at(-1)).toMatchObject({ keyId: limited.id, userId: 1, endpoint: 'chat/completions', status: 200, completionTokens: first.usage?.completion_tokens })
    // Spend the rest of the day's tokens: the request that starts over the limit is refused, none before.
    let spent = used
    let refused: unknown = null
    for (let i = 0; i < 20 && refused === null; i++) {
      const answer: OpenAI.Chat.ChatCompletion | Error = await openai.chat.completions.create({ model: 'Fox', messages: hello }).catch((e: unknown) => e as Error)
      if (answer instanceof Error) refused = answer
      else spent += (answer.usage?.prompt_tokens ?? 0) + (answer.usage?.completion_tokens ?? 0)
    }
    expect(spent).toBeGreaterThanOrEqual(20)
    expect(spent - used).toBeLessThan(20)
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError)
    const apiError = refused as InstanceType<typeof OpenAI.APIError>
    expect(apiError.code).toBe('daily_token_limit')
    expect(Number(apiError.headers?.get('retry-after'))).toBeGreaterThan(0)
    expect(apiError.message).toContain('of its 20 tokens today')
    // The refused request is in the record too, with why, and counted for nothing.
    expect(s.app.metrics.records().at(-1)).toMatchObject({
      keyId: limited.id,
      userId: 1,
      endpoint: 'chat/completions',
      status: 429,
      errorCode: 'daily-token-limit',
      promptTokens: null,
      completionTokens: 0,
      timeToFirstTokenMs: null,
    })
    expect(apiError.message).toContain('create a key with a higher limit')
    // The keys list says how much of today's limit is gone; a key without a limit says nothing.
    const unlimited = await s.key()
    const listed = (await s.app.json<ListedApiKey[]>('GET', '/api/keys', { token: s.token })).body
    expect(listed.find((k) => k.id === limited.id)?.tokensToday).toBe(spent)
    expect(listed.find((k) => k.id === unlimited.id)?.tokensToday).toBeNull()
    // Another key of the same user is not limited by this one.
    const other = s.client(unlimited.key)
    expect((await other.chat.completions.create({ model: 'Fox', messages: hello })).choices[0]?.message.content).toBe(REPLY)
    // Gateway traffic shows per key on the servers' figures and in the Prometheus export.
    const figures = await s.app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token: s.token })
    const byKey = figures.body[0]?.byKey.find((traffic) => traffic.keyId === limited.id)
    expect(byKey).toMatchObject({ userId: 1, errors: 1, promptTokens: expect.any(Number) as number })
    expect(byKey?.requests).toBe(s.app.metrics.records().filter((r) => r.keyId === limited.id).length)
    const prometheus = await (await s.app.call('GET', '/metrics', { token: s.token })).text()
    expect(prometheus).toContain(`mlx_manager_gateway_requests_total{profile_id="1",key_id="${limited.id}"} ${byKey?.requests}`)
  })
  test('a request naming no model the key may use is recorded under NO_PROFILE with the name asked for; per-server figures leave it out', async () => {
    const s = await setUp()
    const fox = await s.profile({ name: 'Fox', model: 'standin/fast' })
    await s.profile({ name: 'Hare', model: 'standin/fast' })
    const onlyFox = await s.key({ profiles: [fox.id] })
    const openai = s.client(onlyFox.key)
    const refusal = (model: string) => openai.chat.completions.create({ model, messages: hello }).then(() => null, (error: unknown) => error)
    expect(await refusal('gpt-4o')).toBeInstanceOf(OpenAI.NotFoundError)
    expect(await refusal('Hare')).toBeInstanceOf(OpenAI.PermissionDeniedError)
    const unrouted = s.app.metrics.records().filter((record) => record.profileId === NO_PROFILE)
    expect(unrouted).toMatchObject([
      { model: 'gpt-4o', keyId: onlyFox.id, userId: 1, endpoint: 'chat/completions', status: 404, errorCode: 'model-not-found', completionTokens: 0 },
      { model: 'Hare', keyId: onlyFox.id, userId: 1, endpoint: 'chat/completions', status: 403, errorCode: 'model-not-allowed', completionTokens: 0 },
    ])
    // The log finds them with profileId=0, and usage names their group.
    const log = await s.app.json<RequestLogPage>('GET', `/api/requests?profileId=${NO_PROFILE}`, { token: s.token })
    expect(log.body.rows.map((row) => [row.model, row.status, row.keyName])).toEqual([
      ['Hare', 403, 'test'],
      ['gpt-4o', 404, 'test'],
    ])
    const usage = await s.app.json<UsageResponse>('GET', '/api/usage?groupBy=profile', { token: s.token })
    expect(usage.body.rows.find((row) => row.groupId === NO_PROFILE)).toMatchObject({ label: NO_PROFILE_LABEL, requests: 2, errors: 2 })
    // Not a server: the per-server figures have no entry for it.
    const figures = await s.app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token: s.token })
    expect(figures.body.map((figure) => figure.profileId)).not.toContain(NO_PROFILE)
  })
})

describe('aliases', () => {
  test('a profile answers to its aliases, listed in /v1/models; names and aliases are unique across profiles', async () => {
    const s = await setUp()
    const fox = await s.profile({ name: 'Fox', model: 'standin/fast', aliases: ['gpt-4o-mini', 'fox-latest'] })
    expect(fox.aliases).toEqual(['gpt-4o-mini', 'fox-latest'])
    const openai = s.client((await s.key()).key)
    const listed = (await openai.models.list()).data as unknown as { id: string; alias_of: string | null }[]
    expect(listed.map((m) => [m.id, m.alias_of])).toEqual([
      ['Fox', null],
      ['gpt-4o-mini', 'Fox'],
      ['fox-latest', 'Fox'],
    ])
    const answer = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello })
    expect(answer.choices[0]?.message.content).toBe(REPLY)
    const taken = await s.app.json<{ error: { code: string; message: string } }>('POST', '/api/profiles', {
      token: s.token,
      body: { name: 'Other', model: 'standin/fast', port: await freePort(), aliases: ['fox-latest'] },
    })
    expect(taken.status).toBe(409)
    expect(taken.body.error.message).toContain('"fox-latest" is already a name or alias of the profile "Fox"')
    const named = await s.app.json<{ error: { code: string } }>('POST', '/api/profiles', { token: s.token, body: { name: 'gpt-4o-mini', model: 'standin/fast', port: await freePort() } })
    expect(named.status).toBe(409)
    const bad = await s.app.json<{ error: { code: string; message: string } }>('PATCH', `/api/profiles/${fox.id}`, { token: s.token, body: { aliases: ['Fox'] } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('is the profile\'s name already')
  })
})
