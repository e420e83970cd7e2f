import type { KeyTraffic, ServerChatMetrics } from '../../../shared/chat'
import { sortedMedian } from './histogram'
import type { ChatRequestRecord } from './repository'

/** Puts `value` into an ascending list, keeping it ascending. */
function insertSorted(sorted: number[], value: number): void {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle]! <= value) low = middle + 1
    else high = middle
  }
  sorted.splice(low, 0, value)
}

/** One rollup row's requests, as the summaries count them. */
export interface RolledUpRequests {
  bucketStart: string
  keyId: number | null
  userId: number | null
  requests: number
  errors: number
  promptTokens: number
  completionTokens: number
}

/**
 * One profile's chat summary, updated request by request. Folding every stored request again
 * after each reply blocked the event loop (and every stream on it) for tens of milliseconds once
 * a server had served a few thousand requests; keeping the medians' values sorted makes each
 * update a binary search and one insert.
 */
export class RunningSummary {
  private requests = 0
  private errors = 0
  private promptTokens = 0
  private completionTokens = 0
  private lastRequestAt: string | null = null
  private readonly keys = new Map<number, KeyTraffic>()
  /** Successful requests only, ascending. */
  private readonly tokensPerSecond: number[] = []
  private readonly timeToFirstTokenMs: number[] = []

  constructor(private readonly profileId: number) {}

  add(record: ChatRequestRecord): void {
    this.count(record)
    if (record.errorCode !== null) return
    if (record.tokensPerSecond !== null) insertSorted(this.tokensPerSecond, record.tokensPerSecond)
    if (record.timeToFirstTokenMs !== null) insertSorted(this.timeToFirstTokenMs, record.timeToFirstTokenMs)
  }

  /**
   * Many stored requests at once, oldest first: the values are appended and sorted once, since an
   * insert each into lists of a hundred thousand values took seconds per profile.
   */
  addAll(records: Iterable<ChatRequestRecord>): void {
    for (const record of records) {
      this.count(record)
      if (record.errorCode !== null) continue
      if (record.tokensPerSecond !== null) this.tokensPerSecond.push(record.tokensPerSecond)
      if (record.timeToFirstTokenMs !== null) this.timeToFirstTokenMs.push(record.timeToFirstTokenMs)
    }
    this.tokensPerSecond.sort((a, b) => a - b)
    this.timeToFirstTokenMs.sort((a, b) => a - b)
  }

  /**
   * Requests older than the raw records, from a rollup: they count in requests, errors and tokens
   * (the medians stay those of the raw records). Rollups come oldest first, before the raw records.
   */
  addRolledUp(rollup: RolledUpRequests): void {
    this.requests += rollup.requests
    this.errors += rollup.errors
    this.promptTokens += rollup.promptTokens
    this.completionTokens += rollup.completionTokens
    this.lastRequestAt = rollup.bucketStart
    if (rollup.keyId === null) return
    let traffic = this.keys.get(rollup.keyId)
    if (traffic === undefined) {
      traffic = { keyId: rollup.keyId, userId: rollup.userId, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, lastRequestAt: rollup.bucketStart }
      this.keys.set(rollup.keyId, traffic)
    }
    traffic.requests += rollup.requests
    traffic.errors += rollup.errors
    traffic.promptTokens += rollup.promptTokens
    traffic.completionTokens += rollup.completionTokens
    traffic.lastRequestAt = rollup.bucketStart
  }

  private count(record: ChatRequestRecord): void {
    this.requests++
    this.promptTokens += record.promptTokens ?? 0
    this.completionTokens += record.completionTokens
    this.lastRequestAt = record.startedAt
    if (record.keyId !== null) this.addKey(record.keyId, record)
    if (record.errorCode !== null) this.errors++
  }

  metrics(): ServerChatMetrics {
    return {
      profileId: this.profileId,
      requests: this.requests,
      errors: this.errors,
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      medianTokensPerSecond: sortedMedian(this.tokensPerSecond),
      medianTimeToFirstTokenMs: sortedMedian(this.timeToFirstTokenMs),
      lastRequestAt: this.lastRequestAt,
      byKey: [...this.keys.values()].map((traffic) => ({ ...traffic })),
    }
  }

  private addKey(keyId: number, record: ChatRequestRecord): void {
    let traffic = this.keys.get(keyId)
    if (traffic === undefined) {
      traffic = { keyId, userId: record.userId, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, lastRequestAt: record.startedAt }
      this.keys.set(keyId, traffic)
    }
    traffic.requests++
    if (record.errorCode !== null) traffic.errors++
    traffic.promptTokens += record.promptTokens ?? 0
    traffic.completionTokens += record.completionTokens
    traffic.lastRequestAt = record.startedAt
  }
}
