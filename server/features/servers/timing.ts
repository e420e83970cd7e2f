import { delay } from '../../delay'

/** How patient the supervisor is; tests shorten these. */
export interface SupervisorTiming {
  /** How long a model may take to load before the start counts as failed. */
  readyTimeoutMs: number
  /** Between SIGTERM and SIGKILL. */
  stopGraceMs: number
  /** How long to wait for the exit after SIGKILL before giving up on the process. */
  killWaitMs: number
  statsIntervalMs: number
  restartBaseMs: number
  restartMaxMs: number
  maxRestarts: number
  /** A server up this long before a crash starts the restart count afresh. */
  stableAfterMs: number
  /** How often an adopted process (not our child) is checked for having exited. */
  adoptedPollMs: number
  /** How long an adoption health check may take. */
  adoptProbeMs: number
}

export const DEFAULT_TIMING: SupervisorTiming = {
  readyTimeoutMs: 10 * 60_000,
  stopGraceMs: 10_000,
  killWaitMs: 5_000,
  statsIntervalMs: 2_000,
  restartBaseMs: 1_000,
  restartMaxMs: 60_000,
  maxRestarts: 5,
  stableAfterMs: 60_000,
  adoptedPollMs: 250,
  adoptProbeMs: 3_000,
}

/**
 * The time the supervisor waits by: how long a model has been loading, the pause between readiness
 * probes, and the grace between SIGTERM and SIGKILL. Tests give it a clock that moves when told.
 */
export interface SupervisorClock {
  now(): number
  delay(ms: number, signal?: AbortSignal): Promise<void>
  /** True when `promise` settles within `ms`, false once `ms` have passed first. */
  within(promise: Promise<unknown>, ms: number): Promise<boolean>
}

export const systemSupervisorClock: SupervisorClock = {
  now: () => Date.now(),
  delay: (ms, signal) => delay(ms, signal),
  within: (promise, ms) => within(promise, ms),
}

export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  const result = await Promise.race([promise.then(() => true), timeout])
  clearTimeout(timer)
  return result
}

/** Probes often while a model is likely to come up soon, then back off. */
export function probeInterval(elapsedMs: number): number {
  if (elapsedMs < 2_000) return 10
  if (elapsedMs < 10_000) return 25
  if (elapsedMs < 60_000) return 100
  return 500
}

