import type { Capability } from '../../../../shared/catalog'
import type { FitState } from '../../../../shared/memory-fit'

export { formatBytes } from '../../format/bytes'
export { formatParameters } from '../../../../shared/units'

const KIB = 1024

/** "187k", "1.2M", "41" */
export function formatCount(count: number): string {
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e7 ? 0 : 1)}M`
  if (count >= 1e3) return `${(count / 1e3).toFixed(count >= 1e4 ? 0 : 1)}k`
  return String(count)
}

/** Context lengths in K of 1024 tokens, as model cards write them: 131072 → "128K". */
export function formatTokens(tokens: number | null): string {
  if (tokens === null || !Number.isFinite(tokens)) return '—'
  if (tokens >= KIB * KIB) return `${+(tokens / (KIB * KIB)).toFixed(1)}M`
  if (tokens >= KIB) return `${+(tokens / KIB).toFixed(1)}K`
  return String(tokens)
}

export function formatBits(bits: number | null): string {
  if (bits === null) return '—'
  return bits >= 16 ? `${bits}-bit (unquantized)` : `${bits}-bit`
}

/** Short form for dense rows: "4-bit", "bf16". */
export function formatBitsShort(bits: number | null): string {
  if (bits === null) return '—'
  if (bits === 16) return '16-bit'
  return `${bits}-bit`
}

const UNITS_OF_TIME: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
]

/** "3 days ago", "just now"; empty for a missing or unreadable time. */
export function formatRelative(iso: string | null, now: number = Date.now()): string {
  if (iso === null) return ''
  const time = Date.parse(iso)
  if (Number.isNaN(time)) return ''
  const seconds = Math.round((time - now) / 1000)
  if (Math.abs(seconds) < 60) return 'just now'
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
  for (const [unit, size] of UNITS_OF_TIME) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit)
  }
  return 'just now'
}

/** "12 Oct 2024" */
export function formatDate(iso: string | null): string {
  if (iso === null) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? '—' : date.toLocaleDateString('en-GB', { year: 'numeric', month: 'short', day: 'numeric' })
}

export const FIT_LABELS: Record<FitState, string> = {
  fits: 'Fits',
  tight: 'Tight',
  'too-large': 'Will not fit',
}

export const CAPABILITY_LABELS: Record<Capability, string> = {
  text: 'Text',
  vision: 'Vision',
  tools: 'Tools',
  reasoning: 'Reasoning',
}

export const FAMILY_LABELS: Record<string, string> = {
  llama: 'Llama',
  qwen: 'Qwen',
  gemma: 'Gemma',
  mistral: 'Mistral',
  phi: 'Phi',
  deepseek: 'DeepSeek',
  'gpt-oss': 'gpt-oss',
  glm: 'GLM',
  granite: 'Granite',
  olmo: 'OLMo',
  cohere: 'Cohere',
  other: 'Other',
}

export function familyLabel(family: string | null): string {
  return family === null ? '—' : (FAMILY_LABELS[family] ?? family)
}
