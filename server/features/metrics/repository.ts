import type { Database } from 'bun:sqlite'

/** One chat request as the proxy measured it. */
export interface ChatRequestRecord {
  profileId: number
  model: string
  startedAt: string
  timeToFirstTokenMs: number | null
  promptTokens: number | null
  completionTokens: number
  tokensPerSecond: number | null
  totalMs: number
  errorCode: string | null
  errorMessage: string | null
}

interface Row {
  profile_id: number
  model: string
  started_at: string
  ttft_ms: number | null
  prompt_tokens: number | null
  completion_tokens: number
  tokens_per_second: number | null
  total_ms: number
  error_code: string | null
  error_message: string | null
}

const fromRow = (row: Row): ChatRequestRecord => ({
  profileId: row.profile_id,
  model: row.model,
  startedAt: row.started_at,
  timeToFirstTokenMs: row.ttft_ms,
  promptTokens: row.prompt_tokens,
  completionTokens: row.completion_tokens,
  tokensPerSecond: row.tokens_per_second,
  totalMs: row.total_ms,
  errorCode: row.error_code,
  errorMessage: row.error_message,
})

export function createMetricsRepository(db: Database) {
  const insert = db.query(
    `INSERT INTO chat_requests (profile_id, model, started_at, ttft_ms, prompt_tokens, completion_tokens, tokens_per_second, total_ms, error_code, error_message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const all = db.query<Row, []>('SELECT * FROM chat_requests ORDER BY id')
  return {
    add(record: ChatRequestRecord): void {
      insert.run(
        record.profileId,
        record.model,
        record.startedAt,
        record.timeToFirstTokenMs,
        record.promptTokens,
        record.completionTokens,
        record.tokensPerSecond,
        record.totalMs,
        record.errorCode,
        record.errorMessage,
      )
    },
    list: (): ChatRequestRecord[] => all.all().map(fromRow),
  }
}

export type MetricsRepository = ReturnType<typeof createMetricsRepository>
