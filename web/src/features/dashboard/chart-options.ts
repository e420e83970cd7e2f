import type uPlot from 'uplot'
import type { ChartData } from '../usage/series'
import { CHART_COLORS, formatValue, type ChartUnit } from './chart-format'

/** Lines with at most this many values (and gaps between them) also get a dot on each. */
const SPARSE = 40

export interface ChartLook {
  width: number
  height: number
  unit: ChartUnit
  bars: boolean
  /** Axis text and grid lines, from the theme so the chart reads in light and dark. */
  axis: string
  grid: string
}

/** uPlot's options for one time chart: the app's colours, compact axes, no drag-to-zoom. */
export function chartOptions(lib: typeof uPlot, data: ChartData, look: ChartLook): uPlot.Options {
  const bars = look.bars ? lib.paths.bars?.({ size: [0.7, 24] }) : undefined
  const axisFont = '11px system-ui, sans-serif'
  return {
    width: look.width,
    height: look.height,
    // Dragging would zoom; on a phone it would also fight scrolling the page.
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    legend: { show: true, live: true },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max <= 0 ? 1 : max * 1.1] } },
    axes: [
      { stroke: look.axis, grid: { stroke: look.grid, width: 1 }, ticks: { stroke: look.grid, width: 1 }, font: axisFont },
      {
        stroke: look.axis,
        grid: { stroke: look.grid, width: 1 },
        ticks: { show: false },
        font: axisFont,
        size: 56,
        values: (_u, ticks) => ticks.map((tick) => formatValue(tick, look.unit)),
      },
    ],
    series: [
      {},
      ...data.series.map((line, index) => {
        const color = CHART_COLORS[index % CHART_COLORS.length] ?? '#6366f1'
        const sparse = line.values.includes(null) && line.values.filter((value) => value !== null).length <= SPARSE
        return {
          label: line.label,
          stroke: color,
          width: bars === undefined ? 1.75 : 0,
          fill: bars === undefined ? undefined : color,
          paths: bars,
          // A lone value between gaps draws no line: dots keep sparse figures (medians, samples) visible.
          points: { show: bars === undefined && sparse, size: 5, fill: color },
          spanGaps: false,
          value: (_u: uPlot, value: number | null) => formatValue(value, look.unit),
        }
      }),
    ],
  }
}

/** The chart's data as uPlot takes it: x in seconds, then one array per line. */
export function chartData(data: ChartData): uPlot.AlignedData {
  return [data.x.map((at) => at / 1000), ...data.series.map((line) => line.values)]
}
