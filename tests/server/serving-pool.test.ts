import { describe, expect, test } from 'bun:test'
import { AppError } from '../../server/http/errors'
import { EventBus } from '../../server/features/events/bus'
import type { PoolClock, PoolOptions } from '../../server/features/serving/model'
import { ServingPool } from '../../server/features/serving/pool'
import type { PoolMemory } from '../../server/features/serving/room'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'
import type { ServerState, ServerStatus } from '../../shared/servers'
import { makeServerStatus } from '../web/helpers'

const GiB = 2 ** 30

/** Timers that run only when the test moves time on. */
class FakeClock implements PoolClock {
  private time = 1_000_000
  private timers = new Map<number, { at: number; run: () => void }>()
  private next = 1
  now = () => this.time
  setTimeout = (run: () => void, ms: number) => {
    const id = this.next++
    this.timers.set(id, { at: this.time + ms, run })
    return id
  }
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number)
  }
  advance(ms: number): void {
    this.time += ms
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > this.time) continue
      this.timers.delete(id)
      timer.run()
    }
  }
  get pending(): number {
    return this.timers.size
  }
}

/** The supervisor as the pool sees it: starts that finish when the test says, every call counted. */
class FakeServers {
  readonly states = new Map<number, ServerState>()
  readonly idle = new Map<number, string | null>()
  readonly starts: number[] = []
  readonly stops: number[] = []
  readonly log: string[] = []
  /** Every call, joined or not: the pool itself must ask once. */
  startCalls = 0
  private readonly pending = new Map<number, { promise: Promise<ServerStatus>; finish: (state: ServerState) => void }>()

  constructor(
    private readonly bus: EventBus,
    private readonly profiles: Profile[],
  ) {}

  get = (profileId: number): ServerStatus => {
    const profile = this.profiles.find((p) => p.id === profileId)!
    const state = this.states.get(profileId) ?? 'stopped'
    return makeServerStatus({ profileId, name: profile.name, state, baseUrl: `http://127.0.0.1:${8000 + profileId}/v1`, idleStopsAt: state === 'ready' ? (this.idle.get(profileId) ?? null) : null })
  }
  list = () => this.profiles.map((profile) => this.get(profile.id))
  start = (profileId: number): Promise<ServerStatus> => {
    this.startCalls++
    const joined = this.pending.get(profileId)
    if (joined !== undefined) return joined.promise
    this.starts.push(profileId)
    this.log.push(`start ${profileId}`)
    this.set(profileId, 'starting')
    let finish!: (state: ServerState) => void
    const promise = new Promise<ServerStatus>((resolve) => {
      finish = (state) => {
        this.pending.delete(profileId)
        this.set(profileId, state)
        resolve(this.get(profileId))
      }
    })
    this.pending.set(profileId, { promise, finish })
    return promise
  }
  stop = async (profileId: number): Promise<ServerStatus> => {
    this.stops.push(profileId)
    this.log.push(`stop ${profileId}`)
    this.set(profileId, 'stopping')
    await Promise.resolve()
    this.set(profileId, 'stopped')
    this.log.push(`stopped ${profileId}`)
    return this.get(profileId)
  }
  setIdleStop = (profileId: number, at: string | null) => {
    if ((this.idle.get(profileId) ?? null) === at) return
    this.idle.set(profileId, at)
    this.bus.publish({ type: 'servers.state', data: this.get(profileId) })
  }
  /** Ends a start under way as ready (or failed). */
  finishStart(profileId: number, state: ServerState = 'ready'): void {
    this.pending.get(profileId)?.finish(state)
  }
  ready(profileId: number): void {
    this.set(profileId, 'ready')
  }
  private set(profileId: number, state: ServerState): void {
    this.states.set(profileId, state)
    this.bus.publish({ type: 'servers.state', data: this.get(profileId) })
  }
}

const profile = (id: number, over: Partial<Profile> = {}): Profile => ({ ...PROFILE_DEFAULTS, id, name: `P${id}`, model: `org/m${id}`, port: 8000 + id, createdAt: '', updatedAt: '', ...over })

function setUp(profiles: Profile[], options: { needs?: Record<number, number>; freeGiB?: number; pool?: Partial<PoolOptions> } = {}) {
  const bus = new EventBus()
  const servers = new FakeServers(bus, profiles)
  const clock = new FakeClock()
  const held = (id: number) => (['starting', 'ready', 'stopping'].includes(servers.states.get(id) ?? 'stopped') ? (options.needs?.[id] ?? 0) : 0)
  const total = (options.freeGiB ?? 1000) * GiB
  const memory: PoolMemory = {
    needBytes: (p) => Promise.resolve(options.needs?.[p.id] ?? null),
    freeBytes: () => total - profiles.reduce((sum, p) => sum + held(p.id), 0),
    heldBytes: held,
    holders: () => profiles.filter((p) => held(p.id) > 0).map((p) => ({ name: p.name, bytes: held(p.id) })),
  }
  const pool = new ServingPool({ profiles: { find: (id) => profiles.find((p) => p.id === id) ?? null }, servers, memory, bus, clock, options: options.pool })
  return { pool, servers, clock }
}

/** Lets queued promise callbacks run (the pool chains its loads). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

const signal = () => new AbortController().signal

describe('ServingPool: on-demand starts', () => {
  test('concurrent first requests for a stopped model cause exactly one start, and all are served once it is ready', async () => {
    const p1 = profile(1)
    const { pool, servers } = setUp([p1])
    const leases = Array.from({ length: 5 }, () => pool.acquire(p1, signal()))
    await settle()
    expect(servers.starts).toEqual([1])
    servers.finishStart(1)
    const granted = await Promise.all(leases)
    expect(granted.map((lease) => lease.status.state)).toEqual(['ready', 'ready', 'ready', 'ready', 'ready'])
    expect(servers.startCalls).toBe(1)
  })

  test('a ready server is leased at once; a start that fails answers every waiter 503 with the reason', async () => {
    const p1 = profile(1)
    const p2 = profile(2)
    const { pool, servers } = setUp([p1, p2])
    servers.ready(1)
    expect((await pool.acquire(p1, signal())).status.state).toBe('ready')
    expect(servers.starts).toEqual([])
    const waiting = [pool.acquire(p2, signal()), pool.acquire(p2, signal())].map((p) => p.catch((e: unknown) => e))
    await settle()
    servers.finishStart(2, 'failed')
    for (const error of await Promise.all(waiting)) {
      expect(error).toBeInstanceOf(AppError)
      expect(error).toMatchObject({ status: 503, code: 'model-failed-to-start' })
      expect((error as AppError).headers['retry-after']).toBe('30')
    }
  })

  test('loads run one at a time: the second model starts only after the first is ready', async () => {
    const p1 = profile(1)
    const p2 = profile(2)
    const { pool, servers } = setUp([p1, p2])
    const first = pool.acquire(p1, signal())
    const second = pool.acquire(p2, signal())
    await settle()
    expect(servers.starts).toEqual([1])
    servers.finishStart(1)
    await first
    await settle()
    expect(servers.starts).toEqual([1, 2])
    servers.finishStart(2)
    expect((await second).status.profileId).toBe(2)
  })
})

describe('ServingPool: memory', () => {
  test('the least recently used idle, unpinned server is stopped, fully, before the new model loads', async () => {
    const [p1, p2, p3, p4] = [profile(1), profile(2, { pinned: true }), profile(3), profile(4)]
    const { pool, servers, clock } = setUp([p1, p2, p3, p4], { needs: { 1: 6 * GiB, 2: 6 * GiB, 3: 6 * GiB, 4: 6 * GiB }, freeGiB: 20 })
    for (const p of [p1, p2, p3]) {
      const lease = pool.acquire(p, signal())
      await settle()
      servers.finishStart(p.id)
      ;(await lease).release()
      clock.advance(1000)
    }
    // 18 GiB held of 20: P4 needs 6. P1 is the oldest, P2 is pinned.
    const fourth = pool.acquire(p4, signal())
    await settle()
    expect(servers.log.slice(-3)).toEqual(['stop 1', 'stopped 1', 'start 4'])
    servers.finishStart(4)
    await fourth
    expect(servers.stops).toEqual([1])
  })

  test('a server in use is never stopped to make room; when nothing can be freed the answer is 503 naming the need and the users', async () => {
    const [p1, p2] = [profile(1, { name: 'Big model' }), profile(2, { name: 'Busy model' })]
    const { pool, servers } = setUp([p1, p2], { needs: { 1: 12 * GiB, 2: 10 * GiB }, freeGiB: 16 })
    const busy = pool.acquire(p2, signal())
    await settle()
    servers.finishStart(2)
    await busy
    const refused = await pool.acquire(p1, signal()).catch((e: unknown) => e)
    expect(refused).toMatchObject({ status: 503, code: 'model-does-not-fit' })
    const message = (refused as AppError).message
    expect(message).toContain('Big model needs about 12.0 GB')
    expect(message).toContain('Busy model (10.0 GB)')
    expect(servers.stops).toEqual([])
  })
})

describe('ServingPool: idle stop', () => {
  test('an unpinned server stops after its idle time with nothing in flight; the time is shown meanwhile; a request resets it', async () => {
    const p1 = profile(1, { idleTimeoutMinutes: 5 })
    const { pool, servers, clock } = setUp([p1])
    const lease = pool.acquire(p1, signal())
    await settle()
    servers.finishStart(1)
    const held = await lease
    // In use: no countdown however long it takes.
    expect(servers.get(1).idleStopsAt).toBeNull()
    clock.advance(10 * 60_000)
    expect(servers.stops).toEqual([])
    held.release()
    expect(servers.get(1).idleStopsAt).toBe(new Date(clock.now() + 5 * 60_000).toISOString())
    clock.advance(4 * 60_000)
    // Used again just before the end: the countdown starts over when it is released.
    ;(await pool.acquire(p1, signal())).release()
    clock.advance(4 * 60_000)
    expect(servers.stops).toEqual([])
    clock.advance(60_000 + 1)
    await settle()
    expect(servers.stops).toEqual([1])
    expect(servers.get(1).idleStopsAt).toBeNull()
  })

  test('pinned servers and profiles without an idle time are never stopped; a server started by hand counts down too', async () => {
    const pinned = profile(1, { idleTimeoutMinutes: 1, pinned: true })
    const forever = profile(2, { idleTimeoutMinutes: null })
    const byHand = profile(3, { idleTimeoutMinutes: 2 })
    const { pool, servers, clock } = setUp([pinned, forever, byHand])
    for (const p of [pinned, forever]) {
      const lease = pool.acquire(p, signal())
      await settle()
      servers.finishStart(p.id)
      ;(await lease).release()
    }
    void servers.start(3)
    servers.finishStart(3)
    expect(servers.get(3).idleStopsAt).not.toBeNull()
    expect(servers.get(1).idleStopsAt).toBeNull()
    clock.advance(24 * 60 * 60_000)
    await settle()
    expect(servers.stops).toEqual([3])
  })
})

describe('ServingPool: the queue', () => {
  test('beyond its concurrency a request waits for a free slot, and times out with 503 rather than hang', async () => {
    const p1 = profile(1)
    const { pool, servers, clock } = setUp([p1], { pool: { concurrency: 1, queueTimeoutMs: 30_000 } })
    servers.ready(1)
    const first = await pool.acquire(p1, signal())
    const second = pool.acquire(p1, signal())
    const third = pool.acquire(p1, signal()).catch((e: unknown) => e)
    first.release()
    expect((await second).status.profileId).toBe(1)
    clock.advance(30_000)
    expect(await third).toMatchObject({ status: 503, code: 'model-busy' })
    expect(clock.pending).toBe(0)
  })

  test('a full queue is refused at once; a waiter whose client leaves is dropped', async () => {
    const p1 = profile(1)
    const { pool, servers } = setUp([p1], { pool: { concurrency: 1, maxQueued: 1 } })
    servers.ready(1)
    const first = await pool.acquire(p1, signal())
    const leaving = new AbortController()
    const waiting = pool.acquire(p1, leaving.signal).catch((e: unknown) => e)
    expect(await pool.acquire(p1, signal()).catch((e: unknown) => e)).toMatchObject({ status: 503, code: 'model-busy' })
    leaving.abort(new Error('client gone'))
    expect(await waiting).toMatchObject({ message: 'client gone' })
    // The slot it held in the queue is free again.
    const next = pool.acquire(p1, signal())
    first.release()
    expect((await next).status.profileId).toBe(1)
  })
})
