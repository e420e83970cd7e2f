// The dashboard's charts with 30 days of data for 10 servers, in headless Chromium: from the manager's
// answers (usage rows per profile, CPU and memory points per server, as the API shapes them for each
// range) to six drawn uPlot charts, through the app's own shaping and chart options.
// Baseline, measured in this run: uPlot alone drawing the same six charts from arrays made beforehand.
// Run: `bun bench/dashboard.ts`.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerStatPoint, UsageRow } from '../shared/observability'
import { CHROMIUM, runInChromium } from './browser'
import { fmt, row } from './lib'

const SERVERS = 10
const RUNS = 15
/** The target for drawing the dashboard with 30 days of data for 10 servers. */
const TARGET_MS = 500
const HOUR = 3_600_000
const DAY = 24 * HOUR

/** What the manager answers for a range: usage rows per bucket and profile, and each server's points at the finest resolution that fits. */
interface RangeCase {
  range: '1h' | '24h' | '7d' | '30d'
  bucketMs: number
  statStepMs: number
  pointMs: number
}

const CASES: RangeCase[] = [
  { range: '24h', bucketMs: HOUR, statStepMs: 10 * 60_000, pointMs: 60_000 },
  { range: '7d', bucketMs: HOUR, statStepMs: HOUR, pointMs: HOUR },
  { range: '30d', bucketMs: DAY, statStepMs: 6 * HOUR, pointMs: HOUR },
]

const SPAN: Record<RangeCase['range'], number> = { '1h': HOUR, '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY }

function answers(item: RangeCase, now: number) {
  const from = now - SPAN[item.range]
  const usage: UsageRow[] = []
  for (let at = Math.floor(from / item.bucketMs) * item.bucketMs; at <= now; at += item.bucketMs) {
    for (let id = 1; id <= SERVERS; id++) {
      const requests = 5 + ((at / item.bucketMs + id * 7) % 40)
      usage.push({
        bucketStart: new Date(at).toISOString(),
        groupId: id,
        label: `Server ${id}`,
        requests,
        errors: requests % 9 === 0 ? 1 : 0,
        promptTokens: requests * 300,
        cachedTokens: requests * 40,
        completionTokens: requests * 500,
        medianTimeToFirstTokenMs: 80 + id * 10,
        p95TimeToFirstTokenMs: 400 + id * 20,
        medianTokensPerSecond: 30 + id,
        approximate: false,
      })
    }
  }
  const stats: Record<number, ServerStatPoint[]> = {}
  for (let id = 1; id <= SERVERS; id++) {
    const points: ServerStatPoint[] = []
    for (let at = from; at <= now; at += item.pointMs) {
      const cpu = 20 + ((at / item.pointMs + id) % 60)
      const rss = (2 + id / 4) * 1024 ** 3
      points.push({ at: new Date(at).toISOString(), spanSeconds: item.pointMs / 1000, cpuPercent: cpu, maxCpuPercent: cpu * 1.5, rssBytes: rss, maxRssBytes: rss * 1.1 })
    }
    stats[id] = points
  }
  return { from: new Date(from).toISOString(), to: new Date(now).toISOString(), usage, stats }
}

interface Result {
  range: string
  usageRows: number
  statPoints: number
  median: number
  baseline: number
}

async function inChromium(): Promise<Result[]> {
  const web = join(import.meta.dir, '..', 'web', 'src', 'features')
  const source = `import uPlot from 'uplot'
import { serverCharts } from ${JSON.stringify(join(web, 'usage', 'series.ts'))}
import { bucketStarts, grid } from ${JSON.stringify(join(web, 'usage', 'ranges.ts'))}
import { statCharts } from ${JSON.stringify(join(web, 'dashboard', 'stat-series.ts'))}
import { chartData, chartOptions } from ${JSON.stringify(join(web, 'dashboard', 'chart-options.ts'))}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const look = (unit, bars = false) => ({ width: 600, height: 170, unit, bars, axis: '#666', grid: '#ddd' })
window.runBench = async ({ cases, runs }) => {
  const out = []
  for (const item of cases) {
    const times = []
    const baseTimes = []
    let prepared = null
    for (let i = 0; i < runs + 2; i++) {
      const host = document.createElement('div')
      document.body.append(host)
      const start = performance.now()
      const requests = serverCharts(item.usage, bucketStarts({ from: item.from, to: item.to, bucket: item.bucket }), null, (row) => row.label)
      const cells = grid(item.from, item.to, item.statStepMs)
      const resources = statCharts(item.stats, cells, item.statStepMs, null, (id) => 'Server ' + id)
      const charts = [[requests.requests, 'count', true], [requests.tokens, 'count'], [requests.ttft, 'ms'], [requests.speed, 'rate'], [resources.cpu, 'percent'], [resources.memory, 'bytes']]
      const plots = charts.map(([data, unit, bars]) => new uPlot(chartOptions(uPlot, data, look(unit, bars)), chartData(data), host))
      // Drawing is committed on the next frame.
      await new Promise((resolve) => requestAnimationFrame(() => resolve()))
      if (i >= 2) times.push(performance.now() - start)
      prepared = charts.map(([data, unit, bars]) => [chartOptions(uPlot, data, look(unit, bars)), chartData(data)])
      plots.forEach((plot) => plot.destroy())
      host.remove()
    }
    for (let i = 0; i < runs + 2; i++) {
      const host = document.createElement('div')
      document.body.append(host)
      const start = performance.now()
      const plots = prepared.map(([options, data]) => new uPlot(options, data, host))
      await new Promise((resolve) => requestAnimationFrame(() => resolve()))
      if (i >= 2) baseTimes.push(performance.now() - start)
      plots.forEach((plot) => plot.destroy())
      host.remove()
    }
    out.push({ range: item.range, usageRows: item.usage.length, statPoints: Object.values(item.stats).reduce((sum, points) => sum + points.length, 0), median: median(times), baseline: median(baseTimes) })
  }
  return out
}
`
  const now = Date.now()
  const cases = CASES.map((item) => ({ ...item, bucket: item.bucketMs === DAY ? 'day' : 'hour', ...answers(item, now) }))
  return runInChromium('dashboard', source, { cases, runs: RUNS }, { 'process.env.NODE_ENV': '"production"' })
}

console.log(`Dashboard charts in Chromium: ${SERVERS} servers, usage and CPU/memory answers as the manager shapes them per range (baseline: uPlot alone on ready arrays)`)
if (!existsSync(CHROMIUM)) {
  console.log(`No Chromium at ${CHROMIUM}: the browser run is skipped.`)
} else {
  let failed = false
  for (const result of await inChromium()) {
    const ok = result.median <= TARGET_MS
    failed ||= !ok
    row(
      `charts ${result.range} (${result.usageRows} rows, ${result.statPoints} pts)`,
      fmt.ms(result.median),
      fmt.ms(result.baseline),
      fmt.ratio(result.median / result.baseline),
      `<= ${TARGET_MS} ms`,
      ok,
    )
  }
  if (failed) process.exitCode = 1
}
