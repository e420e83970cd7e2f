import type { Database } from 'bun:sqlite'
import type { ServerStatsEvent } from '../../../shared/servers'
import type { EventBus } from '../events/bus'
import { floorTo, iso } from './time'

interface Window {
  startMs: number
  samples: number
  cpuSum: number
  maxCpu: number
  rssSum: number
  maxRss: number
}

/**
 * Keeps the servers' CPU and memory samples from `servers.stats`, one row per server per
 * `windowMs` (the average and the highest of the samples in it), so charts outlive the page and
 * the manager. A window is written once a sample from a later one arrives, when its server stops,
 * and when the manager stops.
 */
export class StatsRecorder {
  private readonly windows = new Map<number, Window>()
  private unsubscribe: (() => void) | null = null
  private readonly insert

  constructor(
    db: Database,
    private readonly windowMs = 10_000,
  ) {
    // A restart inside a window adds to the row already written for it.
    this.insert = db.query<never, [number, number, string, number, number, number, number, number]>(
      `INSERT INTO server_stats (profile_id, span_seconds, at, samples, cpu_percent, max_cpu_percent, rss_bytes, max_rss_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (profile_id, span_seconds, at) DO UPDATE SET
         cpu_percent = (cpu_percent * samples + excluded.cpu_percent * excluded.samples) / (samples + excluded.samples),
         rss_bytes = (rss_bytes * samples + excluded.rss_bytes * excluded.samples) / (samples + excluded.samples),
         max_cpu_percent = MAX(max_cpu_percent, excluded.max_cpu_percent),
         max_rss_bytes = MAX(max_rss_bytes, excluded.max_rss_bytes),
         samples = samples + excluded.samples`,
    )
  }

  start(bus: EventBus): void {
    this.unsubscribe ??= bus.subscribe(({ event }) => {
      if (event.type === 'servers.stats') this.add(event.data)
      // A server that stopped sends no more samples: its last window is written now.
      else if (event.type === 'servers.state' && (event.data.state === 'stopped' || event.data.state === 'failed')) this.close(event.data.profileId)
    })
  }

  add(event: ServerStatsEvent): void {
    const atMs = Date.parse(event.at)
    if (!Number.isFinite(atMs)) return
    const startMs = floorTo(atMs, this.windowMs)
    // Windows of servers that stopped (no sample in this tick) are done once time has moved past them.
    for (const [profileId, window] of this.windows) {
      if (window.startMs < startMs) {
        this.write(profileId, window)
        this.windows.delete(profileId)
      }
    }
    for (const sample of event.servers) {
      let window = this.windows.get(sample.profileId)
      if (window === undefined) {
        window = { startMs, samples: 0, cpuSum: 0, maxCpu: 0, rssSum: 0, maxRss: 0 }
        this.windows.set(sample.profileId, window)
      }
      window.samples++
      window.cpuSum += sample.cpuPercent
      window.maxCpu = Math.max(window.maxCpu, sample.cpuPercent)
      window.rssSum += sample.rssBytes
      window.maxRss = Math.max(window.maxRss, sample.rssBytes)
    }
  }

  /** Writes one server's open window, if it has one. */
  close(profileId: number): void {
    const window = this.windows.get(profileId)
    if (window === undefined) return
    this.write(profileId, window)
    this.windows.delete(profileId)
  }

  /** Writes every open window (at shutdown). */
  flush(): void {
    for (const [profileId, window] of this.windows) this.write(profileId, window)
    this.windows.clear()
  }

  stop(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    this.flush()
  }

  private write(profileId: number, window: Window): void {
    this.insert.run(
      profileId,
      this.windowMs / 1000,
      iso(window.startMs),
      window.samples,
      window.cpuSum / window.samples,
      window.maxCpu,
      window.rssSum / window.samples,
      window.maxRss,
    )
  }
}
