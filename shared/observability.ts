/**
 * History of what the models did: usage per bucket, the request log, server CPU and memory
 * samples, and the home dashboard's summary. Every time is an ISO 8601 string in UTC; buckets
 * (minute, hour, day) start on UTC boundaries.
 */

/** Which API a request came through: the manager's own chat, or one of the gateway's. */
export const REQUEST_ENDPOINTS = ['chat', 'chat/completions', 'completions', 'embeddings', 'messages'] as const
export type RequestEndpoint = (typeof REQUEST_ENDPOINTS)[number]

export const USAGE_BUCKETS = ['minute', 'hour', 'day'] as const
export type UsageBucket = (typeof USAGE_BUCKETS)[number]

export const USAGE_GROUPS = ['profile', 'key', 'user'] as const
export type UsageGroupBy = (typeof USAGE_GROUPS)[number]

export const OBSERVABILITY_LIMITS = {
  /** The most rows one request-log page holds (`limit`), and its default. */
  pageMax: 500,
  pageDefault: 100,
  /** The most buckets one usage answer may span (e.g. 30 days of minutes is too many: use hours). */
  usageBucketsMax: 10_000,
  /** The most points one stats answer may hold; longer ranges read coarser rollups. */
  statsPointsMax: 5_000,
  /** How many of the newest requests the dashboard lists. */
  dashboardRecent: 10,
} as const

/**
 * `GET /api/usage?from&to&bucket&groupBy`: one row per bucket and group that had requests.
 * `from` defaults to 24 hours before `to`; `to` to now; `bucket` to hour; `groupBy` to profile.
 */
export interface UsageRow {
  /** Start of the bucket. */
  bucketStart: string
  /**
   * The profile, API key or user id, as `groupBy` says. null: requests without one (the
   * manager's own chat has no key; requests recorded before accounts existed have no user).
   */
  groupId: number | null
  /** A name for the group: the profile's name, the key's name, the user's email; null when gone or none. */
  label: string | null
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  /** Over successful requests only; null when none reported one. */
  medianTimeToFirstTokenMs: number | null
  p95TimeToFirstTokenMs: number | null
  medianTokensPerSecond: number | null
  /**
   * True when some of the bucket's requests are older than the raw records kept, so its medians and
   * p95 are estimated from the rollups' fixed histograms (counts and token sums stay exact).
   */
  approximate: boolean
}

export interface UsageResponse {
  from: string
  to: string
  bucket: UsageBucket
  groupBy: UsageGroupBy
  /** Ascending by bucketStart, then groupId (null first). */
  rows: UsageRow[]
}

/**
 * The profile id of a gateway request whose `model` named no profile its key may use (unknown, not
 * allowed for the key, or ambiguous): recorded so a misconfigured client shows in the log, with
 * the name it asked for as `model`. Profile ids start at 1.
 */
export const NO_PROFILE = 0
/** How usage and the request log name NO_PROFILE. */
export const NO_PROFILE_LABEL = 'No matching profile'

/** One request to a model as the manager measured it: metadata only, never prompt or answer text. */
export interface RequestRecord {
  /** The profile that answered, or NO_PROFILE when the request named none the key may use. */
  profileId: number
  /** The model the profile serves; for NO_PROFILE, the name the client asked for. */
  model: string
  startedAt: string
  /** Who asked; null only for requests recorded before accounts were kept here. */
  userId: number | null
  /** The API key it came with; null for the manager's own chat. */
  keyId: number | null
  endpoint: RequestEndpoint
  /** The HTTP status the client got (499 when the client went away first). */
  status: number
  timeToFirstTokenMs: number | null
  promptTokens: number | null
  /** Prompt tokens the engine answered from its cache, where it says so. */
  cachedTokens: number | null
  completionTokens: number
  tokensPerSecond: number | null
  totalMs: number
  errorCode: string | null
  errorMessage: string | null
}

/** One request in the log: its record, its row id, and the names of who and what it was for. */
export interface RequestLogRow extends RequestRecord {
  id: number
  /** The profile's name now; null when it was deleted. */
  profileName: string | null
  /** The user's email now; null when unknown or deleted. */
  userEmail: string | null
  /** The key's name now; null for chat (no key) or a deleted key. */
  keyName: string | null
}

/** Status filter of the request log: `ok` (no error), `error` (any error), or one HTTP status such as 429. */
export type RequestStatusFilter = 'ok' | 'error' | number

/**
 * `GET /api/requests?from&to&profileId&keyId&userId&status&cursor&limit`: newest first.
 * Pass `nextCursor` back as `cursor` for the next (older) page; null on the last page.
 * `format=csv|json` downloads every matching row (up to the retention) as an attachment instead.
 */
export interface RequestLogPage {
  rows: RequestLogRow[]
  nextCursor: string | null
}

/** The CSV export's columns, in order (the header row); values as in RequestLogRow, empty for null. */
export const REQUEST_CSV_COLUMNS = [
  'id',
  'startedAt',
  'profileId',
  'profileName',
  'model',
  'userId',
  'userEmail',
  'keyId',
  'keyName',
  'endpoint',
  'status',
  'timeToFirstTokenMs',
  'promptTokens',
  'cachedTokens',
  'completionTokens',
  'tokensPerSecond',
  'totalMs',
  'errorCode',
  'errorMessage',
] as const satisfies readonly (keyof RequestLogRow)[]

/**
 * One point of a server's CPU and memory. Raw samples cover one sampling interval; older ones are
 * rolled up to a minute, then an hour, each keeping the average and the highest value seen.
 */
export interface ServerStatPoint {
  /** Start of the span the point covers. */
  at: string
  /** How many seconds the point covers (the sampling interval for raw samples, 60, or 3600). */
  spanSeconds: number
  /** CPU use of the whole process tree, 100 = one core; the average over the span. */
  cpuPercent: number
  maxCpuPercent: number
  /** Resident memory of the whole process tree in bytes; the average over the span. */
  rssBytes: number
  maxRssBytes: number
}

/** `GET /api/servers/:profileId/stats?from&to`: ascending by `at`; `from` defaults to an hour before `to`. */
export interface ServerStatsHistory {
  profileId: number
  from: string
  to: string
  points: ServerStatPoint[]
}

/**
 * `GET /api/dashboard?since`: requests and tokens since `since` (default: UTC midnight today;
 * pass the local midnight to count a local day), and the newest requests. Members: their own.
 * Refresh it on `chat.metrics` events, which follow every recorded request.
 */
export interface DashboardSummary {
  since: string
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
  medianTimeToFirstTokenMs: number | null
  medianTokensPerSecond: number | null
  /** Newest first, at most OBSERVABILITY_LIMITS.dashboardRecent. */
  recent: RequestLogRow[]
}
