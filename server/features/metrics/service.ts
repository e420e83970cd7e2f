import type { ServerChatMetrics } from '../../../shared/chat'
import type { EventBus } from '../events/bus'
import { prometheusText } from './prometheus'
import type { ChatRequestRecord, MetricsRepository } from './repository'

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

const present = (values: (number | null)[]) => values.filter((value): value is number => value !== null)

/** Folds one profile's requests into the figures the servers screen shows. */
export function summarise(profileId: number, records: ChatRequestRecord[]): ServerChatMetrics {
  const ok = records.filter((record) => record.errorCode === null)
  return {
    profileId,
    requests: records.length,
    errors: records.length - ok.length,
    promptTokens: records.reduce((sum, record) => sum + (record.promptTokens ?? 0), 0),
    completionTokens: records.reduce((sum, record) => sum + record.completionTokens, 0),
    medianTokensPerSecond: median(present(ok.map((record) => record.tokensPerSecond))),
    medianTimeToFirstTokenMs: median(present(ok.map((record) => record.timeToFirstTokenMs))),
    lastRequestAt: records.at(-1)?.startedAt ?? null,
  }
}

/** Per-request chat measurements, kept in SQLite and summarised per server. */
export class MetricsService {
  constructor(private readonly deps: MetricsServiceDeps) {}

  record(record: ChatRequestRecord): void {
    this.deps.repo.add(record)
    this.deps.bus.publish({ type: 'chat.metrics', data: summarise(record.profileId, this.deps.repo.ofProfile(record.profileId)) })
  }

  servers(): ServerChatMetrics[] {
    return [...this.byProfile()].map(([profileId, records]) => summarise(profileId, records))
  }

  prometheus(): string {
    return prometheusText(this.byProfile())
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
