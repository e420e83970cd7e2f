import type { UsageBucket, UsageGroupBy, UsageRow } from '../../../shared/observability'
import { addTo, bucketIndex, emptyHistogram, histogramQuantile, sortedMedian, sortedQuantile, TPS_BOUNDS, TTFT_BOUNDS_MS } from '../metrics/histogram'
import type { RollupSourceRow, UsageSourceRow } from './repository'
import { bucketStart } from './time'

interface Cell {
  bucketStart: string
  groupId: number | null
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  /** Exact values from raw records (successful requests only). */
  ttft: number[]
  tps: number[]
  /** Counts from rollups, when any part of the cell is rolled up. */
  ttftHist: number[] | null
  tpsHist: number[] | null
}

const groupOf = (groupBy: UsageGroupBy, row: { profile_id: number; key_id: number | null; user_id: number | null }): number | null => {
  // A profile id is never null; 0 is NO_PROFILE, its own group.
  if (groupBy === 'profile') return row.profile_id
  const id = groupBy === 'key' ? row.key_id : row.user_id
  // Rollups keep "none" as 0.
  return id === 0 ? null : id
}

const ascending = (a: number, b: number) => a - b

/** Folds raw records and rollups into one row per bucket and group, exact where every record is raw. */
export class UsageAggregate {
  private readonly cells = new Map<string, Cell>()

  constructor(
    private readonly bucket: UsageBucket,
    private readonly groupBy: UsageGroupBy,
  ) {}

  private cell(start: string, groupId: number | null): Cell {
    const id = `${start}|${groupId ?? ''}`
    let cell = this.cells.get(id)
    if (cell === undefined) {
      cell = { bucketStart: start, groupId, requests: 0, errors: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, ttft: [], tps: [], ttftHist: null, tpsHist: null }
      this.cells.set(id, cell)
    }
    return cell
  }

  addRaw([startedAt, profileId, keyId, userId, failed, promptTokens, cachedTokens, completionTokens, ttftMs, tokensPerSecond]: UsageSourceRow): void {
    const cell = this.cell(bucketStart(startedAt, this.bucket), groupOf(this.groupBy, { profile_id: profileId, key_id: keyId, user_id: userId }))
    cell.requests++
    cell.promptTokens += promptTokens ?? 0
    cell.cachedTokens += cachedTokens ?? 0
    cell.completionTokens += completionTokens
    if (failed === 1) {
      cell.errors++
      return
    }
    if (ttftMs !== null) cell.ttft.push(ttftMs)
    if (tokensPerSecond !== null) cell.tps.push(tokensPerSecond)
  }

  addRollup(row: RollupSourceRow): void {
    // A minute bucket asked of an hour rollup lands on the hour's start: finer detail is gone.
    const cell = this.cell(bucketStart(row.bucket_start, this.bucket), groupOf(this.groupBy, row))
    cell.requests += row.requests
    cell.errors += row.errors
    cell.promptTokens += row.prompt_tokens
    cell.cachedTokens += row.cached_tokens
    cell.completionTokens += row.completion_tokens
    cell.ttftHist ??= emptyHistogram(TTFT_BOUNDS_MS)
    cell.tpsHist ??= emptyHistogram(TPS_BOUNDS)
    addTo(cell.ttftHist, JSON.parse(row.ttft_hist) as number[])
    addTo(cell.tpsHist, JSON.parse(row.tps_hist) as number[])
  }

  rows(label: (groupId: number | null) => string | null): UsageRow[] {
    return [...this.cells.values()]
      .sort((a, b) => (a.bucketStart < b.bucketStart ? -1 : a.bucketStart > b.bucketStart ? 1 : (a.groupId ?? -1) - (b.groupId ?? -1)))
      .map((cell) => {
        const base = {
          bucketStart: cell.bucketStart,
          groupId: cell.groupId,
          label: label(cell.groupId),
          requests: cell.requests,
          errors: cell.errors,
          promptTokens: cell.promptTokens,
          cachedTokens: cell.cachedTokens,
          completionTokens: cell.completionTokens,
        }
        if (cell.ttftHist === null || cell.tpsHist === null) {
          const ttft = cell.ttft.sort(ascending)
          return {
            ...base,
            medianTimeToFirstTokenMs: sortedMedian(ttft),
            p95TimeToFirstTokenMs: sortedQuantile(ttft, 0.95),
            medianTokensPerSecond: sortedMedian(cell.tps.sort(ascending)),
            approximate: false,
          }
        }
        // Part of the cell is rolled up: its raw values join the histograms and the quantiles are estimates.
        for (const value of cell.ttft) cell.ttftHist[bucketIndex(TTFT_BOUNDS_MS, value)]!++
        for (const value of cell.tps) cell.tpsHist[bucketIndex(TPS_BOUNDS, value)]!++
        return {
          ...base,
          medianTimeToFirstTokenMs: histogramQuantile(TTFT_BOUNDS_MS, cell.ttftHist, 0.5),
          p95TimeToFirstTokenMs: histogramQuantile(TTFT_BOUNDS_MS, cell.ttftHist, 0.95),
          medianTokensPerSecond: histogramQuantile(TPS_BOUNDS, cell.tpsHist, 0.5),
          approximate: true,
        }
      })
  }
}
