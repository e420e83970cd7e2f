import { describe, expect, it } from 'vitest'
import type { Host, HostCheck } from '../../../shared/hosts'
import { useHostsStore } from '../../../web/src/features/hosts/store'
import { failure, fakeServer, json } from '../helpers'

function makeHost(id: number, name: string, overrides: Partial<Host> = {}): Host {
  return {
    id,
    name,
    address: `192.168.1.${id}`,
    sshUser: 'me',
    pythonEnv: '/Users/me/mlx',
    local: false,
    rdmaDevice: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  }
}

function makeCheck(hostId: number, ok = true): HostCheck {
  return {
    hostId,
    name: `host ${hostId}`,
    ok,
    checkedAt: '2026-03-01T10:05:00.000Z',
    tookMs: 120,
    facts: { mlx: '0.29.0', mlxLm: '0.28.0', platform: 'darwin', arch: 'arm64', totalBytes: 64e9, budgetBytes: 48e9, modelPath: null, modelFound: null },
    problems: [],
  }
}

const bravo = makeHost(1, 'bravo')
const charlie = makeHost(2, 'Charlie')

function manager() {
  return fakeServer({
    'GET /api/hosts': () => json([bravo, charlie]),
    'POST /api/hosts/1/check': () => json(makeCheck(1)),
    'POST /api/hosts/2/check': () => json(makeCheck(2)),
    'PATCH /api/hosts/1': ({ body }) => json({ ...bravo, ...(body as object) }),
    'DELETE /api/hosts/1': () => new Response(null, { status: 204 }),
  })
}

const names = (hosts: readonly Host[]) => hosts.map((host) => host.name)

const input = (name: string) => ({ name, address: '192.168.1.9', sshUser: 'me', pythonEnv: '/env', local: false, rdmaDevice: null })

describe('hosts store', () => {
  it('lists no host until the manager’s list arrives, then the ones it knows', async () => {
    manager()
    const store = useHostsStore()
    expect(store.hosts).toEqual([])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(names(store.hosts)).toEqual(['bravo', 'Charlie'])
  })

  it('adds a host in name order, whatever its case', async () => {
    const server = manager()
    let nextId = 9
    server.on('POST /api/hosts', ({ body }) => json(makeHost(nextId++, (body as { name: string }).name)))
    const store = useHostsStore()
    await store.load()
    await expect(store.add(input('alpha'))).resolves.toMatchObject({ id: 9, name: 'alpha' })
    await store.add(input('Bob'))
    await store.add(input('delta'))
    expect(server.callsTo('POST /api/hosts')[0]?.body).toEqual(input('alpha'))
    expect(names(store.hosts)).toEqual(['alpha', 'Bob', 'bravo', 'Charlie', 'delta'])
  })

  it('puts a host whose name differs only in case or accents after the one already listed', async () => {
    const server = manager()
    server.on('POST /api/hosts', ({ body }) => json(makeHost(9, (body as { name: string }).name)))
    const store = useHostsStore()
    await store.load()
    await store.add(input('charlie'))
    expect(names(store.hosts)).toEqual(['bravo', 'Charlie', 'charlie'])
  })

  it('updates a host in place, re-sorted, and forgets only its check', async () => {
    const server = manager()
    const store = useHostsStore()
    await store.load()
    await store.check(1)
    await store.check(2)
    const updated = await store.update(1, { name: 'delta' })
    expect(updated.name).toBe('delta')
    expect(server.callsTo('PATCH /api/hosts/1').map((call) => call.body)).toEqual([{ name: 'delta' }])
    expect(store.hosts.map((host) => [host.id, host.name])).toEqual([
      [2, 'Charlie'],
      [1, 'delta'],
    ])
    expect(Object.keys(store.checks)).toEqual(['2'])
  })

  it('removes a host with DELETE and keeps the others', async () => {
    const server = manager()
    const store = useHostsStore()
    await store.load()
    await store.remove(1)
    expect(server.callsTo('DELETE /api/hosts/1')).toHaveLength(1)
    expect(names(store.hosts)).toEqual(['Charlie'])
  })

  it('keeps the list when the manager refuses a change', async () => {
    const server = manager()
    server.on('DELETE /api/hosts/2', () => failure(409, 'host-in-use', 'A profile still runs ranks on Charlie.'))
    server.on('PATCH /api/hosts/2', () => failure(400, 'invalid-input', 'That address is not an IP address.'))
    const store = useHostsStore()
    await store.load()
    await store.check(2)
    await expect(store.remove(2)).rejects.toMatchObject({ message: 'A profile still runs ranks on Charlie.' })
    await expect(store.update(2, { address: 'nowhere' })).rejects.toMatchObject({ message: 'That address is not an IP address.' })
    expect(names(store.hosts)).toEqual(['bravo', 'Charlie'])
    expect(store.checks[2]?.ok).toBe(true)
  })

  it('checks a host, says it is checking while the manager works, and keeps each host’s result', async () => {
    const server = manager()
    const store = useHostsStore()
    const whileChecking: Record<number, boolean>[] = []
    server.on('POST /api/hosts/2/check', () => {
      whileChecking.push({ ...store.checking })
      return json(makeCheck(2, false))
    })
    await store.check(1)
    await expect(store.check(2)).resolves.toMatchObject({ hostId: 2, ok: false })
    expect(whileChecking).toEqual([{ 1: false, 2: true }])
    expect(store.checking).toEqual({ 1: false, 2: false })
    expect(store.checks[1]?.ok).toBe(true)
    expect(store.checks[2]?.ok).toBe(false)
  })

  it('sends the profile to check the host for, and nothing without one', async () => {
    const server = manager()
    const store = useHostsStore()
    await store.check(1)
    await store.check(1, 7)
    expect(server.callsTo('POST /api/hosts/1/check').map((call) => call.body)).toEqual([{}, { profileId: 7 }])
  })

  it('stops saying it is checking when the check fails, and keeps the last result', async () => {
    const server = manager()
    const store = useHostsStore()
    await store.check(1)
    server.offline()
    await expect(store.check(1)).rejects.toMatchObject({ code: 'network-unreachable' })
    expect(store.checking[1]).toBe(false)
    expect(store.checks[1]?.ok).toBe(true)
  })

  it('forgets hosts and checks on reset', async () => {
    manager()
    const store = useHostsStore()
    await store.load()
    await store.check(1)
    store.reset()
    expect(store.hosts).toEqual([])
    expect(store.checks).toEqual({})
    expect(store.loaded).toBe(false)
  })
})

describe('hosts from other pages (live events)', () => {
  it('adds a host in name order, replaces an edited one and forgets its check, and drops a removed one', async () => {
    manager()
    const store = useHostsStore()
    await store.load()
    await store.check(1)
    await store.check(2)
    store.apply(makeHost(3, 'alpha', { updatedAt: '2026-03-05T10:00:00.000Z' }))
    expect(store.hosts.map((host) => host.name)).toEqual(['alpha', 'bravo', 'Charlie'])
    // The same host again, unchanged (this page's own edit coming back): its check still holds.
    store.apply(bravo)
    expect(store.checks[1]?.ok).toBe(true)
    store.apply(makeHost(1, 'delta', { updatedAt: '2026-03-02T10:00:00.000Z' }))
    expect(store.hosts.map((host) => host.name)).toEqual(['alpha', 'Charlie', 'delta'])
    expect(store.checks[1]).toBeUndefined()
    expect(store.checks[2]?.ok).toBe(true)
    store.drop(2)
    expect(store.hosts.map((host) => host.id)).toEqual([3, 1])
    expect(store.checks[2]).toBeUndefined()
  })
})
