import { duration } from './failure'
import type { SupervisorTiming } from './timing'

export type RestartTiming = Pick<SupervisorTiming, 'restartBaseMs' | 'restartMaxMs' | 'maxRestarts' | 'stableAfterMs'>

/** What to do after a crash: `restarts` is the count to keep (reset after a stable run), `waitMs` null means give up. */
export interface RestartPlan {
  restarts: number
  waitMs: number | null
  /** Appended to the crash message. */
  note: string
}

/**
 * Backs off exponentially between restarts and gives up after `maxRestarts` in a row; a server that
 * was ready for `stableAfterMs` before it crashed starts the count afresh.
 */
export function planRestart(restarts: number, readyAt: string | null, nowMs: number, timing: RestartTiming): RestartPlan {
  const upFor = readyAt === null ? 0 : nowMs - Date.parse(readyAt)
  const count = upFor >= timing.stableAfterMs ? 0 : restarts
  if (count >= timing.maxRestarts) {
    return {
      restarts: count,
      waitMs: null,
      note: ` It crashed ${count + 1} times in a row, so it is not restarted again; start it yourself once the cause is fixed.`,
    }
  }
  const waitMs = Math.min(timing.restartBaseMs * 2 ** count, timing.restartMaxMs)
  return { restarts: count, waitMs, note: ` Restarting in ${duration(waitMs)}.` }
}
