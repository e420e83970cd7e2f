const KIB = 1024
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const

/**
 * The one way the app writes a size: powers of two, as the memory meter and macOS count them, so
 * a model's weights, a download and this machine's budget read alike ("4.3 GB" everywhere), with
 * one decimal below 100 of a unit and none above ("612 B", "3.5 MB", "512 KB").
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '—'
  let value = Math.max(0, bytes)
  let unit = 0
  while (value >= KIB && unit < UNITS.length - 1) {
    value /= KIB
    unit += 1
  }
  const digits = unit === 0 ? 0 : value >= 100 ? 0 : 1
  return `${value.toFixed(digits)} ${UNITS[unit]}`
}
