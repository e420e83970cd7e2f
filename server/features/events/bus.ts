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

  publish(event: ServerEvent, audience: Audience = { kind: 'all' }): void {
    for (const listener of this.listeners) listener({ event, audience })
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get subscriberCount(): number {
    return this.listeners.size
  }
}
