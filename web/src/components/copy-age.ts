import { formatDate, formatRelative } from '../features/catalog/format'

/** How old a kept copy is, in words: "{label} 5 minutes ago" (a date once it is old), or `never` without one. */
export function copyAge(at: string | null, label: string, never: string): string {
  if (at === null) return never
  const relative = formatRelative(at)
  return `${label} ${relative === '' ? formatDate(at) : relative}`
}
