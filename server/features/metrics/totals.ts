import type { Database } from 'bun:sqlite'
import { addTo, TPS_BOUNDS, TTFT_BOUNDS_MS } from './histogram'
import { emptyTotals, type CounterTotals } from './prometheus'
import { bucketCase } from './repository'

interface RawGroup {
  profile_id: number
  key_id: number | null
  ttft_bucket: number | null
  tps_bucket: number | null
  requests: number
  errors: number
  prompt_tokens: number
  cached_tokens: number
  completion_tokens: number
  ttft_sum: number
  tps_sum: number
}

interface RollupGroup {
  profile_id: number
  key_id: number
  requests: number
  errors: number
  prompt_tokens: number
  cached_tokens: number
  completion_tokens: number
  ttft_hist: string
  ttft_sum: number
  tps_hist: string
  tps_sum: number
}

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
  // Failed requests count in requests and tokens, not in the histograms (their buckets are NULL).
  const raw = db
    .query<RawGroup, []>(
      `SELECT profile_id, key_id,
         CASE WHEN error_code IS NULL AND ttft_ms IS NOT NULL THEN ${bucketCase('ttft_ms', TTFT_BOUNDS_MS)} END AS ttft_bucket,
         CASE WHEN error_code IS NULL AND tokens_per_second IS NOT NULL THEN ${bucketCase('tokens_per_second', TPS_BOUNDS)} END AS tps_bucket,
         COUNT(*) AS requests, SUM(error_code IS NOT NULL) AS errors,
         COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(cached_tokens), 0) AS cached_tokens, SUM(completion_tokens) AS completion_tokens,
         COALESCE(SUM(CASE WHEN error_code IS NULL THEN ttft_ms END), 0) AS ttft_sum,
         COALESCE(SUM(CASE WHEN error_code IS NULL THEN tokens_per_second END), 0) AS tps_sum
       FROM chat_requests GROUP BY profile_id, key_id, ttft_bucket, tps_bucket`,
    )
    .all()
  for (const group of raw) {
    const found = of(group.profile_id, group.key_id)
    found.requests += group.requests
    found.errors += group.errors
    found.promptTokens += group.prompt_tokens
    found.cachedTokens += group.cached_tokens
    found.completionTokens += group.completion_tokens
    found.ttftSumMs += group.ttft_sum
    found.tpsSum += group.tps_sum
    if (group.ttft_bucket !== null) found.ttftHistogram[group.ttft_bucket]! += group.requests
    if (group.tps_bucket !== null) found.tpsHistogram[group.tps_bucket]! += group.requests
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
