import type { Database } from 'bun:sqlite'
import type { RequestEndpoint, RequestRecord } from '../../../shared/observability'

export type { RequestEndpoint }

/** One request as the proxy measured it (the shared type, by the name the server has used). */
export type ChatRequestRecord = RequestRecord

/** A row of `chat_requests`, as SQLite gives it. */
export interface RequestRow {
  profile_id: number
  model: string
  started_at: string
  user_id: number | null
  key_id: number | null
  endpoint: RequestEndpoint
  status: number
  ttft_ms: number | null
  prompt_tokens: number | null
  cached_tokens: number | null
  completion_tokens: number
  tokens_per_second: number | null
  total_ms: number
  error_code: string | null
  error_message: string | null
}

export const recordOfRow = (row: RequestRow): ChatRequestRecord => ({
  profileId: row.profile_id,
  model: row.model,
  startedAt: row.started_at,
  userId: row.user_id,
  keyId: row.key_id,
  endpoint: row.endpoint,
  status: row.status,
  timeToFirstTokenMs: row.ttft_ms,
  promptTokens: row.prompt_tokens,
  cachedTokens: row.cached_tokens,
  completionTokens: row.completion_tokens,
  tokensPerSecond: row.tokens_per_second,
  totalMs: row.total_ms,
  errorCode: row.error_code,
  errorMessage: row.error_message,
})

export function createMetricsRepository(db: Database) {
  const insert = db.query(
    `INSERT INTO chat_requests (profile_id, model, started_at, user_id, key_id, endpoint, status, ttft_ms, prompt_tokens, cached_tokens,
       completion_tokens, tokens_per_second, total_ms, error_code, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const all = db.query<RequestRow, []>('SELECT * FROM chat_requests ORDER BY id')
  const keyTokens = db.query<{ tokens: number }, [number, string]>(
    'SELECT COALESCE(SUM(COALESCE(prompt_tokens, 0) + completion_tokens), 0) AS tokens FROM chat_requests WHERE key_id = ? AND started_at >= ?',
  )
  const add = (record: ChatRequestRecord): void => {
    insert.run(
        record.profileId,
        record.model,
        record.startedAt,
        record.userId,
        record.keyId,
        record.endpoint,
        record.status,
        record.timeToFirstTokenMs,
        record.promptTokens,
        record.cachedTokens,
        record.completionTokens,
        record.tokensPerSecond,
        record.totalMs,
        record.errorCode,
        record.errorMessage,
    )
  }
  // One transaction per batch: one journal sync for many rows instead of one each.
  const addMany = db.transaction((records: ChatRequestRecord[]) => {
    for (const record of records) add(record)
  })
  return {
    add,
    addMany: (records: ChatRequestRecord[]): void => addMany(records),
    list: (): ChatRequestRecord[] => all.all().map(recordOfRow),
    /** Prompt and completion tokens a key used from `since` (an ISO time) on. */
    keyTokensSince: (keyId: number, since: string): number => keyTokens.get(keyId, since)?.tokens ?? 0,
  }
}

export type MetricsRepository = ReturnType<typeof createMetricsRepository>

/** SQL that gives the histogram bucket (as in ./histogram) a column's value falls in. */
export function bucketCase(column: string, bounds: readonly number[]): string {
  return `CASE ${bounds.map((bound, i) => `WHEN ${column} <= ${bound} THEN ${i}`).join(' ')} ELSE ${bounds.length} END`
}
