import type { ConversationRow } from './types'

/**
 * The sidebar's sections: pinned conversations first, then by the day of their last message in
 * local time: today, yesterday, the 7 and 30 days before, then one section per month for the last
 * twelve months and one per year before that. Pure, with `now` passed in, so it is testable.
 */

export interface ConversationGroup<T> {
  /** Stable across renders and locales, for `:key`: `pinned`, `today`, `month:2026-10`, `year:2024`… */
  key: string
  label: string
  /** Newest first. */
  rows: T[]
}

type Groupable = Pick<ConversationRow, 'updatedAt' | 'pinned'>

const MONTH = new Intl.DateTimeFormat('en-US', { month: 'long', year: 'numeric' })

/** Local midnight `days` days before `now`'s day; setDate keeps it right across daylight-saving changes. */
function dayStart(now: Date, daysBack: number): number {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate())
  day.setDate(day.getDate() - daysBack)
  return day.getTime()
}

export function groupConversations<T extends Groupable>(rows: readonly T[], now: Date): ConversationGroup<T>[] {
  const bounds = [
    { key: 'today', label: 'Today', from: dayStart(now, 0) },
    { key: 'yesterday', label: 'Yesterday', from: dayStart(now, 1) },
    { key: 'week', label: 'Previous 7 days', from: dayStart(now, 7) },
    { key: 'month', label: 'Previous 30 days', from: dayStart(now, 30) },
  ]
  const thisMonth = now.getFullYear() * 12 + now.getMonth()
  const groups = new Map<string, ConversationGroup<T> & { order: number }>()
  const add = (key: string, label: string, order: number, row: T) => {
    const group = groups.get(key) ?? { key, label, order, rows: [] }
    group.rows.push(row)
    groups.set(key, group)
  }

  for (const row of rows) {
    const time = Date.parse(row.updatedAt)
    if (row.pinned === 1) {
      add('pinned', 'Pinned', Number.POSITIVE_INFINITY, row)
      continue
    }
    // Later than now (another device's clock) counts as today.
    const recent = bounds.find((bound) => time >= bound.from)
    if (recent !== undefined) {
      add(recent.key, recent.label, Number.MAX_SAFE_INTEGER - bounds.indexOf(recent), row)
      continue
    }
    const date = new Date(time)
    const month = date.getFullYear() * 12 + date.getMonth()
    // Older groups are ordered by their start, newest first, which the calendar keys give directly.
    if (thisMonth - month < 12) add(`month:${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`, MONTH.format(date), month, row)
    else add(`year:${date.getFullYear()}`, String(date.getFullYear()), date.getFullYear() * 12 - 12, row)
  }

  return [...groups.values()]
    .sort((a, b) => b.order - a.order)
    .map(({ key, label, rows: grouped }) => ({
      key,
      label,
      rows: grouped.map((row) => ({ row, time: Date.parse(row.updatedAt) })).sort((a, b) => b.time - a.time).map(({ row }) => row),
    }))
}
