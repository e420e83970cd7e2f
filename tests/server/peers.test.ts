import { afterEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { CreatedApiKey } from '../../shared/keys'
import type { RequestLogPage } from '../../shared/observability'
import type { Peer } from '../../shared/peers'
import type { Profile } from '../../shared/profiles'
import type { ServerState } from '../../shared/servers'
import type { PeerTiming } from '../../server/features/peers/model'
import { eventually, FAST_TIMING, freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp, sseReader, type TestApp } from './helpers'

let cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  cleanups = []
})

const REPLY = 'one two three four five six'
const hello: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Hello there' }]

/** Links that notice a dead peer within a second and retry every few hundred milliseconds. */
const QUICK: Partial<PeerTiming> = { connectTimeoutMs: 1_000, heartbeatMs: 200, silenceMs: 1_000, retryBaseMs: 50, retryMaxMs: 300 }

interface Manager {
  app: TestApp
  token: string
  base: string
  port: number
  profile(body: Record<string, unknown>): Promise<Profile>
  key(body?: Record<string, unknown>): Promise<string>
  client(apiKey: string): OpenAI
  starts(profileId: number): number
  listen(): void
  stop(): Promise<void>
}

/** One manager listening on loopback, its engines the stand-in, signed in as its admin. */
async function manager(port = 0): Promise<Manager> {
  const app = createTestApp({ serving: { env: standinEnv({ STANDIN_REPLY: REPLY }), timing: FAST_TIMING }, peers: { timing: QUICK } })
  cleanups.push(() => app.peers.close())
  cleanups.push(() => app.pool.close())
  cleanups.push(() => app.serving.supervisor.stopAll())
  const token = (await app.signUp(ADMIN)).token ?? ''
  const states: { profileId: number; state: ServerState }[] = []
  cleanups.push(app.bus.subscribe(({ event }) => event.type === 'servers.state' && states.push({ profileId: event.data.profileId, state: event.data.state })))
  let listening = false
  const m: Manager = {
    app,
    token,
    base: '',
    port,
    async profile(body) {
      const response = await app.json<Profile>('POST', '/api/profiles', { token, body: { port: await freePort(), ...body } })
      if (response.status !== 201) throw new Error(JSON.stringify(response.body))
      return response.body
    },
    async key(body = {}) {
      return (await app.json<CreatedApiKey>('POST', '/api/keys', { token, body: { name: 'test', ...body } })).body.key
    },
    client: (apiKey) => new OpenAI({ apiKey, baseURL: `${m.base}/v1`, maxRetries: 0 }),
    starts: (profileId) => states.filter((s) => s.profileId === profileId && s.state === 'starting').length,
    listen() {
      app.app.listen({ port: m.port, hostname: '127.0.0.1' })
      m.port = app.app.server?.port ?? 0
      m.base = `http://127.0.0.1:${m.port}`
      listening = true
    },
    async stop() {
      if (!listening) return
      listening = false
      await app.app.stop(true)
    },
  }
  m.listen()
  cleanups.push(() => m.stop())
  return m
}

const peersOf = async (m: Manager) => (await m.app.json<Peer[]>('GET', '/api/peers', { token: m.token })).body

/** Manager A following manager B (called "studio"), which has one stopped profile, Fox. */
async function pair() {
  const b = await manager()
  const fox = await b.profile({ name: 'Fox', model: 'standin/load-300ms', aliases: ['fast-fox'] })
  const a = await manager()
  const added = await a.app.json<Peer>('POST', '/api/peers', { token: a.token, body: { name: 'studio', url: b.base, apiKey: await b.key() } })
  expect(added.status).toBe(201)
  await eventually(async () => (await peersOf(a))[0]?.state === 'online')
  return { a, b, fox, peer: added.body }
}

async function chatText(m: Manager, body: Record<string, unknown>) {
  const response = await m.app.call('POST', '/api/chat', { token: m.token, body })
  expect(response.status).toBe(200)
  const events = await sseReader(response).rest(10_000)
  return { events, text: events.filter((e) => e.event === 'token').map((e) => (e.data as { text: string }).text).join('') }
}

describe('several managers as one', () => {
  test("a peer's profile is listed here, labelled with its machine, and answers through /v1 and chat, started there on demand", async () => {
    const { a, b, fox } = await pair()
    const peer = (await peersOf(a))[0]!
    expect(peer.url).toBe(b.base)
    expect(peer.profiles.map((p) => [p.name, p.aliases, p.state])).toEqual([['Fox', ['fast-fox'], 'stopped']])

    const openai = a.client(await a.key())
    const listed = (await openai.models.list()).data as unknown as { id: string; owned_by: string; peer?: string; state: string }[]
    expect(listed.map((m) => [m.id, m.owned_by, m.state])).toEqual([
      ['Fox@studio', 'studio', 'stopped'],
      ['fast-fox@studio', 'studio', 'stopped'],
    ])

    // Two concurrent first requests: the peer's own pool starts Fox once.
    const answers = await Promise.all([0, 1].map(() => openai.chat.completions.create({ model: 'Fox@studio', messages: hello })))
    expect(answers.map((r) => r.choices[0]?.message.content)).toEqual([REPLY, REPLY])
    expect(b.starts(fox.id)).toBe(1)
    expect(b.app.serving.supervisor.get(fox.id).state).toBe('ready')
    // The start reached A over the feed: the servers view shows it live.
    await eventually(async () => (await a.app.json<Peer[]>('GET', '/api/peers/servers', { token: a.token })).body[0]?.profiles[0]?.state === 'ready')

    // Streaming passes through, with the peer's measurements in the last chunks.
    const stream = await openai.chat.completions.create({ model: 'fast-fox@studio', messages: hello, stream: true, stream_options: { include_usage: true } })
    let text = ''
    let measured = false
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if ((chunk as unknown as Record<string, unknown>).x_mlx_manager !== undefined) measured = true
    }
    expect(text).toBe(REPLY)
    expect(measured).toBe(true)

    // Legacy completions and the Anthropic Messages API go the same way.
    const completion = await openai.completions.create({ model: 'Fox@studio', prompt: 'Hello' })
    expect(completion.choices[0]?.text).toBe(REPLY)
    const messages = await fetch(`${a.base}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': await a.key(), 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'Fox@studio', max_tokens: 50, messages: [{ role: 'user', content: 'Hello' }] }),
    })
    expect(messages.status).toBe(200)
    const message = (await messages.json()) as { type: string; content: { type: string; text: string }[] }
    expect(message.type).toBe('message')
    expect(message.content[0]?.text).toBe(REPLY)

    // The peer's refusals pass through in the API's own shape; a name it does not have is this manager's 404.
    const embeddings = await openai.embeddings.create({ model: 'Fox@studio', input: 'x' }).catch((error: unknown) => error)
    expect(embeddings).toBeInstanceOf(OpenAI.BadRequestError)
    expect((embeddings as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('not_an_embeddings_model')
    const unknown = await openai.chat.completions.create({ model: 'Wolf@studio', messages: hello }).catch((error: unknown) => error)
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError)
    expect((unknown as Error).message).toContain('studio has no model named "Wolf"')

    // The manager's own chat, as its usual events.
    const chat = await chatText(a, { peerId: peer.id, profileId: fox.id, messages: [{ role: 'user', content: 'Hi' }] })
    expect(chat.text).toBe(REPLY)
    expect(chat.events.at(-2)?.event).toBe('metrics')
    expect(chat.events.at(-1)).toEqual({ event: 'done', data: { finishReason: 'stop' } })

    // The peer recorded the requests under its key, the refused embeddings one too (Wolf named no
    // profile there); this manager kept none of them as its own.
    const requests = async (m: Manager) => (await m.app.json<RequestLogPage>('GET', '/api/requests', { token: m.token })).body.rows
    await eventually(async () => (await requests(b)).length === 7)
    expect((await requests(b)).filter((row) => row.status === 400).map((row) => [row.endpoint, row.errorCode])).toEqual([['embeddings', 'not-an-embeddings-model']])
    expect(await requests(a)).toEqual([])
  }, 30_000)

  test('chat with a stopped peer profile says it is loading there first, then answers', async () => {
    const { a, fox, peer } = await pair()
    const chat = await chatText(a, { peerId: peer.id, profileId: fox.id, messages: [{ role: 'user', content: 'Hi' }] })
    expect(chat.events[0]?.event).toBe('loading')
    expect(chat.text).toBe(REPLY)
  }, 20_000)

  test('a peer that stops is shown unreachable within seconds, local requests still answer at once, and it comes back by itself', async () => {
    const { a, b } = await pair()
    await a.profile({ name: 'Local', model: 'standin/fast' })
    const openai = a.client(await a.key())
    expect((await openai.chat.completions.create({ model: 'Local', messages: hello })).choices[0]?.message.content).toBe(REPLY)

    const stoppedAt = Date.now()
    await b.stop()
    await eventually(async () => (await peersOf(a))[0]?.state === 'unreachable', 3_000)
    expect(Date.now() - stoppedAt).toBeLessThan(3_000)
    const down = (await peersOf(a))[0]
    expect(down?.lastError).toContain('studio')

    // Local models answer as fast as ever; the peer's are refused at once with a reason, not a hang.
    const started = performance.now()
    expect((await openai.chat.completions.create({ model: 'Local', messages: hello })).choices[0]?.message.content).toBe(REPLY)
    const local = performance.now() - started
    expect(local).toBeLessThan(1_500)
    const refusedAt = performance.now()
    const refused = await a.app.json<{ error: { code: string; message: string } }>('POST', '/v1/chat/completions', {
      headers: { authorization: `Bearer ${await a.key()}` },
      body: { model: 'Fox@studio', messages: hello },
    })
    expect(performance.now() - refusedAt).toBeLessThan(200)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(refused.body.error.code).toBe('peer_unavailable')
    // An unreachable peer's models leave /v1/models until it is back.
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['Local'])

    // The same manager on the same port again: the link reconnects with no one asking.
    b.listen()
    await eventually(async () => (await peersOf(a))[0]?.state === 'online', 5_000)
    expect((await openai.chat.completions.create({ model: 'Fox@studio', messages: hello })).choices[0]?.message.content).toBe(REPLY)
  }, 30_000)

  test('a link that falls silent without closing (a cut network) is unreachable after the silence limit', async () => {
    const a = await manager()
    // A manager that answers the check and the feed's first list, then says nothing more.
    const held: ReadableStreamDefaultController<Uint8Array>[] = []
    const silent = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch(request) {
        if (new URL(request.url).pathname === '/v1/models') return Response.json({ object: 'list', data: [] })
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              held.push(controller)
              controller.enqueue(new TextEncoder().encode('event: profiles\ndata: []\n\n'))
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        )
      },
    })
    cleanups.push(() => silent.stop(true))
    const added = await a.app.json<Peer>('POST', '/api/peers', { token: a.token, body: { name: 'quiet', url: `http://127.0.0.1:${silent.port}`, apiKey: `mlxm_${'0'.repeat(12)}_${'a'.repeat(43)}` } })
    expect(added.status).toBe(201)
    await eventually(async () => (await peersOf(a))[0]?.state === 'online')
    const onlineAt = Date.now()
    await eventually(async () => (await peersOf(a))[0]?.state === 'unreachable', 3_000)
    expect(Date.now() - onlineAt).toBeGreaterThanOrEqual(QUICK.silenceMs! - 100)
    expect((await peersOf(a))[0]?.lastError).toContain('silent')
  }, 15_000)

  test('a key revoked on the peer turns the link to refused, saying what to do', async () => {
    const b = await manager()
    const a = await manager()
    const created = (await b.app.json<CreatedApiKey>('POST', '/api/keys', { token: b.token, body: { name: 'for a' } })).body
    expect((await a.app.json('POST', '/api/peers', { token: a.token, body: { name: 'studio', url: b.base, apiKey: created.key } })).status).toBe(201)
    await eventually(async () => (await peersOf(a))[0]?.state === 'online')
    expect((await b.app.call('DELETE', `/api/keys/${created.id}`, { token: b.token })).status).toBe(204)
    await eventually(async () => (await peersOf(a))[0]?.state === 'refused', 3_000)
    expect((await peersOf(a))[0]?.lastError).toMatch(/refused .*Make a new key there/)
  }, 15_000)
})

describe('/api/peers: validation and roles', () => {
  test('bad addresses, keys that are not keys, unreachable managers and refused keys are each a 4xx saying what to do', async () => {
    const b = await manager()
    const a = await manager()
    const good = await b.key()
    const add = (body: Record<string, unknown>) => a.app.json<{ error: { code: string; message: string } }>('POST', '/api/peers', { token: a.token, body })
    const cases: [Record<string, unknown>, number, string][] = [
      [{ name: 'x', url: 'not an address', apiKey: good }, 400, 'invalid-peer-url'],
      [{ name: 'x', url: 'ftp://127.0.0.1:21', apiKey: good }, 400, 'invalid-peer-url'],
      [{ name: 'x', url: 'http://user:pw@127.0.0.1:1', apiKey: good }, 400, 'invalid-peer-url'],
      [{ name: 'x', url: `${b.base}/v1`, apiKey: good }, 400, 'invalid-peer-url'],
      [{ name: 'has space', url: b.base, apiKey: good }, 400, 'invalid-input'],
      [{ name: 'x', url: b.base, apiKey: 'sk-something' }, 400, 'invalid-peer-key'],
      [{ name: 'x', url: b.base, apiKey: await a.key() }, 400, 'peer-is-self'],
      [{ name: 'x', url: `http://127.0.0.1:${await freePort()}`, apiKey: good }, 422, 'peer-unreachable'],
      [{ name: 'x', url: b.base, apiKey: `mlxm_${'0'.repeat(12)}_${'a'.repeat(43)}` }, 422, 'peer-key-refused'],
      [{ name: 'x', url: b.base }, 400, 'invalid-input'],
    ]
    for (const [body, status, code] of cases) {
      const response = await add(body)
      expect([JSON.stringify(body), response.status, response.body.error.code]).toEqual([JSON.stringify(body), status, code])
      expect(response.body.error.message.length).toBeGreaterThan(20)
    }
    expect(await peersOf(a)).toEqual([])
    expect((await add({ name: 'x', url: `http://127.0.0.1:${await freePort()}`, apiKey: good })).body.error.message).toContain('nothing answers on that port')

    const added = await add({ name: 'studio', url: `${b.base}/`, apiKey: good })
    expect(added.status).toBe(201)
    expect((await add({ name: 'Studio', url: 'http://127.0.0.1:9', apiKey: good })).body.error.code).toBe('peer-name-taken')
    expect((await add({ name: 'other', url: b.base, apiKey: good })).body.error.code).toBe('peer-url-taken')

    // The key stays on the server: no answer carries it, only its visible start.
    const listed = await a.app.call('GET', '/api/peers', { token: a.token })
    const text = await listed.text()
    expect(text).not.toContain(good)
    expect(JSON.stringify(added.body)).not.toContain(good)
    expect((JSON.parse(text) as Peer[])[0]?.keyPrefix).toBe(good.slice(0, 17))

    expect((await a.app.call('DELETE', '/api/peers/999', { token: a.token })).status).toBe(404)
    expect((await a.app.call('DELETE', '/api/peers/abc', { token: a.token })).status).toBe(400)
    expect((await a.app.call('DELETE', `/api/peers/${(JSON.parse(text) as Peer[])[0]?.id}`, { token: a.token })).status).toBe(204)
    expect(await peersOf(a)).toEqual([])
  }, 20_000)

  test('only admins manage peers; members see only peers shared with them, without address, key or errors', async () => {
    const { a, b, fox } = await pair()
    const memberCredentials = { email: 'member@example.com', password: 'member-password' }
    const member = await a.app.signUp(memberCredentials)
    await a.app.json('PATCH', `/api/users/${member.user.id}`, { token: a.token, body: { status: 'approved' } })
    const memberToken = await a.app.signIn(memberCredentials)
    expect((await a.app.call('GET', '/api/peers', { token: memberToken })).status).toBe(403)
    expect((await a.app.call('POST', '/api/peers', { token: memberToken, body: { name: 'y', url: b.base, apiKey: await b.key() } })).status).toBe(403)
    expect((await a.app.call('DELETE', '/api/peers/1', { token: memberToken })).status).toBe(403)
    expect((await a.app.call('GET', '/api/peers')).status).toBe(401)

    // Not shared with members: invisible to them, in the list, in chat and on the gateway.
    expect((await a.app.json<Peer[]>('GET', '/api/peers/servers', { token: memberToken })).body).toEqual([])
    const peerId = (await peersOf(a))[0]?.id
    const chat = await a.app.json<{ error: { code: string } }>('POST', '/api/chat', { token: memberToken, body: { peerId, profileId: fox.id, messages: [{ role: 'user', content: 'Hi' }] } })
    expect([chat.status, chat.body.error.code]).toEqual([404, 'peer-not-found'])
    const memberKey = (await a.app.json<CreatedApiKey>('POST', '/api/keys', { token: memberToken, body: { name: 'mine' } })).body.key
    const gateway = await a.app.json<{ error: { code: string } }>('POST', '/v1/chat/completions', { headers: { authorization: `Bearer ${memberKey}` }, body: { model: 'Fox@studio', messages: hello } })
    expect(gateway.status).toBe(404)
    expect((await a.app.json<{ data: unknown[] }>('GET', '/v1/models', { headers: { authorization: `Bearer ${memberKey}` } })).body.data).toEqual([])

    // Shared with members: listed for them without its address, key or errors, and theirs to chat with.
    expect((await a.app.call('DELETE', `/api/peers/${peerId}`, { token: a.token })).status).toBe(204)
    const shared = await a.app.json<Peer>('POST', '/api/peers', { token: a.token, body: { name: 'studio', url: b.base, apiKey: await b.key(), availableToMembers: true } })
    await eventually(async () => (await peersOf(a))[0]?.state === 'online')
    const seen = (await a.app.json<Peer[]>('GET', '/api/peers/servers', { token: memberToken })).body
    expect(seen.map((p) => [p.name, p.url, p.keyPrefix, p.lastError, p.profiles.map((r) => r.name)])).toEqual([['studio', null, null, null, ['Fox']]])
    const memberChat = await a.app.call('POST', '/api/chat', { token: memberToken, body: { peerId: shared.body.id, profileId: fox.id, messages: [{ role: 'user', content: 'Hi' }] } })
    expect((await sseReader(memberChat).rest(10_000)).filter((e) => e.event === 'token').map((e) => (e.data as { text: string }).text).join('')).toBe(REPLY)
    expect((await a.app.json<{ data: { id: string }[] }>('GET', '/v1/models', { headers: { authorization: `Bearer ${memberKey}` } })).body.data.map((m) => m.id)).toEqual(['Fox@studio', 'fast-fox@studio'])

    // A key limited to some local profiles may not use a peer's.
    const limited = await a.key({ profiles: [(await a.profile({ name: 'Local', model: 'standin/fast' })).id] })
    const refused = await a.app.json<{ error: { code: string } }>('POST', '/v1/chat/completions', { headers: { authorization: `Bearer ${limited}` }, body: { model: 'Fox@studio', messages: hello } })
    expect([refused.status, refused.body.error.code]).toEqual([403, 'model_not_allowed'])
    // So may a key with a daily token limit: the tokens would be counted on the peer, not here.
    const capped = await a.key({ dailyTokenLimit: 1_000 })
    const overLimit = await a.app.json<{ error: { code: string; message: string } }>('POST', '/v1/chat/completions', { headers: { authorization: `Bearer ${capped}` }, body: { model: 'Fox@studio', messages: hello } })
    expect([overLimit.status, overLimit.body.error.code]).toEqual([403, 'model_not_allowed'])
    expect(overLimit.body.error.message).toContain('daily token limit')
  }, 20_000)

  test('the feed a peer follows takes an API key, not a session, and shows only what that key may use', async () => {
    const b = await manager()
    const shared = await b.profile({ name: 'Shared', model: 'standin/fast', availableToMembers: true })
    await b.profile({ name: 'Private', model: 'standin/fast' })
    expect((await b.app.call('GET', '/api/peers/feed', { token: b.token })).status).toBe(401)

    const firstList = async (apiKey: string) => {
      const controller = new AbortController()
      const response = await fetch(`${b.base}/api/peers/feed`, { headers: { authorization: `Bearer ${apiKey}` }, signal: controller.signal })
      const [event] = await sseReader(response).next(1)
      controller.abort()
      return (event?.data as { name: string }[]).map((p) => p.name)
    }
    expect(await firstList(await b.key())).toEqual(['Private', 'Shared'])
    expect(await firstList(await b.key({ profiles: [shared.id] }))).toEqual(['Shared'])

    const memberCredentials = { email: 'member@example.com', password: 'member-password' }
    const member = await b.app.signUp(memberCredentials)
    await b.app.json('PATCH', `/api/users/${member.user.id}`, { token: b.token, body: { status: 'approved' } })
    const memberToken = await b.app.signIn(memberCredentials)
    const memberKey = (await b.app.json<CreatedApiKey>('POST', '/api/keys', { token: memberToken, body: { name: 'mine' } })).body.key
    expect(await firstList(memberKey)).toEqual(['Shared'])
  }, 15_000)
})
