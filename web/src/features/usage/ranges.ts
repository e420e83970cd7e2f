import type { UsageBucket } from '../../../../shared/observability'

/** The time ranges the charts, usage and request log offer, each with the bucket that draws it well. */
// `statStepMs`: CPU and memory come as samples or rollups at their own times; charts put them on this grid.
export const RANGES = [
  { value: '1h', label: '1 h', ms: 60 * 60 * 1000, bucket: 'minute', statStepMs: 60_000 },
  { value: '24h', label: '24 h', ms: 24 * 60 * 60 * 1000, bucket: 'hour', statStepMs: 10 * 60_000 },
  { value: '7d', label: '7 d', ms: 7 * 24 * 60 * 60 * 1000, bucket: 'hour', statStepMs: 60 * 60_000 },
  { value: '30d', label: '30 d', ms: 30 * 24 * 60 * 60 * 1000, bucket: 'day', statStepMs: 6 * 60 * 60_000 },
] as const satisfies readonly { value: string; label: string; ms: number; bucket: UsageBucket; statStepMs: number }[]

export type RangeValue = (typeof RANGES)[number]['value']

export const BUCKET_MS: Record<UsageBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

export function isRange(value: unknown): value is RangeValue {
  return RANGES.some((range) => range.value === value)
}

export interface RangeWindow {
  from: string
  to: string
  bucket: UsageBucket
}

export function statStep(range: RangeValue): number {
  return (RANGES.find((item) => item.value === range) ?? RANGES[1]).statStepMs
}

/** Grid points (ms) every `step` from the one holding `from` up to `to`. */
export function grid(from: string, to: string, step: number): number[] {
  const end = Date.parse(to)
  const points: number[] = []
  for (let at = Math.floor(Date.parse(from) / step) * step; at <= end; at += step) points.push(at)
  return points
}

/** The window a range covers, ending now. */
export function rangeWindow(range: RangeValue, now: number): RangeWindow {
  const chosen = RANGES.find((item) => item.value === range) ?? RANGES[1]
  return { from: new Date(now - chosen.ms).toISOString(), to: new Date(now).toISOString(), bucket: chosen.bucket }
}

/** Every bucket start (ms) from the one holding `from` up to `to`; buckets start on UTC boundaries, as the manager's do. */
export function bucketStarts(window: RangeWindow): number[] {
  return grid(window.from, window.to, BUCKET_MS[window.bucket])
}
