import type { Database } from 'bun:sqlite'
import { addTo, emptyHistogram, TPS_BOUNDS, TTFT_BOUNDS_MS } from '../metrics/histogram'
import { bucketCase } from '../metrics/repository'
import type { RequestRollupRow } from './repository'
import { DAY_MS, floorTo, HOUR_MS, iso, MINUTE_MS } from './time'

/**
 * How long each tier is kept. Requests stay raw (the request log, exact medians) for
 * `requestRawDays`, then live on as per-minute rollups until `requestMinuteDays`, then per-hour
 * rollups until `retentionDays`; server samples likewise. Every tier ends at `retentionDays`.
 */
export interface RetentionPolicy {
  retentionDays: number
  requestRawDays: number
  requestMinuteDays: number
  statsRawDays: number
  statsMinuteDays: number
}

export const DEFAULT_RETENTION: Omit<RetentionPolicy, 'retentionDays'> = {
  requestRawDays: 7,
  requestMinuteDays: 30,
  statsRawDays: 1,
  statsMinuteDays: 7,
}

/** The times before which each tier is rolled up or deleted, as of `nowMs`. */
export function cutoffs(policy: RetentionPolicy, nowMs: number) {
  const days = (wanted: number) => Math.min(wanted, policy.retentionDays) * DAY_MS
  return {
    // Each cutoff falls on the boundary of the next tier's buckets, so a bucket is rolled up whole.
    requestRaw: iso(floorTo(nowMs - days(policy.requestRawDays), MINUTE_MS)),
    requestMinute: iso(floorTo(nowMs - days(policy.requestMinuteDays), HOUR_MS)),
    statsRaw: iso(floorTo(nowMs - days(policy.statsRawDays), MINUTE_MS)),
    statsMinute: iso(floorTo(nowMs - days(policy.statsMinuteDays), HOUR_MS)),
    retention: iso(nowMs - days(policy.retentionDays)),
  }
}

type RollupRow = Omit<RequestRollupRow, 'resolution'>

interface RawGroup {
  bucket_start: string
  profile_id: number
  key_id: number
  user_id: number
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

interface Rollup {
  bucketStart: string
  profileId: number
  keyId: number
  userId: number
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  ttftHist: number[]
  ttftSum: number
  tpsHist: number[]
  tpsSum: number
}

const emptyRollup = (bucketStart: string, profileId: number, keyId: number, userId: number): Rollup => ({
  bucketStart,
  profileId,
  keyId,
  userId,
  requests: 0,
  errors: 0,
  promptTokens: 0,
  cachedTokens: 0,
  completionTokens: 0,
  ttftHist: emptyHistogram(TTFT_BOUNDS_MS),
  ttftSum: 0,
  tpsHist: emptyHistogram(TPS_BOUNDS),
  tpsSum: 0,
})

function merge(into: Rollup, other: Omit<Rollup, 'bucketStart' | 'profileId' | 'keyId' | 'userId'>): void {
  into.requests += other.requests
  into.errors += other.errors
  into.promptTokens += other.promptTokens
  into.cachedTokens += other.cachedTokens
  into.completionTokens += other.completionTokens
  into.ttftSum += other.ttftSum
  into.tpsSum += other.tpsSum
  addTo(into.ttftHist, other.ttftHist)
  addTo(into.tpsHist, other.tpsHist)
}

const fromRow = (row: RollupRow): Rollup => ({
  bucketStart: row.bucket_start,
  profileId: row.profile_id,
  keyId: row.key_id,
  userId: row.user_id,
  requests: row.requests,
  errors: row.errors,
  promptTokens: row.prompt_tokens,
  cachedTokens: row.cached_tokens,
  completionTokens: row.completion_tokens,
  ttftHist: JSON.parse(row.ttft_hist) as number[],
  ttftSum: row.ttft_sum,
  tpsHist: JSON.parse(row.tps_hist) as number[],
  tpsSum: row.tps_sum,
})

/** Rolls request records and server samples into coarser tiers and deletes what is past retention. */
export function createRetention(db: Database) {
  const rawGroups = db.query<RawGroup, [string]>(
    `SELECT substr(started_at, 1, 16) || ':00.000Z' AS bucket_start, profile_id, COALESCE(key_id, 0) AS key_id, COALESCE(user_id, 0) AS user_id,
       CASE WHEN error_code IS NULL AND ttft_ms IS NOT NULL THEN ${bucketCase('ttft_ms', TTFT_BOUNDS_MS)} END AS ttft_bucket,
       CASE WHEN error_code IS NULL AND tokens_per_second IS NOT NULL THEN ${bucketCase('tokens_per_second', TPS_BOUNDS)} END AS tps_bucket,
       COUNT(*) AS requests, SUM(error_code IS NOT NULL) AS errors,
       COALESCE(SUM(prompt_tokens), 0) AS prompt_tokens, COALESCE(SUM(cached_tokens), 0) AS cached_tokens, SUM(completion_tokens) AS completion_tokens,
       COALESCE(SUM(CASE WHEN error_code IS NULL THEN ttft_ms END), 0) AS ttft_sum,
       COALESCE(SUM(CASE WHEN error_code IS NULL THEN tokens_per_second END), 0) AS tps_sum
     FROM chat_requests WHERE started_at < ?
     GROUP BY bucket_start, profile_id, key_id, user_id, ttft_bucket, tps_bucket`,
  )
  const deleteRaw = db.query<never, [string]>('DELETE FROM chat_requests WHERE started_at < ?')
  const minuteRows = db.query<RollupRow, [string]>("SELECT * FROM request_rollups WHERE resolution = 'minute' AND bucket_start < ?")
  const deleteRollups = db.query<never, [string, string]>('DELETE FROM request_rollups WHERE resolution = ? AND bucket_start < ?')
  const existing = db.query<RollupRow, [string, string, number, number, number]>(
    'SELECT * FROM request_rollups WHERE resolution = ? AND bucket_start = ? AND profile_id = ? AND key_id = ? AND user_id = ?',
  )
  const upsert = db.query(
    `INSERT OR REPLACE INTO request_rollups (resolution, bucket_start, profile_id, key_id, user_id, requests, errors, prompt_tokens, cached_tokens,
       completion_tokens, ttft_hist, ttft_sum, tps_hist, tps_sum) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  // Samples: averages weighted by how many samples each row holds; the highest values kept.
  const rollStats = db.query<never, [number, string, string, number]>(
    `INSERT INTO server_stats (profile_id, span_seconds, at, samples, cpu_percent, max_cpu_percent, rss_bytes, max_rss_bytes)
     SELECT profile_id, ?1, substr(at, 1, ?4) || ?3, SUM(samples), SUM(cpu_percent * samples) / SUM(samples), MAX(max_cpu_percent),
       SUM(rss_bytes * samples) / SUM(samples), MAX(max_rss_bytes)
     FROM server_stats WHERE span_seconds < ?1 AND at < ?2 GROUP BY profile_id, substr(at, 1, ?4)
     ON CONFLICT (profile_id, span_seconds, at) DO UPDATE SET
       cpu_percent = (cpu_percent * samples + excluded.cpu_percent * excluded.samples) / (samples + excluded.samples),
       rss_bytes = (rss_bytes * samples + excluded.rss_bytes * excluded.samples) / (samples + excluded.samples),
       max_cpu_percent = MAX(max_cpu_percent, excluded.max_cpu_percent),
       max_rss_bytes = MAX(max_rss_bytes, excluded.max_rss_bytes),
       samples = samples + excluded.samples`,
  )
  const deleteStats = db.query<never, [number, string]>('DELETE FROM server_stats WHERE span_seconds < ? AND at < ?')

  const write = (resolution: 'minute' | 'hour', rollups: Iterable<Rollup>) => {
    for (const rollup of rollups) {
      const found = existing.get(resolution, rollup.bucketStart, rollup.profileId, rollup.keyId, rollup.userId)
      // A request that ended after its minute was rolled up joins the rollup already there.
      if (found !== null) merge(rollup, fromRow(found))
      upsert.run(
        resolution,
        rollup.bucketStart,
        rollup.profileId,
        rollup.keyId,
        rollup.userId,
        rollup.requests,
        rollup.errors,
        rollup.promptTokens,
        rollup.cachedTokens,
        rollup.completionTokens,
        JSON.stringify(rollup.ttftHist),
        rollup.ttftSum,
        JSON.stringify(rollup.tpsHist),
        rollup.tpsSum,
      )
    }
  }

  const requestsToMinutes = (before: string) => {
    const rollups = new Map<string, Rollup>()
    for (const group of rawGroups.all(before)) {
      const id = `${group.bucket_start}|${group.profile_id}|${group.key_id}|${group.user_id}`
      let rollup = rollups.get(id)
      if (rollup === undefined) rollups.set(id, (rollup = emptyRollup(group.bucket_start, group.profile_id, group.key_id, group.user_id)))
      rollup.requests += group.requests
      rollup.errors += group.errors
      rollup.promptTokens += group.prompt_tokens
      rollup.cachedTokens += group.cached_tokens
      rollup.completionTokens += group.completion_tokens
      rollup.ttftSum += group.ttft_sum
      rollup.tpsSum += group.tps_sum
      if (group.ttft_bucket !== null) rollup.ttftHist[group.ttft_bucket]! += group.requests
      if (group.tps_bucket !== null) rollup.tpsHist[group.tps_bucket]! += group.requests
    }
    write('minute', rollups.values())
    deleteRaw.run(before)
  }

  const minutesToHours = (before: string) => {
    const rollups = new Map<string, Rollup>()
    for (const row of minuteRows.all(before)) {
      const minute = fromRow(row)
      const hour = `${minute.bucketStart.slice(0, 13)}:00:00.000Z`
      const id = `${hour}|${minute.profileId}|${minute.keyId}|${minute.userId}`
      let rollup = rollups.get(id)
      if (rollup === undefined) rollups.set(id, (rollup = emptyRollup(hour, minute.profileId, minute.keyId, minute.userId)))
      merge(rollup, minute)
    }
    write('hour', rollups.values())
    deleteRollups.run('minute', before)
  }

  return {
    /** One pass as of `nowMs`: each step in its own transaction, so a crash leaves no half-moved bucket. */
    run(policy: RetentionPolicy, nowMs: number): void {
      const at = cutoffs(policy, nowMs)
      db.transaction(() => requestsToMinutes(at.requestRaw))()
      db.transaction(() => minutesToHours(at.requestMinute))()
      db.transaction(() => deleteRollups.run('hour', at.retention))()
      db.transaction(() => {
        rollStats.run(60, at.statsRaw, ':00.000Z', 16)
        deleteStats.run(60, at.statsRaw)
      })()
      db.transaction(() => {
        rollStats.run(3600, at.statsMinute, ':00:00.000Z', 13)
        deleteStats.run(3600, at.statsMinute)
      })()
      db.transaction(() => db.query<never, [string]>('DELETE FROM server_stats WHERE at < ?').run(at.retention))()
    },
  }
}

export type Retention = ReturnType<typeof createRetention>

/** Runs the retention pass now and then every `everyMs`, reading the time from `now` (a seam for tests). */
export class RetentionTimer {
  private timer: ReturnType<typeof setInterval> | null = null

  constructor(
    private readonly pass: () => void,
    private readonly everyMs: number,
    private readonly logger: Pick<Console, 'error'> = console,
  ) {}

  start(): void {
    if (this.timer !== null) return
    this.tick()
    this.timer = setInterval(() => this.tick(), this.everyMs)
    this.timer.unref?.()
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private tick(): void {
    try {
      this.pass()
    } catch (error) {
      this.logger.error(error)
    }
  }
}
