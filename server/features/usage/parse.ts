import { NO_PROFILE, OBSERVABILITY_LIMITS, USAGE_BUCKETS, USAGE_GROUPS, type RequestStatusFilter, type UsageBucket, type UsageGroupBy } from '../../../shared/observability'
import { badRequest } from '../../http/errors'
import { BUCKET_MS, HOUR_MS } from './time'

export type Query = Record<string, string | undefined>

/** Refuses parameters the endpoint does not know, so a typo (`groupby`) is not silently ignored. */
export function onlyKnown(query: Query, known: readonly string[]): void {
  for (const name of Object.keys(query)) {
    if (!known.includes(name)) throw badRequest('unknown-parameter', `Unknown query parameter "${name}". This endpoint takes ${known.join(', ')}.`)
  }
}

/** An ISO 8601 time with a zone (2026-01-31T08:00:00Z) or epoch milliseconds; undefined when absent. */
export function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined
  const trimmed = raw.trim()
  const ms = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(trimmed) ? Date.parse(trimmed) : Number.NaN
  if (!Number.isFinite(ms)) {
    throw badRequest('invalid-time', `${name} must be an ISO 8601 time with its zone (such as 2026-01-31T08:00:00Z) or epoch milliseconds, not "${raw}".`)
  }
  return ms
}

/** `from` and `to` with their defaults (`to` now, `from` `defaultSpanMs` before it); `from` must come first. */
export function parseRange(query: Query, nowMs: number, defaultSpanMs: number): { fromMs: number; toMs: number } {
  const toMs = parseTime(query.to, 'to') ?? nowMs
  const fromMs = parseTime(query.from, 'from') ?? toMs - defaultSpanMs
  if (fromMs >= toMs) throw badRequest('invalid-range', 'from must be earlier than to.')
  return { fromMs, toMs }
}

/** An id from a query; `lowest` is 0 where 0 means something (a profile filter's NO_PROFILE). */
export function parseId(raw: string | undefined, name: string, lowest: 0 | 1 = 1): number | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^\d{1,12}$/.test(raw.trim()) || Number(raw) < lowest) {
    throw badRequest('invalid-id', `${name} must be a ${lowest === 1 ? 'positive whole number' : 'whole number'}, not "${raw}".`)
  }
  return Number(raw)
}

function oneOf<T extends string>(raw: string | undefined, allowed: readonly T[], fallback: T, name: string): T {
  if (raw === undefined || raw === '') return fallback
  if (!(allowed as readonly string[]).includes(raw)) throw badRequest(`invalid-${name.toLowerCase()}`, `${name} must be one of ${allowed.join(', ')}, not "${raw}".`)
  return raw as T
}

export function parseUsageQuery(query: Query, nowMs: number) {
  onlyKnown(query, ['from', 'to', 'bucket', 'groupBy'])
  const { fromMs, toMs } = parseRange(query, nowMs, 24 * HOUR_MS)
  const bucket: UsageBucket = oneOf(query.bucket, USAGE_BUCKETS, 'hour', 'bucket')
  const groupBy: UsageGroupBy = oneOf(query.groupBy, USAGE_GROUPS, 'profile', 'groupBy')
  const buckets = Math.ceil((toMs - fromMs) / BUCKET_MS[bucket])
  if (buckets > OBSERVABILITY_LIMITS.usageBucketsMax) {
    throw badRequest(
      'too-many-buckets',
      `That range holds ${buckets} ${bucket}s; at most ${OBSERVABILITY_LIMITS.usageBucketsMax} fit in one answer. Choose a coarser bucket or a shorter range.`,
    )
  }
  return { fromMs, toMs, bucket, groupBy }
}

export function parseStatus(raw: string | undefined): RequestStatusFilter | undefined {
  if (raw === undefined || raw === '') return undefined
  if (raw === 'ok' || raw === 'error') return raw
  if (/^[1-5]\d\d$/.test(raw)) return Number(raw)
  throw badRequest('invalid-status', `status must be ok, error or an HTTP status such as 429, not "${raw}".`)
}

/** The position after which the next page starts: the last row's start time and id, opaque to clients. */
export interface Cursor {
  startedAt: string
  id: number
}

export const encodeCursor = (cursor: Cursor): string => Buffer.from(`${cursor.startedAt}|${cursor.id}`).toString('base64url')

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === '') return undefined
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(\d{1,15})$/.exec(Buffer.from(raw, 'base64url').toString())
  if (match === null) throw badRequest('invalid-cursor', 'cursor must be a nextCursor from an earlier page of this list; start again without one.')
  return { startedAt: match[1]!, id: Number(match[2]) }
}

export function parseRequestsQuery(query: Query) {
  onlyKnown(query, ['from', 'to', 'profileId', 'keyId', 'userId', 'status', 'cursor', 'limit', 'format'])
  const fromMs = parseTime(query.from, 'from')
  const toMs = parseTime(query.to, 'to')
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw badRequest('invalid-range', 'from must be earlier than to.')
  let limit: number = OBSERVABILITY_LIMITS.pageDefault
  if (query.limit !== undefined && query.limit !== '') {
    if (!/^\d{1,4}$/.test(query.limit) || Number(query.limit) < 1 || Number(query.limit) > OBSERVABILITY_LIMITS.pageMax) {
      throw badRequest('invalid-limit', `limit must be a whole number from 1 to ${OBSERVABILITY_LIMITS.pageMax}, not "${query.limit}".`)
    }
    limit = Number(query.limit)
  }
  const format = query.format === undefined || query.format === '' ? undefined : oneOf(query.format, ['csv', 'json'] as const, 'json', 'format')
  return {
    from: fromMs === undefined ? undefined : new Date(fromMs).toISOString(),
    to: toMs === undefined ? undefined : new Date(toMs).toISOString(),
    // 0 (NO_PROFILE) picks the requests whose model named no profile the key may use.
    profileId: parseId(query.profileId, 'profileId', NO_PROFILE),
    keyId: parseId(query.keyId, 'keyId'),
    userId: parseId(query.userId, 'userId'),
    status: parseStatus(query.status),
    cursor: decodeCursor(query.cursor),
    limit,
    format,
  }
}

export type RequestsQuery = ReturnType<typeof parseRequestsQuery>
