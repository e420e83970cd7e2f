import type { RequestStatusFilter } from '../../../../shared/observability'
import { rangeWindow, type RangeValue } from '../usage/ranges'

/** What the request log is narrowed to; null means any. */
export interface RequestFilters {
  range: RangeValue
  profileId: number | null
  keyId: number | null
  userId: number | null
  status: RequestStatusFilter | null
}

export const NO_FILTERS: RequestFilters = { range: '24h', profileId: null, keyId: null, userId: null, status: null }

/** The query `GET /api/requests` takes for these filters, as strings (also the export link's). */
export function requestQuery(filters: RequestFilters, now: number): Record<string, string> {
  const { from, to } = rangeWindow(filters.range, now)
  const query: Record<string, string> = { from, to }
  if (filters.profileId !== null) query.profileId = String(filters.profileId)
  if (filters.keyId !== null) query.keyId = String(filters.keyId)
  if (filters.userId !== null) query.userId = String(filters.userId)
  if (filters.status !== null) query.status = String(filters.status)
  return query
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
