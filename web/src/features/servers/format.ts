import type { ServerState, ServerStatus } from '../../../../shared/servers'

export const STATE_LABELS: Record<ServerState, { label: string; type: 'default' | 'info' | 'success' | 'warning' | 'error' }> = {
  starting: { label: 'Starting', type: 'info' },
  ready: { label: 'Ready', type: 'success' },
  stopping: { label: 'Stopping', type: 'warning' },
  stopped: { label: 'Stopped', type: 'default' },
  failed: { label: 'Failed', type: 'error' },
}

/** 75 s → "1m 15s", 2 h → "2h 0m". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours}h ${minutes % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

export { formatBytes as bytes } from '../../format/bytes'

/** 100 = one core; shown as is, since a server may use several. */
export function cpu(percent: number): string {
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)}%`
}

/** How long the server has been up (from ready) or loading (from start). */
export function since(iso: string | null, now: number): string | null {
  if (iso === null) return null
  return duration(now - Date.parse(iso))
}

export function exitText(server: Pick<ServerStatus, 'exitCode' | 'signal'>): string | null {
  if (server.exitCode !== null) return `exit code ${server.exitCode}`
  if (server.signal !== null) return `killed by ${server.signal}`
  return null
}

/**
 * Points for an SVG polyline in a width × height box, from 0 at the bottom to `top` (the data's
 * peak when unset). One sample is a level line across, so a tile is never blank before the second.
 */
export function sparkPoints(values: number[], width: number, height: number, top = Math.max(0, ...values)): string {
  if (values.length === 0) return ''
  const scale = top > 0 ? top : 1
  const y = (value: number) => (height - (Math.min(value, scale) / scale) * (height - 2) - 1).toFixed(1)
  const first = values[0] ?? 0
  if (values.length === 1) return `0.0,${y(first)} ${width.toFixed(1)},${y(first)}`
  const step = width / (values.length - 1)
  return values.map((value, index) => `${(index * step).toFixed(1)},${y(value)}`).join(' ')
}

const NICE_STEPS = [1, 2, 2.5, 5, 10]

/** The smallest of 1, 2, 2.5, 5 × a power of ten that is at least `value` (a round axis top). */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  const step = NICE_STEPS.find((n) => n * power >= value * (1 - 1e-9)) ?? 10
  return step * power
}

/** A chart's top for sizes: a round number of the unit the value is written in (37 MB → 50 MB, 1.3 GB → 2 GB). */
export function niceBytes(value: number): number {
  let unit = 1
  while (value >= unit * 1024 && unit < 1024 ** 4) unit *= 1024
  return niceCeil(value / unit) * unit
}

/** The axis top for a chart: never below `minimum`, and with headroom so a level line sits below the top. */
export function chartTop(values: number[], minimum: number, round: (value: number) => number = niceCeil): number {
  const peak = Math.max(0, ...values)
  return Math.max(minimum, round(peak * 1.1))
}

/** Counts that stay short on a tile: 950 → "950", 12 345 → "12.3k", 4 500 000 → "4.5M". */
export function count(value: number): string {
  if (value < 1000) return String(value)
  if (value < 1_000_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}k`
  return `${(value / 1_000_000).toFixed(1)}M`
}

/** Generation speed: "42.1 tok/s", or "–" before a reply has been measured. */
export function tokenRate(perSecond: number | null): string {
  return perSecond === null ? '–' : `${perSecond < 100 ? perSecond.toFixed(1) : Math.round(perSecond)} tok/s`
}

/** Time to first token: "320 ms", "1.4 s", or "–". */
export function latency(ms: number | null): string {
  if (ms === null) return '–'
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

/** A clock time as this device writes it: "14:32" (or "2:32 PM"). */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

/** How long until a moment, in words for a sentence: "in 12 min", "in 1 h 5 min", "in less than a minute". */
export function inWords(ms: number): string {
  const minutes = Math.ceil(ms / 60_000)
  if (ms < 60_000) return 'in less than a minute'
  if (minutes < 60) return `in ${minutes} min`
  const rest = minutes % 60
  return `in ${Math.floor(minutes / 60)} h${rest === 0 ? '' : ` ${rest} min`}`
}

/** When the serving pool stops an idle server: "Stops when idle at 14:32, in 12 min"; null when it will not. */
export function idleStopText(idleStopsAt: string | null, now: number): string | null {
  if (idleStopsAt === null) return null
  const at = Date.parse(idleStopsAt)
  if (Number.isNaN(at)) return null
  if (at <= now) return 'Idle time is up: stopping'
  return `Stops when idle at ${clockTime(idleStopsAt)}, ${inWords(at - now)}`
}
