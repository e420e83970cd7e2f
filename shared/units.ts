/**
 * How sizes and counts are written, in one place for the app and the manager's own sentences
 * (the memory budget explanation), so a figure never reads "24.0 GiB" in one line and "24 GB" in the next.
 */

const KIB = 1024
const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const

/**
 * The one way the app writes a size: powers of two, as the memory meter and macOS count them, so
 * a model's weights, a download and this machine's budget read alike ("4.3 GB" everywhere), with
 * one decimal below 100 of a unit and none above ("612 B", "3.5 MB", "512 KB").
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '—'
  let value = Math.max(0, bytes)
  let unit = 0
  while (value >= KIB && unit < BYTE_UNITS.length - 1) {
    value /= KIB
    unit += 1
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : 1
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`
}

const PARAMETER_UNITS = [
  { size: 1e12, suffix: 'T', digits: 1 },
  { size: 1e9, suffix: 'B', digits: 1 },
  { size: 1e6, suffix: 'M', digits: 0 },
  { size: 1e3, suffix: 'K', digits: 0 },
] as const
const SMALLEST_PARAMETER_UNIT = { size: 1e3, suffix: 'K', digits: 0 } as const

/**
 * Parameter counts as model names write them: "1B", "1.5B", "7.6B", "270M", "235B". A count that
 * the unit below would round to 1000 is written in this one ("1B", never "1000M"); ".0" is dropped.
 */
export function formatParameters(count: number | null): string {
  if (count === null || !Number.isFinite(count) || count <= 0) return '—'
  const unit = PARAMETER_UNITS.find(({ size }) => count >= size * 0.9995) ?? SMALLEST_PARAMETER_UNIT
  const value = count / unit.size
  return `${Number(value.toFixed(value >= 100 ? 0 : unit.digits))}${unit.suffix}`
}
