import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { UsageGroupBy, UsageResponse } from '../../../../shared/observability'
import { api, request } from '../../api/client'
import { guarded } from '../auth/guarded'
import { rangeWindow, type RangeValue } from './ranges'

/** Usage over a chosen range, grouped by profile, key or user. Members get only their own rows from the manager. */
export const useUsageStore = defineStore('usage', () => {
  const range = ref<RangeValue>('24h')
  const groupBy = ref<UsageGroupBy>('profile')
  const usage = shallowRef<UsageResponse | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let run = 0

  async function load(now = Date.now()): Promise<void> {
    const current = ++run
    const window = rangeWindow(range.value, now)
    loading.value = true
    try {
      const answer = await guarded(() => request(api.usage.get({ query: { ...window, groupBy: groupBy.value } })))
      if (current !== run) return
      usage.value = answer
      error.value = null
    } catch (failure) {
      if (current === run) error.value = failure instanceof Error ? failure.message : String(failure)
    } finally {
      if (current === run) loading.value = false
    }
  }

  async function choose(next: { range?: RangeValue; groupBy?: UsageGroupBy }): Promise<void> {
    if (next.range !== undefined) range.value = next.range
    if (next.groupBy !== undefined) groupBy.value = next.groupBy
    await load()
  }

  return { range, groupBy, usage, loading, error, load, choose }
})
