import type { ServerLogEvents } from '../../../shared/servers'
import type { ServerLogs } from './logs'

export type LogStreamItem = { [K in keyof ServerLogEvents]: { type: K; data: ServerLogEvents[K] } }[keyof ServerLogEvents] | { type: 'ping'; data: Record<string, never> }

/**
 * A live log view: first the last `tail` lines, then every new batch, until the client leaves.
 * Subscribing and reading the tail happen in one synchronous step, so no line is lost or doubled.
 */
export async function* logStream(options: {
  logs: ServerLogs
  profileId: number
  tail: number
  signal: AbortSignal
  heartbeatMs: number
}): AsyncGenerator<LogStreamItem> {
  const queue: LogStreamItem[] = []
  let wake: (() => void) | null = null
  const notify = () => {
    wake?.()
    wake = null
  }
  const unsubscribe = options.logs.subscribe(options.profileId, (lines) => {
    queue.push({ type: 'lines', data: { lines } })
    notify()
  })
  queue.unshift({ type: 'tail', data: { lines: options.logs.tail(options.profileId, options.tail) } })
  const heartbeat = setInterval(() => {
    queue.push({ type: 'ping', data: {} })
    notify()
  }, options.heartbeatMs)
  options.signal.addEventListener('abort', notify)
  try {
    while (!options.signal.aborted) {
      const next = queue.shift()
      if (next !== undefined) yield next
      else await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    clearInterval(heartbeat)
    unsubscribe()
    options.signal.removeEventListener('abort', notify)
  }
}
