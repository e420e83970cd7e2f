import type { UsageRow } from '../../../../shared/observability'

/** One line of a chart: a value per x, null where there is nothing to draw (a gap, not a zero). */
export interface ChartSeries {
  label: string
  values: (number | null)[]
}

/** What a time chart draws: x in milliseconds since the epoch, and its lines. */
export interface ChartData {
  x: number[]
  series: ChartSeries[]
}

type Count = 'requests' | 'errors' | 'promptTokens' | 'cachedTokens' | 'completionTokens'
type Figure = 'medianTimeToFirstTokenMs' | 'p95TimeToFirstTokenMs' | 'medianTokensPerSecond'

function indexOf(starts: readonly number[]): Map<number, number> {
  return new Map(starts.map((start, index) => [start, index]))
}

/** A count summed over the rows of each bucket (zero where a bucket had none). */
export function sumPerBucket(rows: readonly UsageRow[], starts: readonly number[], field: Count): number[] {
  const at = indexOf(starts)
  const values = starts.map(() => 0)
  for (const row of rows) {
    const index = at.get(Date.parse(row.bucketStart))
    if (index !== undefined) values[index] = (values[index] ?? 0) + row[field]
  }
  return values
}

/** One group's figure per bucket; null where it had no request (medians cannot be added up). */
export function figurePerBucket(rows: readonly UsageRow[], starts: readonly number[], field: Figure): (number | null)[] {
  const at = indexOf(starts)
  const values: (number | null)[] = starts.map(() => null)
  for (const row of rows) {
    const index = at.get(Date.parse(row.bucketStart))
    if (index !== undefined) values[index] = row[field]
  }
  return values
}

export interface GroupTotal {
  groupId: number | null
  label: string
  requests: number
  errors: number
  promptTokens: number
  cachedTokens: number
  completionTokens: number
}

/** What a group's name is when the manager has none: the manager's own chat has no key, a deleted one no name. */
export function groupLabel(row: Pick<UsageRow, 'groupId' | 'label'>, noGroup: string): string {
  if (row.label !== null) return row.label
  return row.groupId === null ? noGroup : `#${row.groupId} (deleted)`
}

/** Each group's totals over the whole range, the busiest first. */
export function groupTotals(rows: readonly UsageRow[], noGroup: string): GroupTotal[] {
  const totals = new Map<number | null, GroupTotal>()
  for (const row of rows) {
    const total = totals.get(row.groupId) ?? {
      groupId: row.groupId,
      label: groupLabel(row, noGroup),
      requests: 0,
      errors: 0,
      promptTokens: 0,
      cachedTokens: 0,
      completionTokens: 0,
    }
    total.requests += row.requests
    total.errors += row.errors
    total.promptTokens += row.promptTokens
    total.cachedTokens += row.cachedTokens
    total.completionTokens += row.completionTokens
    // The newest name wins (a profile renamed within the range).
    if (row.label !== null) total.label = row.label
    totals.set(row.groupId, total)
  }
  return [...totals.values()].sort((a, b) => b.requests - a.requests || a.label.localeCompare(b.label))
}

/** Rows split by group, in the order of `groups`. */
export function rowsByGroup(rows: readonly UsageRow[]): Map<number | null, UsageRow[]> {
  const groups = new Map<number | null, UsageRow[]>()
  for (const row of rows) groups.set(row.groupId, [...(groups.get(row.groupId) ?? []), row])
  return groups
}

/** How many lines a chart of groups draws before the rest are left to the table. */
export const MAX_GROUP_LINES = 8

/** One line per group (the busiest ones) of a count per bucket. */
export function groupSeries(rows: readonly UsageRow[], starts: readonly number[], field: Count, totals: readonly GroupTotal[]): ChartData {
  const byGroup = rowsByGroup(rows)
  return {
    x: [...starts],
    series: totals.slice(0, MAX_GROUP_LINES).map((total) => ({ label: total.label, values: sumPerBucket(byGroup.get(total.groupId) ?? [], starts, field) })),
  }
}

export interface ServerCharts {
  requests: ChartData
  tokens: ChartData
  ttft: ChartData
  speed: ChartData
}

/**
 * The request charts of one server (rows of that profile only) or of all (rows grouped by profile).
 * Counts add up across servers; medians do not, so "all" draws each server's median as its own line.
 */
export function serverCharts(rows: readonly UsageRow[], starts: readonly number[], profileId: number | null, names: (row: UsageRow) => string): ServerCharts {
  const mine = profileId === null ? rows : rows.filter((row) => row.groupId === profileId)
  const x = [...starts]
  const requests = { x, series: [{ label: 'Requests', values: sumPerBucket(mine, starts, 'requests') }, { label: 'Errors', values: sumPerBucket(mine, starts, 'errors') }] }
  const tokens = {
    x,
    series: [
      { label: 'Prompt', values: sumPerBucket(mine, starts, 'promptTokens') },
      { label: 'Generated', values: sumPerBucket(mine, starts, 'completionTokens') },
    ],
  }
  if (profileId !== null) {
    return {
      requests,
      tokens,
      ttft: {
        x,
        series: [
          { label: 'Median', values: figurePerBucket(mine, starts, 'medianTimeToFirstTokenMs') },
          { label: 'p95', values: figurePerBucket(mine, starts, 'p95TimeToFirstTokenMs') },
        ],
      },
      speed: { x, series: [{ label: 'Median', values: figurePerBucket(mine, starts, 'medianTokensPerSecond') }] },
    }
  }
  const groups = [...rowsByGroup(mine).values()].slice(0, MAX_GROUP_LINES)
  const perServer = (field: Figure) => groups.map((group) => ({ label: names(group[0] as UsageRow), values: figurePerBucket(group, starts, field) }))
  return { requests, tokens, ttft: { x, series: perServer('medianTimeToFirstTokenMs') }, speed: { x, series: perServer('medianTokensPerSecond') } }
}
