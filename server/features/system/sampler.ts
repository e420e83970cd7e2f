import type { SystemMemory } from '../../../shared/events'
import type { EventBus } from '../events/bus'

/**
 * Publishes system memory on the event bus at a steady pace, but only while someone listens:
 * an idle manager does no sampling at all.
 */
export class MemorySampler {
  private timer: ReturnType<typeof setInterval> | null = null
  private latest: SystemMemory | null = null

  constructor(
    private readonly bus: EventBus,
    private readonly read: () => SystemMemory,
    private readonly intervalMs = 5000,
  ) {}

  current(): SystemMemory {
    this.latest ??= this.read()
    return this.latest
  }

  start(): void {
    this.timer ??= setInterval(() => {
      if (this.bus.clientCount === 0) return
      this.latest = this.read()
      this.bus.publish({ type: 'system.memory', data: this.latest })
    }, this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }
}
