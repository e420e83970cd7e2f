import type { EngineName } from '../../../shared/profiles'
import { findErrorLine } from './failure'

/**
 * Log lines that mean an engine will never become ready although it keeps running.
 * mlx_lm.server loads its model on a worker thread after its HTTP server is up: when loading fails
 * it logs "generation thread died" (0.32.2; older versions "Exception in thread") and stays up,
 * with /health at 503 and every completion a 404. When its port is taken the bind fails but the
 * (non-daemon) worker thread keeps the process alive. Neither exits, so only the log tells.
 */
const FATAL_AT_START: Partial<Record<EngineName, RegExp>> = {
  'mlx_lm.server': /generation thread died|^Exception in thread|Address already in use/m,
}

/**
 * How many log lines the start watch reads: the marker line comes before the traceback, and a hub
 * error's chained traceback runs to about a hundred lines.
 */
export const STARTUP_TAIL_LINES = 400

/** The error line to show when the log tail says the start has failed, else null. */
export function startupFailure(engine: EngineName, lines: string[]): string | null {
  const fatal = FATAL_AT_START[engine]
  if (fatal === undefined) return null
  const own = (line: string) => line.startsWith('[mlx-manager]')
  const marker = lines.find((line) => !own(line) && fatal.test(line))
  if (marker === undefined) return null
  return findErrorLine(lines) ?? marker.trim()
}

/**
 * Reads the log every `intervalMs` while a start is pending; `signal` aborts as soon as a fatal
 * line shows, so a readiness probe waiting on a completion that will never come ends at once.
 */
export function watchStartup(read: () => string | null, until: AbortSignal, intervalMs = 200) {
  const found = new AbortController()
  let line: string | null = null
  const check = () => {
    if (line !== null || until.aborted) return
    line = read()
    if (line !== null) found.abort()
  }
  const timer = setInterval(check, intervalMs)
  timer.unref()
  until.addEventListener('abort', () => clearInterval(timer), { once: true })
  return {
    signal: found.signal,
    /** Checks now and answers the fatal line, if any. */
    failure(): string | null {
      check()
      return line
    },
    stop: () => clearInterval(timer),
  }
}
