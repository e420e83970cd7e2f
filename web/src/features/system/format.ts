const GIB = 1024 ** 3

/** Bytes as gigabytes with one decimal, counted in powers of two as macOS reports RAM (a 24 GB Mac shows 24.0). */
export function gigabytes(bytes: number): string {
  return (Math.max(0, bytes) / GIB).toFixed(1)
}

/** "12.3 / 24.0 GB" */
export function memoryLabel(usedBytes: number, totalBytes: number): string {
  return `${gigabytes(usedBytes)} / ${gigabytes(totalBytes)} GB`
}

/** Share of memory in use, 0 to 1. */
export function memoryFraction(usedBytes: number, totalBytes: number): number {
  if (!(totalBytes > 0)) return 0
  return Math.min(1, Math.max(0, usedBytes / totalBytes))
}
