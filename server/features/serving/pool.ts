import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { AppError } from '../../http/errors'
import type { EventBus } from '../events/bus'
import { roomFor, type PoolMemory } from './room'
import { DEFAULT_POOL_OPTIONS, systemClock, type PoolClock, type PoolOptions, type ServingAccess, type ServingLease } from './model'

export interface ServingPoolDeps {
  profiles: { find(id: number): Profile | null }
  servers: {
    get(profileId: number): ServerStatus
    list(): ServerStatus[]
    start(profileId: number, options: { wait: boolean }): Promise<ServerStatus>
    stop(profileId: number): Promise<ServerStatus>
    setIdleStop(profileId: number, at: string | null): void
  }
  memory: PoolMemory
  bus: EventBus
  clock?: PoolClock
  options?: Partial<PoolOptions>
  logger?: Pick<Console, 'error'>
}

interface Waiter {
  resolve: (lease: ServingLease) => void
  reject: (error: unknown) => void
  timer: unknown
  signal: AbortSignal
  onAbort: () => void
}

/** What the pool knows of one profile's server beyond the supervisor: who uses it and who waits. */
interface Slot {
  active: number
  queue: Waiter[]
  /** Milliseconds on the pool's clock; 0 for a server no request has used yet. */
  lastUsed: number
  idleTimer: unknown
  /** Set while this profile's start (with any eviction before it) is queued or under way. */
  loading: boolean
}

/**
 * Serves models on demand in front of the supervisor: a request for a stopped profile starts it
 * (one start however many ask), waits in a bounded queue while it loads or while the server is busy,
 * makes room by stopping the least recently used idle servers first (one load at a time), and
 * stops servers idle past their profile's timeout unless they are pinned.
 */
export class ServingPool implements ServingAccess {
  private readonly slots = new Map<number, Slot>()
  private readonly clock: PoolClock
  private readonly options: PoolOptions
  /** Loads run one after another, so two evictions never count the same free memory. */
  private loads: Promise<void> = Promise.resolve()
  private readonly unsubscribe: () => void

  constructor(private readonly deps: ServingPoolDeps) {
    this.clock = deps.clock ?? systemClock
    this.options = { ...DEFAULT_POOL_OPTIONS, ...deps.options }
    this.unsubscribe = deps.bus.subscribe(({ event }) => {
      if (event.type === 'servers.state') this.onState(event.data)
    })
  }

  close(): void {
    this.unsubscribe()
    for (const [profileId, slot] of this.slots) {
      this.cancelIdle(profileId, slot)
      for (const waiter of slot.queue.splice(0)) this.settle(waiter).reject(shuttingDown())
    }
  }

  async acquire(profile: Profile, signal: AbortSignal): Promise<ServingLease> {
    signal.throwIfAborted()
    const slot = this.slot(profile.id)
    slot.lastUsed = this.clock.now()
    const status = this.deps.servers.get(profile.id)
    // The request is counted (leased or queued) before the idle countdown is cancelled, so the
    // state change that cancelling publishes cannot arm it again.
    if (status.state === 'ready' && !slot.loading && slot.active < this.options.concurrency && slot.queue.length === 0) {
      const lease = this.lease(profile.id, slot, status)
      this.cancelIdle(profile.id, slot)
      return lease
    }
    if (slot.queue.length >= this.options.maxQueued) {
      throw new AppError(503, 'model-busy', `${profile.name} already has ${slot.queue.length} requests waiting. Try again shortly.`, { 'retry-after': '5' })
    }
    const waiting = this.enqueue(profile, slot, signal)
    this.cancelIdle(profile.id, slot)
    if (status.state !== 'ready') this.load(profile, slot)
    return waiting
  }

  /** The profile's server is not ready: start it after the loads before it, making room first. */
  private load(profile: Profile, slot: Slot): void {
    if (slot.loading) return
    slot.loading = true
    const run = async () => {
      try {
        await this.bringUp(profile)
        slot.loading = false
        this.drain(profile.id, slot)
      } catch (error) {
        slot.loading = false
        for (const waiter of slot.queue.splice(0)) this.settle(waiter).reject(error)
      }
    }
    this.loads = this.loads.then(run)
  }

  private async bringUp(profile: Profile): Promise<void> {
    let status = this.deps.servers.get(profile.id)
    if (status.state === 'ready') return
    if (status.state === 'stopping') status = await this.deps.servers.stop(profile.id)
    if (status.state !== 'starting') {
      const victims = await roomFor(profile, this.deps.memory, () => this.idleVictims(profile.id))
      for (const victim of victims) await this.deps.servers.stop(victim)
    }
    const started = await this.deps.servers.start(profile.id, { wait: true })
    if (started.state !== 'ready') {
      const why = started.failure?.message ?? `it ended ${started.state}`
      throw new AppError(503, 'model-failed-to-start', `${profile.name} could not be started: ${why}. See its log on the Servers screen.`, { 'retry-after': '30' })
    }
  }

  /** Ready servers that may be stopped to make room, least recently used first. */
  private idleVictims(except: number): { profileId: number; name: string }[] {
    return this.deps.servers
      .list()
      .filter((server) => server.profileId !== except && server.state === 'ready')
      .filter((server) => {
        const slot = this.slots.get(server.profileId)
        const pinned = this.deps.profiles.find(server.profileId)?.pinned === true
        return !pinned && (slot === undefined || (slot.active === 0 && slot.queue.length === 0 && !slot.loading))
      })
      .sort((a, b) => (this.slots.get(a.profileId)?.lastUsed ?? 0) - (this.slots.get(b.profileId)?.lastUsed ?? 0))
      .map((server) => ({ profileId: server.profileId, name: server.name }))
  }

  private enqueue(profile: Profile, slot: Slot, signal: AbortSignal): Promise<ServingLease> {
    return new Promise<ServingLease>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        timer: null,
        onAbort: () => {
          slot.queue.splice(slot.queue.indexOf(waiter), 1)
          this.settle(waiter).reject(signal.reason)
        },
      }
      waiter.timer = this.clock.setTimeout(() => {
        slot.queue.splice(slot.queue.indexOf(waiter), 1)
        const state = this.deps.servers.get(profile.id).state
        const what = state === 'ready' ? 'was busy with other requests' : 'was still loading its model'
        const seconds = Math.round(this.options.queueTimeoutMs / 1000)
        this.settle(waiter).reject(new AppError(503, state === 'ready' ? 'model-busy' : 'model-loading', `${profile.name} ${what} after ${seconds} s of waiting. Try again shortly.`, { 'retry-after': '10' }))
      }, this.options.queueTimeoutMs)
      signal.addEventListener('abort', waiter.onAbort, { once: true })
      slot.queue.push(waiter)
    })
  }

  /** Stops a waiter's timer and abort listener; answers with it after. */
  private settle(waiter: Waiter): Waiter {
    this.clock.clearTimeout(waiter.timer)
    waiter.signal.removeEventListener('abort', waiter.onAbort)
    return waiter
  }

  /** Hands free slots of a ready server to the requests waiting for it, oldest first. */
  private drain(profileId: number, slot: Slot): void {
    const status = this.deps.servers.get(profileId)
    if (status.state !== 'ready' || slot.loading) return
    while (slot.active < this.options.concurrency && slot.queue.length > 0) {
      this.settle(slot.queue.shift()!).resolve(this.lease(profileId, slot, status))
    }
    this.armIdle(profileId, slot)
  }

  private lease(profileId: number, slot: Slot, status: ServerStatus): ServingLease {
    slot.active++
    let held = true
    return {
      status,
      release: () => {
        if (!held) return
        held = false
        slot.active--
        slot.lastUsed = this.clock.now()
        this.drain(profileId, slot)
      },
    }
  }

  /** Starts the idle countdown of a ready, unpinned server nobody is using or waiting for. */
  private armIdle(profileId: number, slot: Slot): void {
    const profile = this.deps.profiles.find(profileId)
    if (profile === null || profile.pinned || profile.idleTimeoutMinutes === null) return this.cancelIdle(profileId, slot)
    if (slot.active > 0 || slot.queue.length > 0 || slot.loading) return
    this.clock.clearTimeout(slot.idleTimer)
    const ms = profile.idleTimeoutMinutes * 60_000
    slot.idleTimer = this.clock.setTimeout(() => void this.idleStop(profileId, slot), ms)
    this.deps.servers.setIdleStop(profileId, new Date(this.clock.now() + ms).toISOString())
  }

  /** Also clears a time left on the server after an idle stop (the supervisor ignores a change to the same value). */
  private cancelIdle(profileId: number, slot: Slot): void {
    if (slot.idleTimer !== null) this.clock.clearTimeout(slot.idleTimer)
    slot.idleTimer = null
    this.deps.servers.setIdleStop(profileId, null)
  }

  private async idleStop(profileId: number, slot: Slot): Promise<void> {
    slot.idleTimer = null
    if (slot.active > 0 || slot.queue.length > 0 || slot.loading) return
    await this.deps.servers.stop(profileId).catch((error: unknown) => this.deps.logger?.error(`Stopping idle server ${profileId} failed:`, error))
  }

  /** A server started or changed outside the pool still gets its idle countdown; a stopped one loses it. */
  private onState(status: ServerStatus): void {
    const slot = this.slot(status.profileId)
    if (status.state !== 'ready') {
      this.cancelIdle(status.profileId, slot)
      // Stopped under requests that were waiting for it (stopped to make room, or by hand): start it again for them.
      const profile = this.deps.profiles.find(status.profileId)
      if ((status.state === 'stopped' || status.state === 'failed') && slot.queue.length > 0 && profile !== null) this.load(profile, slot)
      return
    }
    const profile = this.deps.profiles.find(status.profileId)
    const countsDown = profile !== null && !profile.pinned && profile.idleTimeoutMinutes !== null
    if (!countsDown) return this.cancelIdle(status.profileId, slot)
    // Armed already: this event may be the one arming published; re-arming here would loop.
    if (slot.idleTimer === null) this.armIdle(status.profileId, slot)
  }

  private slot(profileId: number): Slot {
    let slot = this.slots.get(profileId)
    if (slot === undefined) this.slots.set(profileId, (slot = { active: 0, queue: [], lastUsed: 0, idleTimer: null, loading: false }))
    return slot
  }
}

const shuttingDown = () => new AppError(503, 'shutting-down', 'MLX Manager is shutting down. Try again once it has restarted.', { 'retry-after': '30' })
