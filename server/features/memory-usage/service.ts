import type { ServerEvent } from '../../../shared/events'
import { pickMeasurement, type MemoryMeasurement } from '../../../shared/memory-fit'
import type { Profile } from '../../../shared/profiles'
import type { ServerState, ServerStatus } from '../../../shared/servers'
import { ENGINES } from '../engines/registry'
import type { EventBus } from '../events/bus'
import type { MemoryPeakRepository } from './repository'
import type { MemoryReading, PeakReader } from './readers'

export interface MemoryUsageDeps {
  repo: MemoryPeakRepository
  bus: EventBus
  reader: PeakReader
  profiles: { find(id: number): Profile | null }
  now?: () => Date
  logger?: Pick<Console, 'error'>
}

/** The key a peak is stored under, and what the current run has reached. */
interface Tracked {
  pid: number
  modelId: string
  engine: string
  contextTokens: number | null
  peak: MemoryReading | null
  peakAt: string | null
  /** Peaks are kept only for servers that got ready: a load that failed says nothing about the model. */
  wasReady: boolean
  stored: number
  reading: Promise<void> | null
  watchers: Set<PeakWatch>
}

/** The largest reading of one server from when it was asked for until it is stopped. */
export interface PeakWatch {
  peak: MemoryReading | null
}

const HOLDING_MEMORY: readonly ServerState[] = ['starting', 'ready', 'stopping']

/** The context length a profile makes its engine use; null when the engine takes none (mlx_lm.server). */
export function profileContext(profile: Pick<Profile, 'engine' | 'contextLength'>): number | null {
  return ENGINES[profile.engine].fields.includes('contextLength') ? profile.contextLength : null
}

/**
 * Records, per model, engine and context length, the most memory a server's process tree held while
 * it ran (from the supervisor's `servers.stats` samples, read by the platform's reader), and answers
 * with those peaks for the memory fit and the budget.
 */
export class MemoryUsageService {
  private readonly runs = new Map<number, Tracked>()
  private readonly now: () => Date
  private readonly unsubscribe: () => void

  constructor(private readonly deps: MemoryUsageDeps) {
    this.now = deps.now ?? (() => new Date())
    this.unsubscribe = deps.bus.subscribe(({ event }) => this.on(event))
  }

  get source() {
    return this.deps.reader.source
  }

  close(): void {
    this.unsubscribe()
  }

  measurements(modelId: string): MemoryMeasurement[] {
    return this.deps.repo.forModel(modelId)
  }

  all(): MemoryMeasurement[] {
    return this.deps.repo.all()
  }

  /** The peak stored for what this profile runs now (its model, engine and context), if any. */
  measuredFor(profile: Profile): MemoryMeasurement | null {
    const context = profileContext(profile)
    const same = this.deps.repo.forModel(profile.model).filter((item) => item.engine === profile.engine)
    return context === null ? (same.find((item) => item.contextTokens === null) ?? null) : pickMeasurement(same, context)
  }

  /**
   * Memory the running servers hold for the budget: each one's sampled memory, or its measured peak
   * when that is larger (a server still loading will grow to it).
   */
  heldBytes(servers: readonly Pick<ServerStatus, 'profileId' | 'state' | 'rssBytes'>[]): number {
    return servers
      .filter((server) => HOLDING_MEMORY.includes(server.state))
      .reduce((sum, server) => {
        const profile = this.deps.profiles.find(server.profileId)
        const measured = profile === null ? null : this.measuredFor(profile)
        return sum + Math.max(server.rssBytes ?? 0, measured?.peakBytes ?? 0)
      }, 0)
  }

  /** Follows one running server's peak from now on (the benchmark reads it per prompt size). */
  watch(profileId: number): { watch: PeakWatch; settled: () => Promise<void>; stop: () => void } {
    const watch: PeakWatch = { peak: null }
    const tracked = this.runs.get(profileId)
    tracked?.watchers.add(watch)
    return {
      watch,
      settled: async () => {
        await this.runs.get(profileId)?.reading
      },
      stop: () => tracked?.watchers.delete(watch),
    }
  }

  private on(event: ServerEvent): void {
    if (event.type === 'servers.state') this.onState(event.data)
    else if (event.type === 'servers.stats') for (const sample of event.data.servers) this.onSample(sample.profileId, sample.rssBytes)
  }

  private onState(status: ServerStatus): void {
    const current = this.runs.get(status.profileId)
    if (!HOLDING_MEMORY.includes(status.state) || status.pid === null) {
      this.runs.delete(status.profileId)
      return
    }
    if (current !== undefined && current.pid === status.pid) {
      if (status.state === 'ready' && !current.wasReady) {
        current.wasReady = true
        this.store(current)
      }
      return
    }
    const profile = this.deps.profiles.find(status.profileId)
    if (profile === null) return
    this.runs.set(status.profileId, {
      pid: status.pid,
      modelId: profile.model,
      engine: profile.engine,
      contextTokens: profileContext(profile),
      peak: null,
      peakAt: null,
      wasReady: status.state === 'ready',
      stored: 0,
      reading: null,
      watchers: new Set(),
    })
  }

  private onSample(profileId: number, sampledRss: number): void {
    const tracked = this.runs.get(profileId)
    // One read at a time per server: a slow `footprint` must not pile up behind the sampling timer.
    if (tracked === undefined || tracked.reading !== null) return
    tracked.reading = this.deps.reader
      .read(tracked.pid, sampledRss)
      .then((reading) => this.observe(tracked, reading))
      .catch((error: unknown) => this.deps.logger?.error(error))
      .finally(() => (tracked.reading = null))
  }

  private observe(tracked: Tracked, reading: MemoryReading): void {
    for (const watch of tracked.watchers) if (watch.peak === null || reading.bytes > watch.peak.bytes) watch.peak = reading
    if (tracked.peak !== null && reading.bytes <= tracked.peak.bytes) return
    tracked.peak = reading
    tracked.peakAt = this.now().toISOString()
    this.store(tracked)
  }

  private store(tracked: Tracked): void {
    if (!tracked.wasReady || tracked.peak === null || tracked.peakAt === null || tracked.peak.bytes <= tracked.stored) return
    tracked.stored = tracked.peak.bytes
    try {
      this.deps.repo.record({
        modelId: tracked.modelId,
        engine: tracked.engine,
        contextTokens: tracked.contextTokens,
        peakBytes: tracked.peak.bytes,
        source: tracked.peak.source,
        measuredAt: tracked.peakAt,
      })
    } catch (error) {
      this.deps.logger?.error(error)
    }
  }
}
