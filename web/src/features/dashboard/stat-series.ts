import type { ServerStatPoint } from '../../../../shared/observability'
import type { ChartData, ChartSeries } from '../usage/series'

type Average = 'cpuPercent' | 'rssBytes'
type Highest = 'maxCpuPercent' | 'maxRssBytes'

/**
 * A server's samples on a common grid (so several servers share one x axis): each cell holds the
 * average of the averages that fall in it, or the highest of the highs; null where none fell.
 */
export function onGrid(points: readonly ServerStatPoint[], cells: readonly number[], step: number, field: Average | Highest): (number | null)[] {
  const first = cells[0]
  const sums = cells.map(() => 0)
  const counts = cells.map(() => 0)
  const highs: (number | null)[] = cells.map(() => null)
  if (first === undefined) return []
  for (const point of points) {
    const index = Math.floor((Date.parse(point.at) - first) / step)
    if (index < 0 || index >= cells.length) continue
    const value = point[field]
    sums[index] = (sums[index] ?? 0) + value
    counts[index] = (counts[index] ?? 0) + 1
    highs[index] = Math.max(highs[index] ?? value, value)
  }
  const highest = field === 'maxCpuPercent' || field === 'maxRssBytes'
  return cells.map((_, index) => ((counts[index] ?? 0) === 0 ? null : highest ? (highs[index] ?? null) : (sums[index] ?? 0) / (counts[index] ?? 1)))
}

export interface StatCharts {
  cpu: ChartData
  memory: ChartData
}

/** CPU and memory: one server's average and peak, or each server's average as its own line. */
export function statCharts(stats: Readonly<Record<number, ServerStatPoint[]>>, cells: readonly number[], step: number, profileId: number | null, name: (id: number) => string): StatCharts {
  const x = [...cells]
  if (profileId !== null) {
    const points = stats[profileId] ?? []
    return {
      cpu: { x, series: [{ label: 'Average', values: onGrid(points, cells, step, 'cpuPercent') }, { label: 'Peak', values: onGrid(points, cells, step, 'maxCpuPercent') }] },
      memory: { x, series: [{ label: 'Average', values: onGrid(points, cells, step, 'rssBytes') }, { label: 'Peak', values: onGrid(points, cells, step, 'maxRssBytes') }] },
    }
  }
  // Servers that never ran in the range would only add empty lines to the legend.
  const ran = Object.entries(stats).filter(([, points]) => points.length > 0)
  const lines = (field: Average): ChartSeries[] => ran.map(([id, points]) => ({ label: name(Number(id)), values: onGrid(points, cells, step, field) }))
  return { cpu: { x, series: lines('cpuPercent') }, memory: { x, series: lines('rssBytes') } }
}
