/**
 * Fixed histogram buckets, shared by the Prometheus export and the usage rollups: once raw
 * records are rolled up, medians and p95 are estimated from these counts.
 */

/** Upper bounds of the time-to-first-token buckets, in milliseconds (+Inf follows). */
export const TTFT_BOUNDS_MS = [25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const
/** Upper bounds of the generation-speed buckets, in tokens per second (+Inf follows). */
export const TPS_BOUNDS = [1, 5, 10, 20, 30, 40, 60, 80, 100, 150, 200, 300, 500] as const

/** Counts per bucket: one per bound, then the +Inf bucket. Not cumulative. */
export type Histogram = number[]

export const emptyHistogram = (bounds: readonly number[]): Histogram => new Array<number>(bounds.length + 1).fill(0)

/** The bucket a value falls in: the first whose upper bound is at least the value. */
export function bucketIndex(bounds: readonly number[], value: number): number {
  let low = 0
  let high = bounds.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (bounds[middle]! >= value) high = middle
    else low = middle + 1
  }
  return low
}

export function addTo(histogram: Histogram, other: readonly number[]): void {
  for (let i = 0; i < histogram.length; i++) histogram[i]! += other[i] ?? 0
}

/**
 * A quantile estimated as Prometheus' histogram_quantile does: linear within the bucket that holds
 * it, the first bucket starting at 0; a quantile in the +Inf bucket is the highest finite bound.
 */
export function histogramQuantile(bounds: readonly number[], histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0)
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!
    if (count > 0 && seen + count >= rank) {
      if (i === bounds.length) return bounds[bounds.length - 1]!
      const lower = i === 0 ? 0 : bounds[i - 1]!
      return lower + (bounds[i]! - lower) * ((rank - seen) / count)
    }
    seen += count
  }
  return bounds[bounds.length - 1]!
}

/** The median of an ascending list (the mean of the middle two for an even count). */
export function sortedMedian(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The median of values in any order; the list given is left as it was. */
export function median(values: readonly number[]): number | null {
  return sortedMedian([...values].sort((a, b) => a - b))
}

/** The nearest-rank quantile of an ascending list: the smallest value with at least q of them at or below it. */
export function sortedQuantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
