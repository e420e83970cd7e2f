import { describe, expect, it, vi } from 'vitest'
import type { ServerStatPoint } from '../../shared/observability'
import { useAuthStore } from '../../web/src/features/auth/store'
import { chartSummary, formatValue } from '../../web/src/features/dashboard/chart-format'
import DashboardView from '../../web/src/features/dashboard/DashboardView.vue'
import { onGrid, statCharts } from '../../web/src/features/dashboard/stat-series'
import { DASHBOARD_REFRESH_DEBOUNCE_MS, localMidnight } from '../../web/src/features/dashboard/store'
import { useEventsStore } from '../../web/src/features/events/store'
import { bucketStarts, rangeWindow } from '../../web/src/features/usage/ranges'
import { serverCharts } from '../../web/src/features/usage/series'
import { decide } from '../../web/src/router'
import { mountInApp, requireTestId } from './components/mount'
import { failure, FakeEventSource, fakeServer, json, makeDownload, makeServerStatus, makeUser, useFakeEventSource } from './helpers'
import { drawn, makeRequestRow, makeSummary, makeUsageRow, queriesTo } from './observability-data'
import { routerStub } from './servers-router'

vi.mock('uplot', async () => (await import('./observability-data')).fakeUplot)

const HOUR = 3_600_000
const GIB = 1024 ** 3

describe('chart figures', () => {
  it('adds counts across servers but draws each server’s median as its own line', () => {
    const starts = [0, HOUR, 2 * HOUR]
    const at = (ms: number) => new Date(ms).toISOString()
    const rows = [
      makeUsageRow({ bucketStart: at(0), groupId: 1, label: 'A', requests: 3, errors: 1, promptTokens: 10, completionTokens: 100, medianTimeToFirstTokenMs: 200, p95TimeToFirstTokenMs: 900 }),
      makeUsageRow({ bucketStart: at(0), groupId: 2, label: 'B', requests: 2, errors: 0, promptTokens: 5, completionTokens: 50, medianTimeToFirstTokenMs: 80 }),
      makeUsageRow({ bucketStart: at(2 * HOUR), groupId: 2, label: 'B', requests: 1, errors: 1, medianTimeToFirstTokenMs: null }),
    ]
    const all = serverCharts(rows, starts, null, (row) => row.label ?? '?')
    expect(all.requests.series).toEqual([
      { label: 'Requests', values: [5, 0, 1] },
      { label: 'Errors', values: [1, 0, 1] },
    ])
    expect(all.tokens.series.map((line) => line.values)).toEqual([
      [15, 0, 30],
      [150, 0, 64],
    ])
    expect(all.ttft.series).toEqual([
      { label: 'A', values: [200, null, null] },
      { label: 'B', values: [80, null, null] },
    ])
    const one = serverCharts(rows, starts, 1, () => '')
    expect(one.requests.series[0]?.values).toEqual([3, 0, 0])
    expect(one.ttft.series).toEqual([
      { label: 'Median', values: [200, null, null] },
      { label: 'p95', values: [900, null, null] },
    ])
  })

  it('puts CPU and memory samples of several servers on one grid: averages, peaks, gaps', () => {
    const point = (ms: number, cpu: number, rss: number): ServerStatPoint => ({
      at: new Date(ms).toISOString(),
      spanSeconds: 5,
      cpuPercent: cpu,
      maxCpuPercent: cpu * 2,
      rssBytes: rss,
      maxRssBytes: rss,
    })
    const cells = [0, 60_000, 120_000]
    const samples = [point(0, 10, 100), point(30_000, 30, 300), point(125_000, 50, 500)]
    expect(onGrid(samples, cells, 60_000, 'cpuPercent')).toEqual([20, null, 50])
    expect(onGrid(samples, cells, 60_000, 'maxCpuPercent')).toEqual([60, null, 100])
    const charts = statCharts({ 1: samples, 2: [] }, cells, 60_000, null, (id) => `Server ${id}`)
    // A server that did not run adds no empty line.
    expect(charts.memory.series).toEqual([{ label: 'Server 1', values: [200, null, 500] }])
  })

  it('says values in the chart’s unit, and what a chart shows in words', () => {
    expect(formatValue(1530, 'ms')).toBe('1.5 s')
    expect(formatValue(87, 'ms')).toBe('87 ms')
    expect(formatValue(12_400, 'count')).toBe('12k')
    expect(formatValue(null, 'rate')).toBe('–')
    expect(chartSummary('Requests', [{ label: 'Requests', values: [1, 2, null] }], 'count')).toBe('Requests. Requests: 3 in all.')
  })

  it('buckets start on UTC boundaries and cover the whole range', () => {
    const now = Date.UTC(2026, 0, 2, 10, 30)
    const starts = bucketStarts(rangeWindow('24h', now))
    expect(starts[0]).toBe(Date.UTC(2026, 0, 1, 10))
    expect(starts.at(-1)).toBe(Date.UTC(2026, 0, 2, 10))
    expect(starts).toHaveLength(25)
  })
})

describe('landing page', () => {
  const route = (path: string, query: Record<string, string> = {}) => ({ path, fullPath: path, meta: {}, query })
  it('admins land on the dashboard, members on the catalog; both may open the dashboard', () => {
    const admin = makeUser({ isAdmin: true })
    const member = makeUser()
    expect(decide(route('/'), admin)).toBe('/dashboard')
    expect(decide(route('/'), member)).toBe('/catalog')
    expect(decide({ ...route('/login'), meta: { public: true } }, admin)).toBe('/dashboard')
    expect(decide({ ...route('/login'), meta: { public: true } }, member)).toBe('/catalog')
    expect(decide(route('/dashboard'), member)).toBe(true)
  })
})

function dashboardServer(requests: number) {
  const hour = Math.floor(Date.now() / HOUR) * HOUR
  let count = requests
  const server = fakeServer({
    'GET /api/dashboard': () =>
      json(
        makeSummary({
          requests: count,
          errors: 1,
          promptTokens: 1200,
          completionTokens: 3400,
          medianTimeToFirstTokenMs: 140,
          medianTokensPerSecond: 55.5,
          recent: [
            makeRequestRow({ id: 7, profileName: 'Qwen3 4B', keyName: 'laptop', keyId: 3, endpoint: 'chat/completions', userEmail: 'dev@example.com' }),
            makeRequestRow({ id: 6, status: 500, errorCode: 'engine-error', errorMessage: 'The engine failed.' }),
          ],
        }),
      ),
    'GET /api/usage': () => json({ ...rangeWindow('24h', Date.now()), groupBy: 'profile', rows: [makeUsageRow({ bucketStart: new Date(hour).toISOString(), requests: count, errors: 1 })] }),
    'GET /api/servers': () => json([makeServerStatus({ profileId: 1, name: 'Qwen3 4B', state: 'ready', pid: 9, rssBytes: 4 * GIB })]),
    'GET /api/servers/1/stats': () => json({ profileId: 1, from: '', to: '', points: [] }),
    'GET /api/downloads': () => json([makeDownload({ id: 4, modelId: 'mlx-community/Llama-3.2-1B-4bit', bytesDone: 1024, bytesTotal: 4096 })]),
    'GET /api/system/memory': () => json({ totalBytes: 32 * GIB, usedBytes: 12 * GIB }),
    'GET /api/catalog/system': () => json({ usableBytes: 24 * GIB, budgetBytes: 20 * GIB, explanation: 'Three quarters of 32 GB of unified memory.' }),
  })
  return { server, setCount: (next: number) => (count = next) }
}

describe('the dashboard', () => {
  it('shows today’s figures, the running servers’ memory, downloads, the last requests and the charts', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const { server } = dashboardServer(12)
    drawn.length = 0
    mountInApp(DashboardView, { plugins: [routerStub()] })

    // Each part comes with its own call: wait until every one is on screen.
    await vi.waitFor(() => {
      expect(requireTestId('dashboard-requests').textContent?.trim()).toBe('12')
      expect(requireTestId('dashboard-errors').textContent?.trim()).toBe('1 error')
      expect(requireTestId('dashboard-tokens').textContent?.trim()).toBe('4.6k')
      expect(requireTestId('dashboard-ttft').textContent?.trim()).toBe('140 ms')
      expect(requireTestId('dashboard-speed').textContent?.trim()).toBe('55.5 tok/s')
      // Against what models may use here, the budget the serving pool keeps to.
      expect(requireTestId('dashboard-memory').textContent).toContain('Servers hold 4.0 GB of the 24.0 GB models may use (17%)')
      expect(requireTestId('dashboard-servers').textContent).toContain('Three quarters of 32 GB of unified memory.')
      expect(requireTestId('dashboard-server-1').textContent).toContain('Qwen3 4B')
      expect(requireTestId('dashboard-download-4').textContent).toContain('25%')
      const recent = requireTestId('dashboard-recent')
      expect(recent.querySelector('[data-testid="request-7"]')?.textContent).toContain('laptop · dev@example.com')
      expect(recent.querySelector('[data-testid="request-6"]')?.textContent).toContain('500 engine-error')
    })

    // "Today" is the viewer's own day.
    expect(queriesTo(server.fetch, '/api/dashboard')[0]?.get('since')).toBe(localMidnight(Date.now()))
    // The charts ask for the last 24 hours by hour, and the servers' CPU and memory for the same window.
    const usage = queriesTo(server.fetch, '/api/usage')[0]
    expect(usage?.get('bucket')).toBe('hour')
    expect(usage?.get('groupBy')).toBe('profile')
    expect(Date.parse(usage?.get('to') ?? '') - Date.parse(usage?.get('from') ?? '')).toBe(24 * HOUR)
    expect(queriesTo(server.fetch, '/api/servers/1/stats')[0]?.get('from')).toBe(usage?.get('from'))
    await vi.waitFor(() => expect(drawn.some((chart) => chart.labels.join() === 'Requests,Errors')).toBe(true))
    const requestsChart = drawn.find((chart) => chart.labels.join() === 'Requests,Errors')
    // x in seconds for uPlot, then the requests and errors of each hour; this hour is the last one.
    expect(requestsChart?.data[1]?.at(-1)).toBe(12)
    expect(requestsChart?.data[2]?.at(-1)).toBe(1)
    expect(requestsChart?.data[1]?.slice(0, -1).every((value) => value === 0)).toBe(true)
  })

  it('refreshes once after a burst of recorded requests while it is on screen', async () => {
    useFakeEventSource()
    useAuthStore().user = makeUser({ isAdmin: true })
    const { server, setCount } = dashboardServer(3)
    mountInApp(DashboardView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(requireTestId('dashboard-requests').textContent?.trim()).toBe('3'))

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    setCount(5)
    for (let i = 0; i < 3; i++) source.emit('chat.metrics', { profileId: 1, requests: 3 + i })
    await vi.advanceTimersByTimeAsync(DASHBOARD_REFRESH_DEBOUNCE_MS)
    vi.useRealTimers()
    await vi.waitFor(() => expect(requireTestId('dashboard-requests').textContent?.trim()).toBe('5'))
    expect(server.callsTo('GET /api/dashboard')).toHaveLength(2)
    await vi.waitFor(() => expect(server.callsTo('GET /api/usage')).toHaveLength(2))
  })

  it('a member sees their own figures, labelled as theirs; without a budget, memory is shown against the total', async () => {
    useAuthStore().user = makeUser()
    const { server } = dashboardServer(2)
    server.on('GET /api/catalog/system', () => failure(503, 'unavailable', 'Not now.'))
    mountInApp(DashboardView, { plugins: [routerStub()] })
    await vi.waitFor(() => {
      expect(requireTestId('dashboard').textContent).toContain('Your requests')
      expect(requireTestId('dashboard-memory').textContent).toContain('Servers hold 4.0 GB of the 32.0 GB memory (13%)')
      expect(requireTestId('dashboard-recent').querySelector('[data-testid="request-7"]')?.textContent).toContain('laptop')
    })
    // Members do not see who else made a request: no owner after the key's name.
    expect(requireTestId('dashboard-recent').querySelector('[data-testid="request-7"]')?.textContent).not.toContain('dev@example.com')
  })
})
