import type { ChatMetrics } from '../../../../shared/chat'

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms / 1000)} s`
}

/** The facts under an answer, e.g. ["0.21 s to first token", "42.3 tok/s", "18 prompt", "256 tokens"]. */
export function metricsParts(metrics: ChatMetrics): string[] {
  const parts: string[] = []
  if (metrics.timeToFirstTokenMs !== null) parts.push(`${seconds(metrics.timeToFirstTokenMs)} to first token`)
  if (metrics.generationTokensPerSecond !== null) parts.push(`${metrics.generationTokensPerSecond.toFixed(1)} tok/s`)
  if (metrics.promptTokens !== null) parts.push(`${metrics.promptTokens} prompt tokens`)
  parts.push(`${metrics.completionTokens} ${metrics.completionTokens === 1 ? 'token' : 'tokens'}`)
  return parts
}

/** "Thought for 4 s", "Thought for 1 min 5 s"; under a second reads as "a moment". */
export function thoughtFor(ms: number): string {
  if (ms < 1000) return 'Thought for a moment'
  const total = Math.round(ms / 1000)
  if (total < 60) return `Thought for ${total} s`
  return `Thought for ${Math.floor(total / 60)} min ${total % 60} s`
}
