import type { EventBus } from '../events/bus'
import type { Entry } from './run'
import type { TreeStats } from './stats'

export interface SamplingDeps {
  stats: TreeStats
  bus: EventBus
  logger?: Pick<Console, 'error'>
}

/** Reads CPU and memory of every running server's tree, keeps them on the entries, and publishes `servers.stats`. */
export function sampleEntries(entries: Iterable<Entry>, deps: SamplingDeps): void {
  const running = [...entries].filter((entry) => entry.run !== null)
  const roots = running.flatMap((entry) => (entry.run === null ? [] : [{ profileId: entry.profileId, pid: entry.run.pid }]))
  if (roots.length === 0) return
  let samples
  try {
    samples = deps.stats.sample(roots)
  } catch (error) {
    deps.logger?.error(error)
    return
  }
  for (const sample of samples) {
    const entry = running.find((candidate) => candidate.profileId === sample.profileId)
    if (entry === undefined || entry.run === null) continue
    entry.cpuPercent = sample.cpuPercent
    entry.rssBytes = sample.rssBytes
  }
  deps.bus.publish({ type: 'servers.stats', data: { at: new Date().toISOString(), servers: samples } })
}

/** Calls `sample` on an interval while any server runs (and once at once), and not at all otherwise. */
export class SamplingTimer {
  private timer: ReturnType<typeof setInterval> | null = null

  constructor(
    private readonly sample: () => void,
    private readonly intervalMs: number,
  ) {}

  update(running: boolean): void {
    if (running && this.timer === null) {
      this.timer = setInterval(() => this.sample(), this.intervalMs)
      this.timer.unref()
      this.sample()
    } else if (!running && this.timer !== null) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  get active(): boolean {
    return this.timer !== null
  }
}
