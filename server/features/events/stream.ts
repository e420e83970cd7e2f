import type { ServerEvent } from '../../../shared/events'
import type { Delivery, EventBus } from './bus'

/** deliver, skip, deliver and then end the stream, end it now, or deliver this event instead (the viewer's view of it). */
export type Verdict = boolean | 'last' | 'close' | ServerEvent

export type StreamItem = ServerEvent | { type: 'ping'; data: Record<string, never> }

/**
 * Turns bus deliveries into an async sequence for one client: only what `accepts` lets through,
 * a ping every `heartbeatMs` so proxies keep the connection, and an end when `signal` aborts
 * (the client went away) or `accepts` says the viewer may no longer listen.
 */
export async function* eventStream(options: {
  bus: EventBus
  accepts: (delivery: Delivery) => Verdict
  initial: ServerEvent[]
  signal: AbortSignal
  heartbeatMs: number
}): AsyncGenerator<StreamItem> {
  const queue: StreamItem[] = [...options.initial]
  let wake: (() => void) | null = null
  let closed = false
  let ending = false
  const notify = () => {
    wake?.()
    wake = null
  }
  const unsubscribe = options.bus.subscribe((delivery) => {
    if (ending) return // the last word was said; let it drain
    const verdict = options.accepts(delivery)
    if (verdict === 'close') closed = true
    else if (verdict === 'last') {
      queue.push(delivery.event)
      ending = true
    } else if (typeof verdict === 'object') queue.push(verdict)
    else if (verdict) queue.push(delivery.event)
    notify()
  }, { client: true })
  const heartbeat = setInterval(() => {
    queue.push({ type: 'ping', data: {} })
    notify()
  }, options.heartbeatMs)
  const onAbort = () => {
    closed = true
    notify()
  }
  options.signal.addEventListener('abort', onAbort)
  try {
    while (!closed && !options.signal.aborted) {
      const next = queue.shift()
      if (next !== undefined) yield next
      else if (ending) break
      else await new Promise<void>((resolve) => (wake = resolve))
    }
    // What was accepted before the end is still said (a user told their account was disabled
    // while the same change also ends the stream); a client that left just misses it.
    for (const item of queue) if (item.type !== 'ping') yield item
  } finally {
    clearInterval(heartbeat)
    unsubscribe()
    options.signal.removeEventListener('abort', onAbort)
  }
}
