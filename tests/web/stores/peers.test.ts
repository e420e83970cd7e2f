import { describe, expect, it } from 'vitest'
import type { Peer } from '../../../shared/peers'
import { usePeersStore } from '../../../web/src/features/peers/store'
import { failure, fakeServer, json } from '../helpers'

function makePeer(id: number, name: string, overrides: Partial<Peer> = {}): Peer {
  return {
    id,
    name,
    state: 'online',
    availableToMembers: false,
    profiles: [],
    since: '2026-03-01T10:00:00.000Z',
    url: `http://192.168.1.${id}:8080`,
    keyPrefix: 'mlxm_0123456789ab',
    lastError: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  }
}

const bravo = makePeer(1, 'bravo')
const charlie = makePeer(2, 'Charlie')

function manager() {
  return fakeServer({
    'GET /api/peers/servers': () => json([bravo, charlie]),
    'DELETE /api/peers/1': () => new Response(null, { status: 204 }),
  })
}

const names = (peers: readonly Peer[]) => peers.map((peer) => peer.name)

async function loaded() {
  const server = manager()
  const store = usePeersStore()
  await store.load()
  return { server, store }
}

describe('peers store', () => {
  it('lists no peer until the manager’s list arrives, then the ones it follows, each found by id', async () => {
    manager()
    const store = usePeersStore()
    expect(store.peers).toEqual([])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(names(store.peers)).toEqual(['bravo', 'Charlie'])
    expect(store.byId.get(2)?.name).toBe('Charlie')
    expect(store.byId.get(3)).toBeUndefined()
  })

  it('replaces a peer in place when its state changes, the first one too', async () => {
    const { store } = await loaded()
    store.apply(makePeer(1, 'zulu', { state: 'unreachable', lastError: 'zulu closed the connection.' }))
    store.apply(makePeer(2, 'Charlie', { state: 'connecting' }))
    expect(store.peers.map((peer) => [peer.name, peer.state])).toEqual([
      ['zulu', 'unreachable'],
      ['Charlie', 'connecting'],
    ])
    expect(store.byId.get(1)?.lastError).toBe('zulu closed the connection.')
  })

  it('adds a peer it did not know in name order, whatever its case', async () => {
    const { store } = await loaded()
    store.apply(makePeer(3, 'alpha'))
    store.apply(makePeer(4, 'Bob'))
    store.apply(makePeer(5, 'delta'))
    expect(names(store.peers)).toEqual(['alpha', 'Bob', 'bravo', 'Charlie', 'delta'])
    expect(store.byId.get(4)?.name).toBe('Bob')
  })

  it('puts a peer whose name differs only in case after the one already listed', async () => {
    const { store } = await loaded()
    store.apply(makePeer(3, 'charlie'))
    expect(store.peers.map((peer) => peer.id)).toEqual([1, 2, 3])
  })

  it('drops a removed peer and keeps the others', async () => {
    const { store } = await loaded()
    store.drop(1)
    expect(names(store.peers)).toEqual(['Charlie'])
    expect(store.byId.has(1)).toBe(false)
  })

  it('connects a manager with its address and key and lists it in name order', async () => {
    const { server, store } = await loaded()
    server.on('POST /api/peers', () => json(makePeer(3, 'alpha', { state: 'connecting' })))
    const input = { name: 'alpha', url: 'http://192.168.1.3:8080', apiKey: 'mlxm_3_secret', availableToMembers: true }
    await expect(store.add(input)).resolves.toMatchObject({ id: 3, state: 'connecting' })
    expect(server.callsTo('POST /api/peers').map((call) => call.body)).toEqual([input])
    expect(store.peers.map((peer) => [peer.name, peer.state])).toEqual([
      ['alpha', 'connecting'],
      ['bravo', 'online'],
      ['Charlie', 'online'],
    ])
  })

  it('keeps the state an event brought while the connect answer was on its way', async () => {
    const { server, store } = await loaded()
    server.on('POST /api/peers', () => {
      store.apply(makePeer(3, 'alpha', { state: 'online' }))
      return json(makePeer(3, 'alpha', { state: 'connecting' }))
    })
    await store.add({ name: 'alpha', url: 'http://192.168.1.3:8080', apiKey: 'mlxm_3_secret' })
    expect(store.peers.map((peer) => [peer.name, peer.state])).toEqual([
      ['alpha', 'online'],
      ['bravo', 'online'],
      ['Charlie', 'online'],
    ])
  })

  it('passes on the manager’s refusal to connect and lists nothing new', async () => {
    const { server, store } = await loaded()
    server.on('POST /api/peers', () => failure(400, 'peer-refused', 'The other manager refused the key.'))
    await expect(store.add({ name: 'alpha', url: 'http://192.168.1.3:8080', apiKey: 'wrong' })).rejects.toMatchObject({
      message: 'The other manager refused the key.',
    })
    expect(names(store.peers)).toEqual(['bravo', 'Charlie'])
  })

  it('removes a peer with DELETE, and keeps one the manager would not remove', async () => {
    const { server, store } = await loaded()
    server.on('DELETE /api/peers/2', () => failure(404, 'not-found', 'There is no such peer.'))
    await store.remove(1)
    expect(server.callsTo('DELETE /api/peers/1')).toHaveLength(1)
    await expect(store.remove(2)).rejects.toMatchObject({ message: 'There is no such peer.' })
    expect(names(store.peers)).toEqual(['Charlie'])
  })

  it('forgets the peers on reset', async () => {
    const { store } = await loaded()
    store.reset()
    expect(store.peers).toEqual([])
    expect(store.byId.size).toBe(0)
    expect(store.loaded).toBe(false)
  })
})
