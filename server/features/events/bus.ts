import type { ServerEvent } from '../../../shared/events'

/** Who may see an event: everyone signed in, admins only, or one user. */
export type Audience = { kind: 'all' } | { kind: 'admins' } | { kind: 'user'; userId: number }

export interface Delivery {
  event: ServerEvent
  audience: Audience
}

type Listener = (delivery: Delivery) => void

/** In-process fan-out of live state to every open `/api/events` stream. */
export class EventBus {
  private readonly listeners = new Set<Listener>()
  private readonly clientListeners = new Set<Listener>()

  publish(event: ServerEvent, audience: Audience = { kind: 'all' }): void {
    for (const listener of this.listeners) listener({ event, audience })
  }

  /** `client` marks a listener that is an open `/api/events` stream, as opposed to the app's own bookkeeping. */
  subscribe(listener: Listener, options: { client?: boolean } = {}): () => void {
    this.listeners.add(listener)
    if (options.client === true) this.clientListeners.add(listener)
    return () => {
      this.listeners.delete(listener)
      this.clientListeners.delete(listener)
    }
  }

  get subscriberCount(): number {
    return this.listeners.size
  }

  /** Open client streams: work done only for viewers (like sampling memory) can pause at zero. */
  get clientCount(): number {
    return this.clientListeners.size
  }
}
