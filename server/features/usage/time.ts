import type { UsageBucket } from '../../../shared/observability'

export const MINUTE_MS = 60_000
export const HOUR_MS = 3_600_000
export const DAY_MS = 86_400_000

export const BUCKET_MS: Record<UsageBucket, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS }

/**
 * The start of the UTC minute, hour or day an ISO time (as `toISOString` writes it) falls in.
 * Slicing the string keeps this cheap for the hundreds of thousands of rows a usage query may read.
 */
export function bucketStart(iso: string, bucket: UsageBucket): string {
  if (bucket === 'minute') return `${iso.slice(0, 16)}:00.000Z`
  if (bucket === 'hour') return `${iso.slice(0, 13)}:00:00.000Z`
  return `${iso.slice(0, 10)}T00:00:00.000Z`
}

export const floorTo = (ms: number, step: number): number => Math.floor(ms / step) * step
export const iso = (ms: number): string => new Date(ms).toISOString()
