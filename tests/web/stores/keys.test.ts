import { describe, expect, it } from 'vitest'
import type { CreatedApiKey } from '../../../shared/keys'
import { useKeysStore } from '../../../web/src/features/keys/store'
import { failure, fakeServer, json, makeApiKey } from '../helpers'


const mine = [makeApiKey({ id: 1, name: 'editor' }), makeApiKey({ id: 2, name: 'script' })]
const someoneElses = makeApiKey({ id: 3, userId: 2, ownerEmail: 'erin@example.com', name: 'erin laptop' })

function urlOf(input: RequestInfo | URL): URL {
  return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
}

/** A manager that lists everyone's keys when asked with `all=true`, and the user's own otherwise. */
function manager() {
  const server = fakeServer({
    'GET /api/keys': () => json(mine),
    'DELETE /api/keys/2': () => new Response(null, { status: 204 }),
  })
  const listed = server.fetch.getMockImplementation()
  if (listed === undefined) throw new Error('The fake manager has no fetch.')
  server.fetch.mockImplementation(async (input, init) => {
    const url = urlOf(input)
    if (url.pathname === '/api/keys' && url.searchParams.get('all') === 'true') {
      await Promise.resolve()
      return json([...mine, someoneElses])
    }
    return listed(input, init)
  })
  return server
}

/** The query of every list request sent, in order. */
function listQueries(server: ReturnType<typeof fakeServer>): Record<string, string>[] {
  return server.fetch.mock.calls
    .map(([input]) => urlOf(input))
    .filter((url) => url.pathname === '/api/keys')
    .map((url) => Object.fromEntries(url.searchParams))
}

describe('keys store', () => {
  it('shows no keys until the list arrives, then the user’s own, asking for nobody else’s', async () => {
    const server = manager()
    const store = useKeysStore()
    expect(store.keys).toEqual([])
    expect(store.everyone).toBe(false)
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.keys.map((key) => key.name)).toEqual(['editor', 'script'])
    expect(listQueries(server)).toEqual([{}])
  })

  it('lists everyone’s keys when an admin asks, and the own ones again when they stop', async () => {
    const server = manager()
    const store = useKeysStore()
    await store.showEveryone(true)
    expect(store.everyone).toBe(true)
    expect(store.keys.map((key) => key.ownerEmail)).toEqual(['me@example.com', 'me@example.com', 'erin@example.com'])
    await store.showEveryone(false)
    expect(store.everyone).toBe(false)
    expect(store.keys.map((key) => key.id)).toEqual([1, 2])
    expect(listQueries(server)).toEqual([{ all: 'true' }, {}])
  })

  it('creates a key, puts it first without its secret, and hands the secret back once', async () => {
    const created: CreatedApiKey = { ...makeApiKey({ id: 4, name: 'ci', profiles: [7] }), key: 'mlxm_4_the-whole-secret' }
    const server = manager()
    server.on('POST /api/keys', () => json(created))
    const store = useKeysStore()
    await store.load()
    const input = { name: 'ci', expiresAt: null, profiles: [7] }
    await expect(store.create(input)).resolves.toEqual(created)
    expect(server.callsTo('POST /api/keys').map((call) => call.body)).toEqual([input])
    expect(store.keys.map((key) => key.id)).toEqual([4, 1, 2])
    expect(store.keys[0]).not.toHaveProperty('key')
    expect(JSON.stringify(store.keys)).not.toContain('the-whole-secret')
  })

  it('passes on a refused key and lists nothing new', async () => {
    const server = manager()
    server.on('POST /api/keys', () => failure(400, 'invalid-input', 'Give the key a name.'))
    const store = useKeysStore()
    await store.load()
    await expect(store.create({ name: '', expiresAt: null, profiles: null })).rejects.toMatchObject({ message: 'Give the key a name.' })
    expect(store.keys.map((key) => key.id)).toEqual([1, 2])
  })

  it('revokes a key with DELETE and drops only that one', async () => {
    const server = manager()
    const store = useKeysStore()
    await store.load()
    await store.revoke(2)
    expect(server.callsTo('DELETE /api/keys/2')).toHaveLength(1)
    expect(store.keys.map((key) => key.id)).toEqual([1])
  })

  it('keeps a key the manager would not revoke', async () => {
    const server = manager()
    server.on('DELETE /api/keys/1', () => failure(404, 'not-found', 'There is no such key.'))
    const store = useKeysStore()
    await store.load()
    await expect(store.revoke(1)).rejects.toMatchObject({ message: 'There is no such key.' })
    expect(store.keys.map((key) => key.id)).toEqual([1, 2])
  })

  it('forgets the keys and the everyone choice on reset, so the next user starts with their own', async () => {
    const server = manager()
    const store = useKeysStore()
    await store.showEveryone(true)
    store.reset()
    expect(store.keys).toEqual([])
    expect(store.everyone).toBe(false)
    expect(store.loaded).toBe(false)
    await store.load()
    expect(listQueries(server)).toEqual([{ all: 'true' }, {}])
  })
})
