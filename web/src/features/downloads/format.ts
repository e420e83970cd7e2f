import type { DownloadStatus } from '../../../../shared/downloads'
import { formatBytes } from '../../format/bytes'

export { formatBytes }

/** A stalled download says 0 B/s, never the last speed it had. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond > 0 ? bytesPerSecond : 0)}/s`
}

/** "42 s", "3 min", "1 h 05 min"; null (unknown or stalled) is a dash. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—'
  const whole = Math.ceil(seconds)
  if (whole < 60) return `${whole} s`
  const minutes = Math.ceil(whole / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`
}

/** Whole percent, floored so 100 % only shows when every byte is there. */
export function percentOf(done: number, total: number): number {
  if (!(total > 0)) return 0
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)))
}

export const STATUS_LABELS: Record<DownloadStatus, string> = {
  queued: 'Queued',
  downloading: 'Downloading',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** "3 min ago", "yesterday", or the date; null is "never". */
export function formatAgo(iso: string | null, now: number = Date.now()): string {
  if (iso === null) return 'never'
  const time = new Date(iso).getTime()
  if (Number.isNaN(time)) return 'unknown'
  const seconds = Math.max(0, Math.round((now - time) / 1000))
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  const days = Math.floor(seconds / 86_400)
  if (days === 1) return 'yesterday'
  if (days < 30) return `${days} days ago`
  return new Date(time).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
}
