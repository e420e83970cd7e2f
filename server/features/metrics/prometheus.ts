import { bucketIndex, emptyHistogram, TPS_BOUNDS, TTFT_BOUNDS_MS, type Histogram } from './histogram'
import type { ChatRequestRecord } from './repository'

/** One profile and key's kept totals; keyId null is the manager's own chat (no key). */
export interface CounterTotals {
  profileId: number
  keyId: number | null
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  /** Successful requests only, as the medians on the servers screen. */
  ttftHistogram: Histogram
  ttftSumMs: number
  tpsHistogram: Histogram
  tpsSum: number
}

/** Figures read at scrape time from the supervisor, the memory sampler and the download queue. */
export interface Gauges {
  servers: { profileId: number; state: string; rssBytes: number | null; cpuPercent: number | null }[]
  systemMemory: { totalBytes: number; usedBytes: number }
  downloads: { status: string; count: number }[]
}

const NO_KEY = 'none'

export const emptyTotals = (profileId: number, keyId: number | null): CounterTotals => ({
  profileId,
  keyId,
  requests: 0,
  errors: 0,
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  ttftHistogram: emptyHistogram(TTFT_BOUNDS_MS),
  ttftSumMs: 0,
  tpsHistogram: emptyHistogram(TPS_BOUNDS),
  tpsSum: 0,
})

/**
 * Counters and histograms for `/metrics`, kept per profile and key and moved by each recorded
 * request, so a scrape formats a few hundred numbers instead of re-reading the request table.
 */
export class PrometheusCounters {
  private readonly totals = new Map<string, CounterTotals>()

  /** Starts from totals summed once from the stored requests. */
  constructor(initial: Iterable<CounterTotals> = []) {
    for (const totals of initial) this.totals.set(`${totals.profileId}:${totals.keyId ?? NO_KEY}`, totals)
  }

  add(record: ChatRequestRecord): void {
    const id = `${record.profileId}:${record.keyId ?? NO_KEY}`
    let totals = this.totals.get(id)
    if (totals === undefined) this.totals.set(id, (totals = emptyTotals(record.profileId, record.keyId)))
    totals.requests++
    totals.promptTokens += record.promptTokens ?? 0
    totals.cachedTokens += record.cachedTokens ?? 0
    totals.completionTokens += record.completionTokens
    if (record.errorCode !== null) {
      totals.errors++
      return
    }
    if (record.timeToFirstTokenMs !== null) {
      totals.ttftHistogram[bucketIndex(TTFT_BOUNDS_MS, record.timeToFirstTokenMs)]!++
      totals.ttftSumMs += record.timeToFirstTokenMs
    }
    if (record.tokensPerSecond !== null) {
      totals.tpsHistogram[bucketIndex(TPS_BOUNDS, record.tokensPerSecond)]!++
      totals.tpsSum += record.tokensPerSecond
    }
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  text(gauges: Gauges): string {
    const all = [...this.totals.values()].sort((a, b) => a.profileId - b.profileId || (a.keyId ?? 0) - (b.keyId ?? 0))
    const profiles = new Map<number, CounterTotals[]>()
    for (const totals of all) profiles.set(totals.profileId, [...(profiles.get(totals.profileId) ?? []), totals])
    const keyed = all.filter((totals) => totals.keyId !== null)
    const lines: string[] = []
    const head = (name: string, help: string, type: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    const sum = (group: CounterTotals[], pick: (totals: CounterTotals) => number) => group.reduce((total, totals) => total + pick(totals), 0)
    const perProfile = (name: string, help: string, pick: (totals: CounterTotals) => number) => {
      head(name, help, 'counter')
      for (const [profileId, group] of profiles) lines.push(`${name}{profile_id="${profileId}"} ${sum(group, pick)}`)
    }
    const perKey = (name: string, help: string, pick: (totals: CounterTotals) => number) => {
      head(name, help, 'counter')
      for (const totals of keyed) lines.push(`${name}{profile_id="${totals.profileId}",key_id="${totals.keyId}"} ${pick(totals)}`)
    }
    const histogram = (name: string, help: string, bounds: readonly number[], scale: number, pick: (totals: CounterTotals) => [Histogram, number]) => {
      head(name, help, 'histogram')
      for (const totals of all) {
        const labels = `profile_id="${totals.profileId}",key_id="${totals.keyId ?? NO_KEY}"`
        const [counts, total] = pick(totals)
        let cumulative = 0
        bounds.forEach((bound, i) => {
          cumulative += counts[i]!
          lines.push(`${name}_bucket{${labels},le="${bound / scale}"} ${cumulative}`)
        })
        cumulative += counts[bounds.length]!
        lines.push(`${name}_bucket{${labels},le="+Inf"} ${cumulative}`, `${name}_sum{${labels}} ${total / scale}`, `${name}_count{${labels}} ${cumulative}`)
      }
    }
    perProfile('mlx_manager_chat_requests_total', 'Requests to models (chat and gateway).', (totals) => totals.requests)
    perProfile('mlx_manager_chat_errors_total', 'Requests to models that ended in an error.', (totals) => totals.errors)
    perProfile('mlx_manager_chat_prompt_tokens_total', 'Prompt tokens the engine reported.', (totals) => totals.promptTokens)
    perProfile('mlx_manager_chat_cached_tokens_total', 'Prompt tokens the engine answered from its cache.', (totals) => totals.cachedTokens)
    perProfile('mlx_manager_chat_completion_tokens_total', 'Completion tokens generated.', (totals) => totals.completionTokens)
    perKey('mlx_manager_gateway_requests_total', 'Gateway requests per API key.', (totals) => totals.requests)
    perKey('mlx_manager_gateway_errors_total', 'Gateway requests per API key that ended in an error.', (totals) => totals.errors)
    perKey('mlx_manager_gateway_tokens_total', 'Prompt and completion tokens per API key.', (totals) => totals.promptTokens + totals.completionTokens)
    histogram('mlx_manager_time_to_first_token_seconds', 'Time to first token of successful requests; key_id "none" is the manager\'s own chat.', TTFT_BOUNDS_MS, 1000, (totals) => [
      totals.ttftHistogram,
      totals.ttftSumMs,
    ])
    histogram('mlx_manager_generation_tokens_per_second', 'Generation speed of successful requests; key_id "none" is the manager\'s own chat.', TPS_BOUNDS, 1, (totals) => [
      totals.tpsHistogram,
      totals.tpsSum,
    ])
    const running = gauges.servers.filter((server) => server.state === 'ready' || server.state === 'starting')
    head('mlx_manager_servers_running', 'Model servers starting or ready.', 'gauge')
    lines.push(`mlx_manager_servers_running ${running.length}`)
    head('mlx_manager_server_memory_bytes', 'Resident memory of each running server\'s process tree.', 'gauge')
    for (const server of running) if (server.rssBytes !== null) lines.push(`mlx_manager_server_memory_bytes{profile_id="${server.profileId}"} ${server.rssBytes}`)
    head('mlx_manager_server_cpu_percent', 'CPU use of each running server\'s process tree (100 = one core).', 'gauge')
    for (const server of running) if (server.cpuPercent !== null) lines.push(`mlx_manager_server_cpu_percent{profile_id="${server.profileId}"} ${server.cpuPercent}`)
    head('mlx_manager_system_memory_bytes', 'Memory of the machine: total and used.', 'gauge')
    lines.push(`mlx_manager_system_memory_bytes{kind="total"} ${gauges.systemMemory.totalBytes}`, `mlx_manager_system_memory_bytes{kind="used"} ${gauges.systemMemory.usedBytes}`)
    head('mlx_manager_downloads', 'Model downloads not finished, by status.', 'gauge')
    for (const status of ['queued', 'downloading', 'paused']) {
      lines.push(`mlx_manager_downloads{status="${status}"} ${gauges.downloads.find((entry) => entry.status === status)?.count ?? 0}`)
    }
    return `${lines.join('\n')}\n`
  }
}
