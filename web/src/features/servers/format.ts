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

/** Points for an SVG polyline in a width × height box; the top is the larger of the data's peak and `floor`. */
export function sparkPoints(values: number[], width: number, height: number, floor = 0): string {
  if (values.length === 0) return ''
  const top = Math.max(floor, ...values) || 1
  const step = values.length === 1 ? 0 : width / (values.length - 1)
  return values
    .map((value, index) => `${(values.length === 1 ? width : index * step).toFixed(1)},${(height - (value / top) * (height - 2) - 1).toFixed(1)}`)
    .join(' ')
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
