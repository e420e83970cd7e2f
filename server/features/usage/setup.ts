import type { Database } from 'bun:sqlite'
import type { sessionPlugin } from '../auth/session'
import type { EventBus } from '../events/bus'
import { usageRoutes } from './index'
import { createUsageRepository } from './repository'
import { createRetention, DEFAULT_RETENTION, RetentionTimer, type RetentionPolicy } from './retention'
import { UsageService, type UsageServiceDeps } from './service'
import { StatsRecorder } from './stats-recorder'

export interface ObservabilityOptions {
  retention?: Partial<RetentionPolicy>
  /** One stored sample row per server per this many milliseconds (a divisor of a minute). */
  statsWindowMs?: number
  /** How often the rollup and pruning pass runs. */
  retentionEveryMs?: number
}

export interface ObservabilityDeps extends Omit<UsageServiceDeps, 'repo'> {
  db: Database
  bus: EventBus
  retentionDays: number
  options?: ObservabilityOptions
  logger?: Pick<Console, 'error'>
}

/** The history side of metrics: its service and routes, the sample recorder and the retention pass. */
export function createObservability(deps: ObservabilityDeps) {
  const now = deps.now ?? (() => new Date())
  const service = new UsageService({ ...deps, repo: createUsageRepository(deps.db), now })
  const policy: RetentionPolicy = { ...DEFAULT_RETENTION, retentionDays: deps.retentionDays, ...deps.options?.retention }
  const retention = createRetention(deps.db)
  const stats = new StatsRecorder(deps.db, deps.options?.statsWindowMs)
  stats.start(deps.bus)
  const pass = () => {
    // Requests still queued are written first, so none is left behind a cutoff.
    deps.flush()
    retention.run(policy, now().getTime())
  }
  const timer = new RetentionTimer(pass, deps.options?.retentionEveryMs ?? 60_000, deps.logger)
  return {
    service,
    stats,
    policy,
    routes: (session: ReturnType<typeof sessionPlugin>) => usageRoutes(service, session, now),
    /** One rollup and pruning pass as of the clock now (the timer runs the same). */
    runRetention: pass,
    start: () => timer.start(),
    /** Stops the timer and writes the samples still open; call before the database closes. */
    stop: () => {
      timer.stop()
      stats.stop()
    },
  }
}

export type Observability = ReturnType<typeof createObservability>
