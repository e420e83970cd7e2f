import type { DashboardSummary, RequestLogPage, RequestLogRow, ServerStatPoint, ServerStatsHistory, UsageResponse } from '../../../shared/observability'
import { NO_PROFILE, NO_PROFILE_LABEL, OBSERVABILITY_LIMITS, REQUEST_CSV_COLUMNS } from '../../../shared/observability'
import type { Profile } from '../../../shared/profiles'
import { badRequest, forbidden } from '../../http/errors'
import { hiddenProfile, mayUse, type Viewer } from '../access/viewer'
import { sortedMedian } from '../metrics/histogram'
import { UsageAggregate } from './aggregate'
import { encodeCursor, onlyKnown, parseRange, parseRequestsQuery, parseTime, parseUsageQuery, type Query, type RequestsQuery } from './parse'
import type { RequestFilter, StatRow, UsageRepository } from './repository'
import { bucketStart, DAY_MS, floorTo, HOUR_MS, iso, MINUTE_MS } from './time'

export interface UsageServiceDeps {
  repo: UsageRepository
  /** Writes requests still waiting in the recording queue, so reads include them. */
  flush: () => void
  profiles: { find(id: number): Pick<Profile, 'id' | 'availableToMembers'> | null }
  now?: () => Date
}

/** How many rows an export reads per statement. */
const EXPORT_PAGE = 1000

/** A CSV field: quoted when it holds a quote, comma or line break; text a spreadsheet would run as a formula starts with '. */
export function csvField(value: string | number | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

const csvLine = (row: RequestLogRow) => `${REQUEST_CSV_COLUMNS.map((column) => csvField(row[column])).join(',')}\r\n`

/** Usage per bucket, the request log and its exports, the dashboard, and server samples. Members see their own. */
export class UsageService {
  private readonly now: () => Date

  constructor(private readonly deps: UsageServiceDeps) {
    this.now = deps.now ?? (() => new Date())
  }

  usage(viewer: Viewer, query: Query): UsageResponse {
    const { fromMs, toMs, bucket, groupBy } = parseUsageQuery(query, this.now().getTime())
    this.deps.flush()
    const from = iso(fromMs)
    const to = iso(toMs)
    const own = viewer.isAdmin ? undefined : viewer.id
    const aggregate = new UsageAggregate(bucket, groupBy)
    // Every request lives in one tier at a time (raw, minute or hour), so reading all three counts each once.
    for (const row of this.deps.repo.raw(from, to, own)) aggregate.addRaw(row)
    for (const row of this.deps.repo.rollups('minute', iso(floorTo(fromMs, MINUTE_MS)), to, own)) aggregate.addRollup(row)
    for (const row of this.deps.repo.rollups('hour', iso(floorTo(fromMs, HOUR_MS)), to, own)) aggregate.addRollup(row)
    const names = this.deps.repo.names()
    names.profiles.set(NO_PROFILE, NO_PROFILE_LABEL)
    const labels = groupBy === 'profile' ? names.profiles : groupBy === 'key' ? names.keys : names.users
    return { from, to, bucket, groupBy, rows: aggregate.rows((groupId) => (groupId === null ? null : (labels.get(groupId) ?? null))) }
  }

  /** The parsed query and the filter a viewer may use: members only their own requests. */
  requestQuery(viewer: Viewer, query: Query): { parsed: RequestsQuery; filter: RequestFilter } {
    const parsed = parseRequestsQuery(query)
    if (!viewer.isAdmin && parsed.userId !== undefined && parsed.userId !== viewer.id) {
      throw forbidden('own-requests-only', 'Members see only their own requests. Leave userId out, or ask an administrator.')
    }
    const filter: RequestFilter = {
      from: parsed.from,
      to: parsed.to,
      profileId: parsed.profileId,
      keyId: parsed.keyId,
      userId: viewer.isAdmin ? parsed.userId : viewer.id,
      status: parsed.status,
    }
    return { parsed, filter }
  }

  page(viewer: Viewer, query: Query): RequestLogPage {
    const { parsed, filter } = this.requestQuery(viewer, query)
    this.deps.flush()
    // One row more than asked says whether another page follows.
    const rows = this.deps.repo.page(filter, parsed.cursor, parsed.limit + 1)
    const more = rows.length > parsed.limit
    if (more) rows.pop()
    const last = rows.at(-1)
    return { rows, nextCursor: more && last !== undefined ? encodeCursor({ startedAt: last.startedAt, id: last.id }) : null }
  }

  /** Every matching request (from `cursor` on, newest first), streamed a thousand rows at a time. */
  export(viewer: Viewer, query: Query, format: 'csv' | 'json'): ReadableStream<Uint8Array> {
    const { parsed, filter } = this.requestQuery(viewer, query)
    this.deps.flush()
    const repo = this.deps.repo
    const encoder = new TextEncoder()
    let cursor = parsed.cursor
    let first = true
    let done = false
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (done) return
        let text = ''
        if (first) text += format === 'csv' ? `${REQUEST_CSV_COLUMNS.join(',')}\r\n` : '['
        const rows = repo.page(filter, cursor, EXPORT_PAGE)
        for (const row of rows) {
          text += format === 'csv' ? csvLine(row) : `${first ? '' : ','}\n${JSON.stringify(row)}`
          first = false
        }
        first = false
        const last = rows.at(-1)
        if (rows.length < EXPORT_PAGE || last === undefined) {
          if (format === 'json') text += '\n]\n'
          done = true
          controller.enqueue(encoder.encode(text))
          controller.close()
          return
        }
        cursor = { startedAt: last.startedAt, id: last.id }
        controller.enqueue(encoder.encode(text))
      },
    })
  }

  dashboard(viewer: Viewer, query: Query): DashboardSummary {
    onlyKnown(query, ['since'])
    const nowMs = this.now().getTime()
    const sinceMs = parseTime(query.since, 'since') ?? Date.parse(bucketStart(iso(nowMs), 'day'))
    if (sinceMs > nowMs) throw badRequest('invalid-range', 'since must not be in the future.')
    if (sinceMs < nowMs - 2 * DAY_MS) throw badRequest('invalid-range', 'since must be within the last 48 hours; use /api/usage for longer ranges.')
    this.deps.flush()
    const since = iso(sinceMs)
    const own = viewer.isAdmin ? undefined : viewer.id
    let requests = 0
    let errors = 0
    let promptTokens = 0
    let cachedTokens = 0
    let completionTokens = 0
    const ttft: number[] = []
    const tps: number[] = []
    for (const [, , , , failed, prompt, cached, completion, ttftMs, tokensPerSecond] of this.deps.repo.raw(since, iso(nowMs + 1), own)) {
      requests++
      promptTokens += prompt ?? 0
      cachedTokens += cached ?? 0
      completionTokens += completion
      if (failed === 1) errors++
      else {
        if (ttftMs !== null) ttft.push(ttftMs)
        if (tokensPerSecond !== null) tps.push(tokensPerSecond)
      }
    }
    return {
      since,
      requests,
      errors,
      promptTokens,
      cachedTokens,
      completionTokens,
      medianTimeToFirstTokenMs: sortedMedian(ttft.sort((a, b) => a - b)),
      medianTokensPerSecond: sortedMedian(tps.sort((a, b) => a - b)),
      recent: this.deps.repo.page({ userId: own }, undefined, OBSERVABILITY_LIMITS.dashboardRecent),
    }
  }

  stats(viewer: Viewer, profileId: number, query: Query): ServerStatsHistory {
    const profile = this.deps.profiles.find(profileId)
    if (profile === null || !mayUse(viewer, profile)) throw hiddenProfile(profileId)
    onlyKnown(query, ['from', 'to'])
    const { fromMs, toMs } = parseRange(query, this.now().getTime(), HOUR_MS)
    const rows = this.deps.repo.stats(profileId, iso(fromMs), iso(toMs), iso(floorTo(fromMs, HOUR_MS)))
    // The finest resolution that keeps the answer within its size: raw, then minutes, then hours.
    const spanMs = toMs - fromMs
    const windowSeconds = rows.reduce((least, row) => Math.min(least, row.span_seconds), 60)
    const target = [windowSeconds, 60, 3600].find((seconds) => spanMs / (seconds * 1000) <= OBSERVABILITY_LIMITS.statsPointsMax) ?? 86_400
    return { profileId, from: iso(fromMs), to: iso(toMs), points: coarsen(rows, target) }
  }
}

/** Merges rows into spans of at least `seconds`, averages weighted by their samples. */
function coarsen(rows: StatRow[], seconds: number): ServerStatPoint[] {
  const points = new Map<number, { row: StatRow; weight: number; cpu: number; rss: number }>()
  for (const row of rows) {
    const span = Math.max(seconds, row.span_seconds)
    const start = floorTo(Date.parse(row.at), span * 1000)
    const point = points.get(start)
    if (point === undefined) {
      points.set(start, { row: { ...row, at: iso(start), span_seconds: span }, weight: row.samples, cpu: row.cpu_percent * row.samples, rss: row.rss_bytes * row.samples })
      continue
    }
    point.weight += row.samples
    point.cpu += row.cpu_percent * row.samples
    point.rss += row.rss_bytes * row.samples
    point.row.span_seconds = Math.max(point.row.span_seconds, span)
    point.row.max_cpu_percent = Math.max(point.row.max_cpu_percent, row.max_cpu_percent)
    point.row.max_rss_bytes = Math.max(point.row.max_rss_bytes, row.max_rss_bytes)
  }
  return [...points.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, point]) => ({
      at: point.row.at,
      spanSeconds: point.row.span_seconds,
      cpuPercent: point.cpu / point.weight,
      maxCpuPercent: point.row.max_cpu_percent,
      rssBytes: Math.round(point.rss / point.weight),
      maxRssBytes: point.row.max_rss_bytes,
    }))
}
