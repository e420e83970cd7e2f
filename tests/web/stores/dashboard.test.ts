import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { MemoryBudget } from '../../../shared/memory-fit'
import type { DashboardSummary, ServerStatsHistory, UsageResponse } from '../../../shared/observability'
import { DASHBOARD_REFRESH_DEBOUNCE_MS, localMidnight, useDashboardStore } from '../../../web/src/features/dashboard/store'
import { useServersStore } from '../../../web/src/features/servers/store'
import { handAnsweredFetch, type HeldRequest } from '../hand-answered-fetch'
import { failure, fakeServer, json, makeServerStatus } from '../helpers'
import { makeSummary } from '../observability-data'

const NOW = Date.parse('2026-03-10T12:00:00.000Z')
const GIB = 1024 ** 3

const summary = (requests: number): DashboardSummary => makeSummary({ since: '', requests })

const usage = (from: string): UsageResponse => ({ from, to: '', bucket: 'hour', groupBy: 'profile', rows: [] })

const history = (profileId: number, cpuPercent: number): ServerStatsHistory => ({
  profileId,
  from: '',
  to: '',
  points: [{ at: '2026-03-10T11:00:00.000Z', spanSeconds: 60, cpuPercent, maxCpuPercent: cpuPercent, rssBytes: GIB, maxRssBytes: GIB }],
})

const budget = { totalBytes: 32 * GIB, usableBytes: 24 * GIB, budgetBytes: 20 * GIB } as MemoryBudget

/** The query of every request to a path, in order. */
function queries(server: ReturnType<typeof fakeServer>, path: string): Record<string, string>[] {
  return server.fetch.mock.calls
    .map(([input]) => new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url))
    .filter((url) => url.pathname === path)
    .map((url) => Object.fromEntries(url.searchParams))
}

function manager() {
  let requests = 3
  const server = fakeServer({
    'GET /api/dashboard': () => json(summary(requests)),
    'GET /api/usage': () => json(usage('usage')),
    'GET /api/servers/1/stats': () => json(history(1, 50)),
    'GET /api/servers/2/stats': () => json(history(2, 80)),
    'GET /api/catalog/system': () => json(budget),
  })
  return { server, recorded: (count: number) => (requests = count) }
}

/** Two servers known to the servers store, whose CPU and memory the charts draw. */
function twoServers() {
  useServersStore().servers = [makeServerStatus({ profileId: 1, name: 'Fox' }), makeServerStatus({ profileId: 2, name: 'Owl' })]
}

afterEach(() => {
  vi.useRealTimers()
})

describe('dashboard store', () => {
  it('counts today from the viewer’s own midnight', () => {
    expect(localMidnight(NOW)).toBe(new Date(2026, 2, 10).toISOString())
    expect(localMidnight(new Date(2026, 2, 10, 23, 59).getTime())).toBe(new Date(2026, 2, 10).toISOString())
  })

  it('loads today’s figures, the charts for every server and the memory budget', async () => {
    const { server } = manager()
    twoServers()
    const store = useDashboardStore()
    expect([store.summary, store.usage, store.stats, store.budget, store.range, store.profileId, store.chartsLoading]).toEqual([null, null, {}, null, '24h', null, false])
    await store.load()
    expect(store.summary?.requests).toBe(3)
    expect(store.usage?.from).toBe('usage')
    expect(store.stats).toEqual({ 1: history(1, 50).points, 2: history(2, 80).points })
    expect(store.budget).toEqual(budget)
    expect([store.summaryError, store.chartsError, store.chartsLoading]).toEqual([null, null, false])
    expect(queries(server, '/api/dashboard')[0]?.since).toBe(localMidnight(Date.now()))
  })

  it('asks for the chosen range’s usage by profile and each server’s stats over the same window', async () => {
    const { server } = manager()
    twoServers()
    const store = useDashboardStore()
    await store.loadSummary(NOW)
    await store.loadCharts(NOW)
    expect(queries(server, '/api/dashboard')).toEqual([{ since: localMidnight(NOW) }])
    expect(queries(server, '/api/usage')).toEqual([{ from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', bucket: 'hour', groupBy: 'profile' }])
    const window = { from: '2026-03-09T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z' }
    expect(queries(server, '/api/servers/1/stats')).toEqual([window])
    expect(queries(server, '/api/servers/2/stats')).toEqual([window])
  })

  it('draws only the chosen server, and every server again when the choice is cleared', async () => {
    const { server } = manager()
    twoServers()
    const store = useDashboardStore()
    await store.choose({ profileId: 2, range: '7d' })
    expect([store.profileId, store.range]).toEqual([2, '7d'])
    expect(store.stats).toEqual({ 2: history(2, 80).points })
    expect(server.callsTo('GET /api/servers/1/stats')).toHaveLength(0)
    const [week] = queries(server, '/api/usage')
    expect(Date.parse(week?.to ?? '') - Date.parse(week?.from ?? '')).toBe(7 * 24 * 60 * 60 * 1000)
    await store.choose({ profileId: null })
    expect([store.profileId, store.range]).toEqual([null, '7d'])
    expect(Object.keys(store.stats)).toEqual(['1', '2'])
    await store.choose({ range: '1h' })
    expect([store.profileId, store.range]).toEqual([null, '1h'])
  })

  it('says why today’s figures could not be loaded, keeps the last ones, and clears the error once they load', async () => {
    const { server } = manager()
    const store = useDashboardStore()
    await store.loadSummary()
    server.on('GET /api/dashboard', () => failure(500, 'internal', 'The figures could not be read.'))
    await store.loadSummary()
    expect(store.summaryError).toBe('The figures could not be read.')
    expect(store.summary?.requests).toBe(3)
    server.on('GET /api/dashboard', () => json(summary(4)))
    await store.loadSummary()
    expect(store.summaryError).toBeNull()
    expect(store.summary?.requests).toBe(4)
  })

  it('says why the charts could not be loaded when one server’s stats fail, keeps the last ones, and clears the error', async () => {
    const { server } = manager()
    twoServers()
    const store = useDashboardStore()
    await store.loadCharts()
    server.on('GET /api/servers/2/stats', () => failure(404, 'not-found', 'There is no such server.'))
    await store.loadCharts()
    expect(store.chartsError).toBe('There is no such server.')
    expect(store.chartsLoading).toBe(false)
    expect(Object.keys(store.stats)).toEqual(['1', '2'])
    server.on('GET /api/servers/2/stats', () => json(history(2, 10)))
    await store.loadCharts()
    expect(store.chartsError).toBeNull()
    expect(store.stats[2]?.[0]?.cpuPercent).toBe(10)
  })

  it('without a budget the rest still loads and nothing is said', async () => {
    const { server } = manager()
    server.on('GET /api/catalog/system', () => failure(503, 'unavailable', 'Not now.'))
    const store = useDashboardStore()
    await store.load()
    expect(store.budget).toBeNull()
    expect([store.summaryError, store.chartsError]).toEqual([null, null])
    expect(store.summary?.requests).toBe(3)
  })

  it('refreshes today’s figures and the charts once, a moment after a burst of recorded requests, while it is watched', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { server, recorded } = manager()
    const store = useDashboardStore()
    const servers = useServersStore()
    const unwatch = store.watch()
    recorded(6)
    for (let i = 0; i < 3; i++) servers.chatMetricsChanged({ profileId: 1, requests: 4 + i } as Parameters<typeof servers.chatMetricsChanged>[0])
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS - 1)
    expect(server.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await flushPromises()
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(1)
    expect(server.callsTo('GET /api/usage')).toHaveLength(1)
    expect(store.summary?.requests).toBe(6)
    store.requestRecorded()
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(2)
    unwatch()
  })

  it('other actions of the servers store refresh nothing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { server } = manager()
    const store = useDashboardStore()
    store.watch()
    useServersStore().servers = []
    await useServersStore().loadChatSummaries()
    const before = server.calls.length
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.calls).toHaveLength(before)
  })

  it('refreshes nothing while no dashboard is on screen, and drops a refresh when the last one goes', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { server } = manager()
    const store = useDashboardStore()
    store.requestRecorded()
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.calls).toHaveLength(0)

    const first = store.watch()
    const second = store.watch()
    store.requestRecorded()
    first()
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(1)

    store.requestRecorded()
    second()
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(1)

    // A refresh dropped that way does not block the next one.
    const again = store.watch()
    store.requestRecorded()
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(2)
    again()
  })
})

describe('dashboard charts while answers are on their way', () => {
  /** The usage requests sent so far, once there are this many. */
  function usageRequests(manager: ReturnType<typeof handAnsweredFetch>, count: number): Promise<HeldRequest[]> {
    return vi.waitFor(() => {
      const sent = manager.to('/api/usage')
      if (sent.length < count) throw new Error(`Only ${sent.length} of ${count} usage requests were sent.`)
      return sent
    })
  }

  it('says the charts are loading until the newest range’s answer comes, and shows only that one', async () => {
    const manager = handAnsweredFetch()
    const store = useDashboardStore()
    const day = store.loadCharts(NOW)
    const week = store.choose({ range: '7d' })
    const [older, newer] = await usageRequests(manager, 2)
    expect(store.chartsLoading).toBe(true)
    await older?.answer(json(usage('day')))
    await day
    expect(store.chartsLoading).toBe(true)
    expect(store.usage).toBeNull()
    await newer?.answer(json(usage('week')))
    await week
    expect(store.chartsLoading).toBe(false)
    expect(store.usage?.from).toBe('week')
    await older?.answer(json(usage('day')))
    expect(store.usage?.from).toBe('week')
  })

  it('an older failure says nothing, and an older answer after a newer failure does not hide it', async () => {
    const manager = handAnsweredFetch()
    const store = useDashboardStore()
    const first = store.loadCharts(NOW)
    const second = store.loadCharts(NOW)
    const [older, newer] = await usageRequests(manager, 2)
    await newer?.answer(json(usage('newer')))
    await second
    await older?.answer(failure(500, 'internal', 'The usage could not be read.'))
    await first
    expect(store.chartsError).toBeNull()
    expect(store.usage?.from).toBe('newer')

    const third = store.loadCharts(NOW)
    const fourth = store.loadCharts(NOW)
    const [, , olderAgain, newerAgain] = await usageRequests(manager, 4)
    await newerAgain?.answer(failure(500, 'internal', 'The usage could not be read.'))
    await fourth
    await olderAgain?.answer(json(usage('older')))
    await third
    expect(store.chartsError).toBe('The usage could not be read.')
    expect(store.usage?.from).toBe('newer')
  })
})
