import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { MemoryBudget } from '../../../../shared/memory-fit'
import type { DashboardSummary, ServerStatPoint, UsageResponse } from '../../../../shared/observability'
import { api, request } from '../../api/client'
import { guarded } from '../auth/guarded'
import { useServersStore } from '../servers/store'
import { rangeWindow, type RangeValue } from '../usage/ranges'

/** A burst of replies (several chats, a script calling the gateway) is one refresh, this long after it. */
export const DASHBOARD_REFRESH_DEBOUNCE_MS = 1000

/** Midnight of the viewer's own day, so "today" matches their clock rather than UTC's. */
export function localMidnight(now: number): string {
  const day = new Date(now)
  day.setHours(0, 0, 0, 0)
  return day.toISOString()
}

const message = (failure: unknown) => (failure instanceof Error ? failure.message : String(failure))

/**
 * The home dashboard: today's figures and newest requests, and charts over a range for all servers
 * or one. While a dashboard is on screen it refreshes after every recorded request (`chat.metrics`).
 */
export const useDashboardStore = defineStore('dashboard', () => {
  const summary = shallowRef<DashboardSummary | null>(null)
  const summaryError = ref<string | null>(null)
  const range = ref<RangeValue>('24h')
  /** The server the charts are about; null: all of them. */
  const profileId = ref<number | null>(null)
  const usage = shallowRef<UsageResponse | null>(null)
  const stats = shallowRef<Record<number, ServerStatPoint[]>>({})
  const chartsError = ref<string | null>(null)
  const chartsLoading = ref(false)
  /** What models may use on this machine: the memory servers hold is shown against it. */
  const budget = shallowRef<MemoryBudget | null>(null)
  let chartsRun = 0
  let watchers = 0
  let refresh: ReturnType<typeof setTimeout> | null = null

  async function loadSummary(now = Date.now()): Promise<void> {
    try {
      summary.value = await guarded(() => request(api.dashboard.get({ query: { since: localMidnight(now) } })))
      summaryError.value = null
    } catch (failure) {
      summaryError.value = message(failure)
    }
  }

  /** Which servers' CPU and memory to draw: the chosen one, or every server known (members: the shared ones). */
  function statProfiles(): number[] {
    if (profileId.value !== null) return [profileId.value]
    return useServersStore().servers.map((server) => server.profileId)
  }

  async function loadCharts(now = Date.now()): Promise<void> {
    const current = ++chartsRun
    const window = rangeWindow(range.value, now)
    chartsLoading.value = true
    try {
      const [answer, ...histories] = await Promise.all([
        guarded(() => request(api.usage.get({ query: { ...window, groupBy: 'profile' } }))),
        ...statProfiles().map((id) => guarded(() => request(api.servers({ profileId: id }).stats.get({ query: { from: window.from, to: window.to } })))),
      ])
      if (current !== chartsRun) return
      usage.value = answer
      stats.value = Object.fromEntries(histories.map((history) => [history.profileId, history.points]))
      chartsError.value = null
    } catch (failure) {
      if (current === chartsRun) chartsError.value = message(failure)
    } finally {
      if (current === chartsRun) chartsLoading.value = false
    }
  }

  async function loadBudget(): Promise<void> {
    try {
      budget.value = await guarded(() => request(api.catalog.system.get()))
    } catch {
      // Without it the servers' memory is shown against the machine's total.
    }
  }

  async function load(): Promise<void> {
    await Promise.all([loadSummary(), loadCharts(), loadBudget()])
  }

  async function choose(next: { range?: RangeValue; profileId?: number | null }): Promise<void> {
    if (next.range !== undefined) range.value = next.range
    if (next.profileId !== undefined) profileId.value = next.profileId
    await loadCharts()
  }

  /** A request was recorded somewhere: fetch the figures again, once per burst, if anyone is looking. */
  function requestRecorded(): void {
    if (watchers === 0 || refresh !== null) return
    refresh = setTimeout(() => {
      refresh = null
      void loadSummary()
      void loadCharts()
    }, DASHBOARD_REFRESH_DEBOUNCE_MS)
  }

  // The events store hands `chat.metrics` to the servers store; the dashboard listens in on that
  // rather than adding a second consumer of the same event.
  useServersStore().$onAction(({ name }) => {
    if (name === 'chatMetricsChanged') requestRecorded()
  })

  /** A dashboard view mounted; returns what to call when it goes. */
  function watch(): () => void {
    watchers++
    return () => {
      watchers--
      if (watchers === 0 && refresh !== null) {
        clearTimeout(refresh)
        refresh = null
      }
    }
  }

  return { summary, summaryError, range, profileId, usage, stats, chartsError, chartsLoading, budget, load, loadSummary, loadCharts, choose, requestRecorded, watch }
})
