import type { RequestStatusFilter } from '../../../../shared/observability'
import { isRange, rangeWindow, type RangeValue } from '../usage/ranges'

/** What the request log is narrowed to; null means any. */
export interface RequestFilters {
  range: RangeValue
  profileId: number | null
  keyId: number | null
  userId: number | null
  status: RequestStatusFilter | null
}

export const NO_FILTERS: RequestFilters = { range: '24h', profileId: null, keyId: null, userId: null, status: null }

/** The chosen profile, key, user and status as strings; those left at "any" are left out. */
function chosen(filters: RequestFilters): Record<string, string> {
  const picked: Record<string, string> = {}
  if (filters.profileId !== null) picked.profileId = String(filters.profileId)
  if (filters.keyId !== null) picked.keyId = String(filters.keyId)
  if (filters.userId !== null) picked.userId = String(filters.userId)
  if (filters.status !== null) picked.status = String(filters.status)
  return picked
}

/** The query `GET /api/requests` takes for these filters, as strings (also the export link's). */
export function requestQuery(filters: RequestFilters, now: number): Record<string, string> {
  const { from, to } = rangeWindow(filters.range, now)
  return { from, to, ...chosen(filters) }
}

/** The address that downloads every matching request as CSV or JSON (the session cookie goes along). */
export function exportUrl(filters: RequestFilters, format: 'csv' | 'json', now: number): string {
  return `/api/requests?${new URLSearchParams({ ...requestQuery(filters, now), format }).toString()}`
}

/** "429" → 429, "ok"/"error" as they are; anything else is no filter. */
export function parseStatus(value: string | null): RequestStatusFilter | null {
  if (value === 'ok' || value === 'error') return value
  return value !== null && /^[1-5]\d\d$/.test(value) ? Number(value) : null
}

/** An id in the page's address: a whole number (0 is a profile filter's "no matching profile"). */
function addressId(value: unknown): number | null {
  return typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : null
}

const ADDRESS_FIELDS = ['range', 'profileId', 'keyId', 'userId', 'status'] as const

/**
 * The filters a link opens the log with (`/requests?keyId=3&status=error`), or null when the
 * address names none. A value that cannot be read is no filter rather than an error page.
 */
export function filtersFromAddress(query: Record<string, unknown>): RequestFilters | null {
  if (!ADDRESS_FIELDS.some((field) => query[field] !== undefined)) return null
  const status = typeof query.status === 'string' ? parseStatus(query.status) : null
  return {
    range: isRange(query.range) ? query.range : NO_FILTERS.range,
    profileId: addressId(query.profileId),
    keyId: addressId(query.keyId),
    userId: addressId(query.userId),
    status,
  }
}

/** The page's address for these filters: only what differs from none, so a plain log keeps a plain address. */
export function addressOf(filters: RequestFilters): Record<string, string> {
  return { ...(filters.range === NO_FILTERS.range ? {} : { range: filters.range }), ...chosen(filters) }
}
