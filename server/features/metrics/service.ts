import type { ServerChatMetrics } from '../../../shared/chat'
import type { EventBus } from '../events/bus'
import { prometheusText } from './prometheus'
import type { ChatRequestRecord, MetricsRepository } from './repository'
import { RunningSummary } from './running'

export interface MetricsServiceDeps {
  repo: MetricsRepository
  bus: EventBus
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** Folds one profile's requests into the figures the servers screen shows. */
export function summarise(profileId: number, records: ChatRequestRecord[]): ServerChatMetrics {
  const summary = new RunningSummary(profileId)
  for (const record of records) summary.add(record)
  return summary.metrics()
}

/** Per-request chat measurements, kept in SQLite and summarised per server. */
export class MetricsService {
  /** Read from the database once, then kept up to date as requests are recorded. */
  private summaries: Map<number, RunningSummary> | null = null

  constructor(private readonly deps: MetricsServiceDeps) {}

  record(record: ChatRequestRecord): void {
    // Loaded before the insert, so a first load does not count this request twice.
    const summaries = this.loaded()
    this.deps.repo.add(record)
    let summary = summaries.get(record.profileId)
    if (summary === undefined) summaries.set(record.profileId, (summary = new RunningSummary(record.profileId)))
    summary.add(record)
    this.deps.bus.publish({ type: 'chat.metrics', data: summary.metrics() })
  }

  /** Prompt and completion tokens a key used from `since` on (its daily limit counts these). */
  keyTokensSince(keyId: number, since: string): number {
    return this.deps.repo.keyTokensSince(keyId, since)
  }

  /** Every stored request, oldest first. */
  records(): ChatRequestRecord[] {
    return this.deps.repo.list()
  }

  servers(): ServerChatMetrics[] {
    return [...this.loaded().values()].map((summary) => summary.metrics())
  }

  prometheus(): string {
    return prometheusText(this.byProfile())
  }

  private loaded(): Map<number, RunningSummary> {
    if (this.summaries !== null) return this.summaries
    const summaries = new Map<number, RunningSummary>()
    for (const [profileId, records] of this.byProfile()) {
      const summary = new RunningSummary(profileId)
      for (const record of records) summary.add(record)
      summaries.set(profileId, summary)
    }
    return (this.summaries = summaries)
  }

  private byProfile(): Map<number, ChatRequestRecord[]> {
    const groups = new Map<number, ChatRequestRecord[]>()
    for (const record of this.deps.repo.list()) {
      const group = groups.get(record.profileId)
      if (group === undefined) groups.set(record.profileId, [record])
      else group.push(record)
    }
    return groups
  }
}
