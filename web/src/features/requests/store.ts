import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { RequestLogPage, RequestLogRow, UsageGroupBy } from '../../../../shared/observability'
import { api, request } from '../../api/client'
import { guarded } from '../auth/guarded'
import { rangeWindow } from '../usage/ranges'
import { groupTotals } from '../usage/series'
import { NO_FILTERS, requestQuery, type RequestFilters } from './query'

export interface Choice {
  label: string
  value: number
}

/** The request log, newest first, a page at a time ("Load more" follows the manager's cursor). */
export const useRequestsStore = defineStore('requests', () => {
  const filters = ref<RequestFilters>({ ...NO_FILTERS })
  const rows = shallowRef<RequestLogRow[]>([])
  const nextCursor = ref<string | null>(null)
  const loaded = ref(false)
  const loading = ref(false)
  const loadingMore = ref(false)
  const error = ref<string | null>(null)
  /** When the first page was asked for: later pages and the export keep the same window. */
  let askedAt = Date.now()
  let run = 0

  const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure))

  async function fetchPage(cursor: string | null): Promise<RequestLogPage> {
    const query = { ...requestQuery(filters.value, askedAt), ...(cursor === null ? {} : { cursor }) }
    const answer = await guarded(() => request(api.requests.get({ query })))
    // The route's type includes the file download (`format=`), which a page request never asks for.
    if (answer instanceof Response) throw new Error('The manager sent a file instead of a page of the log.')
    return answer
  }

  async function load(): Promise<void> {
    const current = ++run
    askedAt = Date.now()
    loading.value = true
    try {
      const page = await fetchPage(null)
      if (current !== run) return
      rows.value = page.rows
      nextCursor.value = page.nextCursor
      loaded.value = true
      error.value = null
    } catch (failure) {
      if (current === run) error.value = message(failure)
    } finally {
      if (current === run) loading.value = false
    }
  }

  async function loadMore(): Promise<void> {
    const cursor = nextCursor.value
    // While a first page loads, the cursor on screen belongs to the previous filters: their older
    // rows would be mixed into the new page.
    if (cursor === null || loadingMore.value || loading.value) return
    const current = run
    loadingMore.value = true
    try {
      const page = await fetchPage(cursor)
      if (current !== run) return
      rows.value = [...rows.value, ...page.rows]
      nextCursor.value = page.nextCursor
      error.value = null
    } catch (failure) {
      if (current === run) error.value = message(failure)
    } finally {
      loadingMore.value = false
    }
  }

  async function filter(next: Partial<RequestFilters>): Promise<void> {
    filters.value = { ...filters.value, ...next }
    await load()
  }

  /** The time the pages on screen were asked at, for an export of the same window. */
  const windowEnd = () => askedAt

  // The filters offer the profiles, keys and users that made requests in the last 30 days (members: their own).
  const choices = shallowRef<Record<UsageGroupBy, Choice[]>>({ profile: [], key: [], user: [] })

  async function loadChoices(groups: readonly UsageGroupBy[]): Promise<void> {
    const window = { ...rangeWindow('30d', Date.now()), bucket: 'day' as const }
    try {
      const answers = await Promise.all(groups.map((groupBy) => guarded(() => request(api.usage.get({ query: { ...window, groupBy } })))))
      const next = { ...choices.value }
      for (const answer of answers) {
        next[answer.groupBy] = groupTotals(answer.rows, '')
          .filter((total): total is typeof total & { groupId: number } => total.groupId !== null)
          .map((total) => ({ label: total.label, value: total.groupId }))
          .sort((a, b) => a.label.localeCompare(b.label))
      }
      choices.value = next
    } catch {
      // The filters then offer only "any"; the log itself says what went wrong if the manager is away.
    }
  }

  return { filters, rows, nextCursor, loaded, loading, loadingMore, error, load, loadMore, filter, windowEnd, choices, loadChoices }
})
