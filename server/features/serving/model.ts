import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'

/** A request's hold on a ready server: while any is held the server is busy and never idle-stopped. */
export interface ServingLease {
  status: ServerStatus
  /** A plain function, so it can be handed on as the request's end. */
  release: () => void
}

/** What chat and the gateway ask of the pool: a ready server for a profile, started if need be. */
export interface ServingAccess {
  acquire(profile: Profile, signal: AbortSignal): Promise<ServingLease>
}

/** The pool's limits; the defaults suit one machine and a few clients. */
export interface PoolOptions {
  /** Requests one server works on at once; the rest wait in its queue. */
  concurrency: number
  /** Requests that may wait for one server; more are refused at once. */
  maxQueued: number
  /** How long a request waits for a start or a free slot before it is answered 503. */
  queueTimeoutMs: number
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = { concurrency: 64, maxQueued: 256, queueTimeoutMs: 10 * 60_000 }

/** Timers, so tests drive idle stops and queue timeouts with a fake clock. */
export interface PoolClock {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: PoolClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
