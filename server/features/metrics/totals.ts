import type { Database } from 'bun:sqlite'
import { addTo, bucketIndex, TPS_BOUNDS, TTFT_BOUNDS_MS } from './histogram'
import { emptyTotals, type CounterTotals } from './prometheus'
import type { RequestRollupRow } from '../usage/repository'
import type { RolledUpRequests } from './running'

/** profile_id, key_id, error_code, ttft_ms, tokens_per_second, prompt_tokens, cached_tokens, completion_tokens */
type RawValues = [number, number | null, string | null, number | null, number | null, number | null, number | null, number]

type RollupGroup = Omit<RequestRollupRow, 'resolution' | 'bucket_start' | 'user_id'>

/**
 * The counters' starting point: every stored request, raw or rolled up, summed per profile and key
 * in one pass when the manager starts. From then on each request moves them in memory.
 */
export function storedTotals(db: Database): CounterTotals[] {
  const totals = new Map<string, CounterTotals>()
  const of = (profileId: number, keyId: number | null) => {
    const id = `${profileId}:${keyId ?? 'none'}`
    let found = totals.get(id)
    if (found === undefined) totals.set(id, (found = emptyTotals(profileId, keyId)))
    return found
  }
  // Read as plain value arrays and summed here: on a million rows this is about twice as fast as
  // SQLite grouping them (there is no index to group by, so it would sort them first).
  const raw = db
    .query('SELECT profile_id, key_id, error_code, ttft_ms, tokens_per_second, prompt_tokens, cached_tokens, completion_tokens FROM chat_requests')
    .values() as unknown as RawValues[]
  let last: CounterTotals | null = null
  for (const [profileId, keyId, errorCode, ttftMs, tokensPerSecond, promptTokens, cachedTokens, completionTokens] of raw) {
    const found: CounterTotals = last !== null && last.profileId === profileId && last.keyId === keyId ? last : of(profileId, keyId)
    last = found
    found.requests++
    found.promptTokens += promptTokens ?? 0
    found.cachedTokens += cachedTokens ?? 0
    found.completionTokens += completionTokens
    // Failed requests count in requests and tokens, not in the histograms.
    if (errorCode !== null) {
      found.errors++
      continue
    }
    if (ttftMs !== null) {
      found.ttftHistogram[bucketIndex(TTFT_BOUNDS_MS, ttftMs)]!++
      found.ttftSumMs += ttftMs
    }
    if (tokensPerSecond !== null) {
      found.tpsHistogram[bucketIndex(TPS_BOUNDS, tokensPerSecond)]!++
      found.tpsSum += tokensPerSecond
    }
  }
  const rolled = db
    .query<RollupGroup, []>(
      `SELECT profile_id, key_id, requests, errors, prompt_tokens, cached_tokens, completion_tokens, ttft_hist, ttft_sum, tps_hist, tps_sum FROM request_rollups`,
    )
    .all()
  for (const group of rolled) {
    const found = of(group.profile_id, group.key_id === 0 ? null : group.key_id)
    found.requests += group.requests
    found.errors += group.errors
    found.promptTokens += group.prompt_tokens
    found.cachedTokens += group.cached_tokens
    found.completionTokens += group.completion_tokens
    found.ttftSumMs += group.ttft_sum
    found.tpsSum += group.tps_sum
    addTo(found.ttftHistogram, JSON.parse(group.ttft_hist) as number[])
    addTo(found.tpsHistogram, JSON.parse(group.tps_hist) as number[])
  }
  return [...totals.values()]
}

/** Every rollup row, oldest first, for the servers' figures: requests that are no longer raw still count. */
export function rolledUpRequests(db: Database): (RolledUpRequests & { profileId: number })[] {
  return db
    .query<Pick<RequestRollupRow, 'bucket_start' | 'profile_id' | 'key_id' | 'user_id' | 'requests' | 'errors' | 'prompt_tokens' | 'completion_tokens'>, []>(
      `SELECT bucket_start, profile_id, key_id, user_id, requests, errors, prompt_tokens, completion_tokens FROM request_rollups ORDER BY bucket_start`,
    )
    .all()
    .map((row) => ({
      bucketStart: row.bucket_start,
      profileId: row.profile_id,
      keyId: row.key_id === 0 ? null : row.key_id,
      userId: row.user_id === 0 ? null : row.user_id,
      requests: row.requests,
      errors: row.errors,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
    }))
}
