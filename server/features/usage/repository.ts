import type { Database } from 'bun:sqlite'
import type { RequestLogRow } from '../../../shared/observability'
import { recordOfRow, type RequestRow } from '../metrics/repository'
import type { Cursor } from './parse'

export interface RequestFilter {
  from?: string
  to?: string
  profileId?: number
  keyId?: number
  userId?: number
  status?: 'ok' | 'error' | number
}

/** A request row with its id and the names the log joins in. */
interface LogRow extends RequestRow {
  id: number
  profile_name: string | null
  user_email: string | null
  key_name: string | null
}

const toLogRow = (row: LogRow): RequestLogRow => ({
  ...recordOfRow(row),
  id: row.id,
  profileName: row.profile_name,
  userEmail: row.user_email,
  keyName: row.key_name,
})

/**
 * A raw request as usage reads it, as a plain array (a million rows read as arrays take half the
 * time of objects): started_at, profile_id, key_id, user_id, failed (0/1), prompt_tokens,
 * cached_tokens, completion_tokens, ttft_ms, tokens_per_second.
 */
export type UsageSourceRow = [string, number, number | null, number | null, number, number | null, number | null, number, number | null, number | null]

/** A row of `request_rollups`: one bucket of requests per profile, key and user (0 for none). */
export interface RequestRollupRow {
  resolution: 'minute' | 'hour'
  bucket_start: string
  profile_id: number
  key_id: number
  user_id: number
  requests: number
  errors: number
  prompt_tokens: number
  cached_tokens: number
  completion_tokens: number
  /** JSON arrays of counts over the fixed histogram bounds. */
  ttft_hist: string
  ttft_sum: number
  tps_hist: string
  tps_sum: number
}

/** What usage reads of a rollup (the sums feed only the counters). */
export type RollupSourceRow = Omit<RequestRollupRow, 'ttft_sum' | 'tps_sum'>

export interface StatRow {
  at: string
  span_seconds: number
  samples: number
  cpu_percent: number
  max_cpu_percent: number
  rss_bytes: number
  max_rss_bytes: number
}

/** Reads of the request table, its rollups and the server samples. */
export function createUsageRepository(db: Database) {
  const usageRaw = (userId: number | undefined) =>
    db.query(
      `SELECT started_at, profile_id, key_id, user_id, error_code IS NOT NULL AS failed, prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_second
       FROM chat_requests WHERE started_at >= ? AND started_at < ?${userId === undefined ? '' : ' AND user_id = ?'}`,
    )
  const usageRollups = (userId: number | undefined) =>
    db.query<RollupSourceRow, (string | number)[]>(
      `SELECT resolution, bucket_start, profile_id, key_id, user_id, requests, errors, prompt_tokens, cached_tokens, completion_tokens, ttft_hist, tps_hist
       FROM request_rollups WHERE resolution = ? AND bucket_start >= ? AND bucket_start < ?${userId === undefined ? '' : ' AND user_id = ?'}`,
    )
  return {
    /**
     * One page of the request log, newest first. The keyset (started_at, id) walks an index on
     * started_at (or on user, profile or key then started_at), so a page costs the same on the first
     * or the millionth row.
     */
    page(filter: RequestFilter, cursor: Cursor | undefined, limit: number): RequestLogRow[] {
      const where: string[] = []
      const params: (string | number)[] = []
      const and = (sql: string, ...values: (string | number)[]) => {
        where.push(sql)
        params.push(...values)
      }
      if (filter.from !== undefined) and('r.started_at >= ?', filter.from)
      if (filter.to !== undefined) and('r.started_at < ?', filter.to)
      if (filter.profileId !== undefined) and('r.profile_id = ?', filter.profileId)
      if (filter.keyId !== undefined) and('r.key_id = ?', filter.keyId)
      if (filter.userId !== undefined) and('r.user_id = ?', filter.userId)
      if (filter.status === 'ok') and('r.error_code IS NULL')
      else if (filter.status === 'error') and('r.error_code IS NOT NULL')
      else if (filter.status !== undefined) and('r.status = ?', filter.status)
      if (cursor !== undefined) and('(r.started_at, r.id) < (?, ?)', cursor.startedAt, cursor.id)
      params.push(limit)
      // The statement text depends only on which filters are set, so bun:sqlite's cache reuses it.
      return db
        .query<LogRow, (string | number)[]>(
          `SELECT r.id, r.started_at, r.profile_id, p.name AS profile_name, r.model, r.user_id, u.email AS user_email, r.key_id, k.name AS key_name,
             r.endpoint, r.status, r.ttft_ms, r.prompt_tokens, r.cached_tokens, r.completion_tokens, r.tokens_per_second, r.total_ms, r.error_code, r.error_message
           FROM chat_requests r
           LEFT JOIN profiles p ON p.id = r.profile_id LEFT JOIN users u ON u.id = r.user_id LEFT JOIN api_keys k ON k.id = r.key_id
           ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
           ORDER BY r.started_at DESC, r.id DESC LIMIT ?`,
        )
        .all(...params)
        .map(toLogRow)
    },
    raw: (from: string, to: string, userId?: number): UsageSourceRow[] =>
      (userId === undefined ? usageRaw(undefined).values(from, to) : usageRaw(userId).values(from, to, userId)) as unknown as UsageSourceRow[],
    rollups: (resolution: 'minute' | 'hour', from: string, to: string, userId?: number): RollupSourceRow[] =>
      userId === undefined ? usageRollups(undefined).all(resolution, from, to) : usageRollups(userId).all(resolution, from, to, userId),
    /** Names for usage labels: small tables, read whole once per query. */
    names() {
      const map = (sql: string) => new Map(db.query<{ id: number; name: string }, []>(sql).all().map((row) => [row.id, row.name]))
      return {
        profiles: map('SELECT id, name FROM profiles'),
        keys: map('SELECT id, name FROM api_keys'),
        users: map('SELECT id, email AS name FROM users'),
      }
    },
    /** Samples of one server that overlap [from, to): each row covers [at, at + span). */
    stats(profileId: number, from: string, to: string, earliest: string): StatRow[] {
      return db
        .query<StatRow, [number, string, string]>(
          `SELECT at, span_seconds, samples, cpu_percent, max_cpu_percent, rss_bytes, max_rss_bytes FROM server_stats
           WHERE profile_id = ? AND at >= ? AND at < ? ORDER BY at, span_seconds`,
        )
        .all(profileId, earliest, to)
        .filter((row) => Date.parse(row.at) + row.span_seconds * 1000 > Date.parse(from))
    },
  }
}

export type UsageRepository = ReturnType<typeof createUsageRepository>
