import { afterEach, describe, expect, test } from 'bun:test'
import { isErrorEnvelope } from '../../shared/errors'
import type { Profile } from '../../shared/profiles'
import { freePort, standinEnv } from '../fixtures/engine/harness'
import { ADMIN, createTestApp, sseReader, type TestApp } from './helpers'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function setup() {
  const app = createTestApp({ serving: { env: standinEnv() } })
  cleanups.push(() => app.serving.supervisor.stopAll())
  const { token } = await app.signUp(ADMIN)
  return { app, token: token ?? '' }
}

async function create(app: TestApp, token: string, body: Record<string, unknown>) {
  return app.json<Profile>('POST', '/api/profiles', { token, body })
}

/** Holds a port the way another program would. */
function holdPort(port: number, hostname = '127.0.0.1') {
  const server = Bun.serve({ port, hostname, fetch: () => new Response('someone else') })
  cleanups.push(() => server.stop(true))
  return server
}

/** A port whose next two neighbours are free too, for tests about the next free port. */
async function portWithFreeNeighbours(): Promise<number> {
  for (;;) {
    const port = await freePort()
    if (port > 65000) continue
    try {
      const a = Bun.serve({ port: port + 1, hostname: '127.0.0.1', fetch: () => new Response() })
      const b = Bun.serve({ port: port + 2, hostname: '127.0.0.1', fetch: () => new Response() })
      await a.stop(true)
      await b.stop(true)
      return port
    } catch {
      // a neighbour is taken; try another
    }
  }
}

async function expectClientError(response: Response) {
  expect(response.status).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  expect(isErrorEnvelope(await response.json())).toBe(true)
}

describe('profiles CRUD', () => {
  test('every route needs a session', async () => {
    const app = createTestApp()
    for (const [method, path] of [
      ['GET', '/api/profiles'],
      ['POST', '/api/profiles'],
      ['GET', '/api/profiles/1'],
      ['PATCH', '/api/profiles/1'],
      ['DELETE', '/api/profiles/1'],
      ['POST', '/api/profiles/1/duplicate'],
      ['GET', '/api/profiles/suggest-port'],
    ] as const) {
      const body = method === 'POST' && path === '/api/profiles' ? { name: 'Q', model: 'a/b' } : method === 'PATCH' ? { name: 'Q' } : {}
      const response = await app.json(method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : body })
      expect(response.status).toBe(401)
    }
  })

  test('create fills defaults and picks a free port; list, get and events follow', async () => {
    const { app, token } = await setup()
    const controller = new AbortController()
    const events = sseReader(await app.call('GET', '/api/events', { token, signal: controller.signal }))
    await events.next(2)
    const created = await create(app, token, { name: '  Qwen 3  ', model: 'mlx-community/Qwen3-4B-4bit', description: '' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'Qwen 3',
      description: null,
      model: 'mlx-community/Qwen3-4B-4bit',
      engine: 'mlx-openai-server',
      host: '127.0.0.1',
      modelType: 'lm',
      contextLength: null,
      extraArgs: [],
      autoStart: false,
      pinned: false,
      restartOnCrash: false,
    })
    expect(created.body.port).toBeGreaterThanOrEqual(8000)
    expect(created.body.id).toBeGreaterThan(0)
    const [event] = await events.next(1)
    expect(event).toEqual({ event: 'profiles.changed', data: created.body })
    controller.abort()

    const other = await create(app, token, { name: 'alpha', model: '/Users/me/models/llama', port: created.body.port + 1 })
    expect(other.status).toBe(201)
    const list = await app.json<Profile[]>('GET', '/api/profiles', { token })
    expect(list.body.map((p) => p.name)).toEqual(['alpha', 'Qwen 3'])
    expect((await app.json('GET', `/api/profiles/${created.body.id}`, { token })).body).toEqual(created.body)
  })

  test('PATCH changes only what it sends; null clears an optional field', async () => {
    const { app, token } = await setup()
    const port = await freePort()
    const created = await create(app, token, {
      name: 'Q',
      model: 'mlx-community/Qwen3-4B-4bit',
      port,
      description: 'first',
      contextLength: 8192,
      toolCallParser: 'qwen3',
      extraArgs: ['--max-concurrency', '2'],
    })
    const id = created.body.id
    const patched = await app.json<Profile>('PATCH', `/api/profiles/${id}`, {
      token,
      body: { description: null, contextLength: null, toolCallParser: '', temperature: 0.5, extraArgs: [] },
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ name: 'Q', port, description: null, contextLength: null, toolCallParser: null, temperature: 0.5, extraArgs: [] })
    expect(patched.body.updatedAt >= created.body.updatedAt).toBe(true)
    // Required fields cannot be cleared.
    for (const body of [{ name: null }, { model: null }, { port: null }, { engine: null }]) {
      await expectClientError(await app.call('PATCH', `/api/profiles/${id}`, { token, body }))
    }
    const invalid = await app.json('PATCH', `/api/profiles/${id}`, { token, body: { engine: 'mlx_lm.server', modelType: 'whisper' } })
    expect(invalid.status).toBe(400)
    expect(invalid.body).toMatchObject({ error: { code: 'invalid-profile' } })
    expect((await app.json<Profile>('GET', `/api/profiles/${id}`, { token })).body.engine).toBe('mlx-openai-server')
  })

  test('names are unique without regard to case', async () => {
    const { app, token } = await setup()
    await create(app, token, { name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit', port: await freePort() })
    const again = await create(app, token, { name: 'QWEN', model: 'mlx-community/Qwen3-4B-4bit', port: await freePort() })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ error: { code: 'name-taken' } })
  })

  test('a port belongs to one profile, and never the manager’s own', async () => {
    const { app, token } = await setup()
    const port = await freePort()
    await create(app, token, { name: 'A', model: 'mlx-community/Qwen3-4B-4bit', port })
    const clash = await create(app, token, { name: 'B', model: 'mlx-community/Qwen3-4B-4bit', port })
    expect(clash.status).toBe(409)
    expect(clash.body).toMatchObject({ error: { code: 'port-taken', message: `Port ${port} belongs to the profile "A". Choose another port.` } })
    const manager = await create(app, token, { name: 'C', model: 'mlx-community/Qwen3-4B-4bit', port: app.config.port })
    expect(manager.status).toBe(409)
    expect(manager.body).toMatchObject({ error: { code: 'port-taken' } })
  })

  test('a port another program holds is refused at save, naming a free one', async () => {
    const { app, token } = await setup()
    const port = await portWithFreeNeighbours()
    holdPort(port)
    const response = await create(app, token, { name: 'A', model: 'mlx-community/Qwen3-4B-4bit', port })
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({
      error: { code: 'port-in-use', message: `Port ${port} on 127.0.0.1 is in use by another program. Port ${port + 1} is free. Stop that program or choose another port.` },
    })
    // A program listening on all interfaces blocks the loopback address too.
    const wildcard = await portWithFreeNeighbours()
    holdPort(wildcard, '0.0.0.0')
    expect((await create(app, token, { name: 'B', model: 'mlx-community/Qwen3-4B-4bit', port: wildcard })).status).toBe(409)
  })

  test('an address this machine does not have is a clear 400', async () => {
    const { app, token } = await setup()
    const response = await create(app, token, { name: 'A', model: 'mlx-community/Qwen3-4B-4bit', host: '10.255.255.1', port: await freePort() })
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ error: { code: 'host-unavailable' } })
  })

  test('suggest-port skips ports of profiles and of other programs', async () => {
    const { app, token } = await setup()
    const first = await app.json<{ port: number }>('GET', '/api/profiles/suggest-port', { token })
    expect(first.status).toBe(200)
    await create(app, token, { name: 'A', model: 'mlx-community/Qwen3-4B-4bit', port: first.body.port })
    const second = await app.json<{ port: number }>('GET', '/api/profiles/suggest-port?host=127.0.0.1', { token })
    expect(second.body.port).toBeGreaterThan(first.body.port)
    holdPort(second.body.port)
    const third = await app.json<{ port: number }>('GET', '/api/profiles/suggest-port', { token })
    expect(third.body.port).toBeGreaterThan(second.body.port)
    expect((await app.json('GET', '/api/profiles/suggest-port?host=bad%20host', { token })).status).toBe(400)
  })

  test('duplicate makes a numbered copy on the next free port that does not auto-start', async () => {
    const { app, token } = await setup()
    const port = await portWithFreeNeighbours()
    const source = await create(app, token, { name: 'Qwen', model: 'mlx-community/Qwen3-4B-4bit', port, autoStart: true, contextLength: 4096 })
    holdPort(port + 1)
    const copy = await app.json<Profile>('POST', `/api/profiles/${source.body.id}/duplicate`, { token })
    expect(copy.status).toBe(201)
    expect(copy.body).toMatchObject({ name: 'Qwen (copy)', port: port + 2, autoStart: false, contextLength: 4096, model: source.body.model })
    const again = await app.json<Profile>('POST', `/api/profiles/${copy.body.id}/duplicate`, { token, body: {} })
    expect(again.body.name).toBe('Qwen (copy 2)')
    const named = await app.json<Profile>('POST', `/api/profiles/${source.body.id}/duplicate`, { token, body: { name: 'Qwen (copy)' } })
    expect(named.status).toBe(409)
    expect((await app.json('POST', '/api/profiles/999/duplicate', { token })).status).toBe(404)
  })

  test('delete answers 204, then the profile is gone; the event says so', async () => {
    const { app, token } = await setup()
    const created = await create(app, token, { name: 'A', model: 'mlx-community/Qwen3-4B-4bit', port: await freePort() })
    const controller = new AbortController()
    const events = sseReader(await app.call('GET', '/api/events', { token, signal: controller.signal }))
    await events.next(2)
    const response = await app.call('DELETE', `/api/profiles/${created.body.id}`, { token })
    expect(response.status).toBe(204)
    expect(await events.next(1)).toEqual([{ event: 'profiles.deleted', data: { id: created.body.id } }])
    controller.abort()
    const gone = await app.json('GET', `/api/profiles/${created.body.id}`, { token })
    expect(gone.status).toBe(404)
    expect(gone.body).toMatchObject({ error: { code: 'profile-not-found' } })
    expect((await app.json('DELETE', `/api/profiles/${created.body.id}`, { token })).status).toBe(404)
  })
})

describe('bad input never reaches a 500', () => {
  const good = { name: 'Q', model: 'mlx-community/Qwen3-4B-4bit' }
  const badBodies: unknown[] = [
    null,
    [],
    'text',
    42,
    {},
    { name: 'Q' },
    { model: good.model },
    { ...good, name: 7 },
    { ...good, name: '' },
    { ...good, name: 'x'.repeat(10_000) },
    { ...good, model: 'not a model' },
    { ...good, model: '../../etc/passwd' },
    { ...good, model: '/models/\u0000' },
    { ...good, model: ['a/b'] },
    { ...good, engine: 'llama.cpp' },
    { ...good, engine: null },
    { ...good, host: 'bad host' },
    { ...good, host: 5 },
    { ...good, port: 'eighty' },
    { ...good, port: 80 },
    { ...good, port: 1e9 },
    { ...good, port: -1 },
    { ...good, port: 8000.5 },
    { ...good, contextLength: 'long' },
    { ...good, contextLength: 1 },
    { ...good, modelType: 'video' },
    { ...good, toolCallParser: '../../x' },
    { ...good, reasoningParser: 12 },
    { ...good, autoToolChoice: 'yes' },
    { ...good, chatTemplateFile: 'relative.jinja' },
    { ...good, trustRemoteCode: 1 },
    { ...good, temperature: '0.7' },
    { ...good, temperature: 99 },
    { ...good, topP: 0 },
    { ...good, maxTokens: 1.5 },
    { ...good, systemPrompt: { text: 'hi' } },
    { ...good, extraArgs: '--flag' },
    { ...good, extraArgs: [1, 2] },
    { ...good, extraArgs: ['--port', '1'] },
    { ...good, extraArgs: Array.from({ length: 300 }, () => '-v') },
    { ...good, engine: 'custom' },
    { ...good, engine: 'custom', customCommand: 'srv --port 1' },
    { ...good, engine: 'custom', customCommand: "srv 'unclosed {port}" },
    { ...good, engine: 'custom', customCommand: 'srv {port} {secret}' },
    { ...good, idleTimeoutMinutes: -5 },
    { ...good, autoStart: null },
    { ...good, pinned: 'true' },
    { ...good, restartOnCrash: [] },
  ]

  test('POST /api/profiles answers every odd body with a 4xx envelope', async () => {
    const { app, token } = await setup()
    for (const body of badBodies) await expectClientError(await app.call('POST', '/api/profiles', { token, body }))
    expect((await app.json<Profile[]>('GET', '/api/profiles', { token })).body).toEqual([])
  })

  test('PATCH answers every odd body with a 4xx envelope and changes nothing', async () => {
    const { app, token } = await setup()
    const created = await create(app, token, { ...good, port: await freePort() })
    // A lone valid name or model is a fine patch; everything else (including {}: nothing to change) is not.
    const validPatches = new Set<unknown>([badBodies[5], badBodies[6]])
    for (const body of badBodies.filter((b) => !validPatches.has(b))) {
      await expectClientError(await app.call('PATCH', `/api/profiles/${created.body.id}`, { token, body }))
    }
    expect((await app.json('GET', `/api/profiles/${created.body.id}`, { token })).body).toEqual(created.body)
  })

  test('odd ids, malformed JSON and wrong content types', async () => {
    const { app, token } = await setup()
    for (const id of ['0', '-1', 'abc', '1.5', '99999999999999999999', '%00']) {
      await expectClientError(await app.call('GET', `/api/profiles/${id}`, { token }))
      await expectClientError(await app.call('PATCH', `/api/profiles/${id}`, { token, body: { name: 'x' } }))
    }
    await expectClientError(await app.call('POST', '/api/profiles', { token, rawBody: '{"name": "Q",' }))
    await expectClientError(await app.call('POST', '/api/profiles', { token, rawBody: 'name=Q', headers: { 'content-type': 'text/plain' } }))
    // A non-finite number (JSON allows 1e999) is not a temperature.
    await expectClientError(await app.call('POST', '/api/profiles', { token, rawBody: '{"name":"Q","model":"a/b","temperature":1e999}' }))
  })
})
