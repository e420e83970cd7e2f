import type { Database } from 'bun:sqlite'
import type { ServerChatMetrics } from '../../../shared/chat'
import { NO_PROFILE } from '../../../shared/observability'
import type { EventBus } from '../events/bus'
import { PrometheusCounters, type Gauges } from './prometheus'
import { DEFAULT_RECORD_QUEUE, RecordQueue, type RecordQueueOptions } from './recorder'
import type { ChatRequestRecord, MetricsRepository } from './repository'
import { RunningSummary } from './running'
import { rolledUpRequests, storedTotals } from './totals'

export { median } from './histogram'

export interface MetricsServiceDeps {
  repo: MetricsRepository
  bus: EventBus
  /** Where the counters' starting totals are summed from (the request table and its rollups). */
  db?: Database
  /** Figures read at scrape time; none (zeros) when absent. */
  gauges?: () => Gauges
  queue?: Partial<RecordQueueOptions>
  logger?: Pick<Console, 'error'>
}

/** Folds one profile's requests into the figures the servers screen shows. */
export function summarise(profileId: number, records: ChatRequestRecord[]): ServerChatMetrics {
  const summary = new RunningSummary(profileId)
  summary.addAll(records)
  return summary.metrics()
}

const NO_GAUGES: Gauges = { servers: [], systemMemory: { totalBytes: 0, usedBytes: 0 }, downloads: [] }

/**
 * Per-request measurements: summarised per server and counted for Prometheus at once, written to
 * SQLite in batches off the request's path.
 */
export class MetricsService {
  /** Read from the database once, then kept up to date as requests are recorded. */
  private summaries: Map<number, RunningSummary> | null = null
  private counters: PrometheusCounters | null = null
  private readonly queue: RecordQueue

  constructor(private readonly deps: MetricsServiceDeps) {
    this.queue = new RecordQueue((records) => deps.repo.addMany(records), { ...DEFAULT_RECORD_QUEUE, ...deps.queue }, deps.logger)
  }

  record(record: ChatRequestRecord): void {
    // Loaded before the record is queued, so a first load does not count it twice.
    const summaries = this.loaded()
    const counters = this.loadedCounters()
    this.queue.push(record)
    counters.add(record)
    let summary = summaries.get(record.profileId)
    if (summary === undefined) summaries.set(record.profileId, (summary = new RunningSummary(record.profileId)))
    summary.add(record)
    if (record.profileId !== NO_PROFILE) this.deps.bus.publish({ type: 'chat.metrics', data: summary.metrics() })
  }

  /**
   * Reads the stored requests into the servers' figures and the counters now (at start, before
   * listening), so the first request or scrape does not wait for a pass over the table.
   */
  warm(): void {
    this.loaded()
    this.loadedCounters()
  }

  /** Writes the requests still waiting; readers of the table call it first. */
  flush(): void {
    this.queue.flush()
  }

  /** Prompt and completion tokens a key used from `since` on (its daily limit counts these), written or not. */
  keyTokensSince(keyId: number, since: string): number {
    const waiting = this.queue
      .waiting()
      .filter((record) => record.keyId === keyId && record.startedAt >= since)
      .reduce((sum, record) => sum + (record.promptTokens ?? 0) + record.completionTokens, 0)
    return this.deps.repo.keyTokensSince(keyId, since) + waiting
  }

  /** Every stored request, oldest first. */
  records(): ChatRequestRecord[] {
    this.flush()
    return this.deps.repo.list()
  }

  /** Per profile; requests that named no profile (NO_PROFILE) belong to none, so they are left out. */
  servers(): ServerChatMetrics[] {
    return [...this.loaded()].filter(([profileId]) => profileId !== NO_PROFILE).map(([, summary]) => summary.metrics())
  }

  prometheus(): string {
    return this.loadedCounters().text(this.deps.gauges?.() ?? NO_GAUGES)
  }

  private loadedCounters(): PrometheusCounters {
    if (this.counters !== null) return this.counters
    this.flush()
    return (this.counters = new PrometheusCounters(this.deps.db === undefined ? [] : storedTotals(this.deps.db)))
  }

  private loaded(): Map<number, RunningSummary> {
    if (this.summaries !== null) return this.summaries
    this.flush()
    const byProfile = new Map<number, ChatRequestRecord[]>()
    for (const record of this.deps.repo.list()) {
      const group = byProfile.get(record.profileId)
      if (group === undefined) byProfile.set(record.profileId, [record])
      else group.push(record)
    }
    const summaries = new Map<number, RunningSummary>()
    const summaryOf = (profileId: number) => {
      let summary = summaries.get(profileId)
      if (summary === undefined) summaries.set(profileId, (summary = new RunningSummary(profileId)))
      return summary
    }
    // Rolled-up requests are older than every raw one, so they go first.
    if (this.deps.db !== undefined) for (const rollup of rolledUpRequests(this.deps.db)) summaryOf(rollup.profileId).addRolledUp(rollup)
    for (const [profileId, records] of byProfile) summaryOf(profileId).addAll(records)
    return (this.summaries = summaries)
  }
}
