import { formatBytes } from '../../format/bytes'
import type { ChartSeries } from '../usage/series'

/** How a chart's values read: counts, milliseconds, tokens per second, bytes or CPU percent. */
export type ChartUnit = 'count' | 'ms' | 'rate' | 'bytes' | 'percent'

/** Colours that keep their contrast on the light and the dark surface alike; the first two carry most charts. */
export const CHART_COLORS = ['#6366f1', '#e11d48', '#0d9488', '#d97706', '#0284c7', '#9333ea', '#65a30d', '#ea580c'] as const

/** 1234 → "1.2k", 2_500_000 → "2.5M": short enough for an axis on a phone. */
export function compact(value: number): string {
  const size = Math.abs(value)
  if (size >= 1e9) return `${trim(value / 1e9)}G`
  if (size >= 1e6) return `${trim(value / 1e6)}M`
  if (size >= 1e3) return `${trim(value / 1e3)}k`
  return trim(value)
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 1 : 0).replace(/\.0$/, '')
}

/** A value as the chart's unit says, for axes and the legend; null reads as a dash. */
export function formatValue(value: number | null | undefined, unit: ChartUnit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–'
  switch (unit) {
    // Small values keep a decimal, so an axis from 0 to 1 does not read "0, 1, 1".
    case 'ms':
      return value >= 1000 ? `${trim(value / 1000)} s` : `${value < 10 ? trim(value) : Math.round(value)} ms`
    case 'rate':
      return `${trim(value)} tok/s`
    case 'bytes':
      return formatBytes(value)
    case 'percent':
      return `${value < 10 ? trim(value) : Math.round(value)}%`
    case 'count':
      return compact(value)
  }
}

/** One sentence a screen reader gets instead of the canvas: each line's total, or its highest point. */
export function chartSummary(title: string, series: readonly ChartSeries[], unit: ChartUnit): string {
  const parts = series.map((line) => {
    const values = line.values.filter((value): value is number => value !== null)
    if (values.length === 0) return `${line.label}: none`
    if (unit === 'count') return `${line.label}: ${compact(values.reduce((sum, value) => sum + value, 0))} in all`
    return `${line.label}: highest ${formatValue(Math.max(...values), unit)}`
  })
  return `${title}. ${parts.join('; ')}.`
}

/** True when no line has anything to draw. */
export function isEmpty(series: readonly ChartSeries[]): boolean {
  return series.every((line) => line.values.every((value) => value === null || value === 0))
}
