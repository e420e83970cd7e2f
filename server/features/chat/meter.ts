import type { ChatMetrics } from '../../../shared/chat'

/** Token counts as engines report them in their last chunk. */
export interface UpstreamUsage {
  prompt_tokens?: number
  completion_tokens?: number
  /** OpenAI's place for prompt tokens answered from the engine's cache. */
  prompt_tokens_details?: { cached_tokens?: number | null } | null
}

/**
 * What the manager measures of one engine reply, which engines do not report: time to first token
 * and token rates. Fed by whoever reads the reply (the chat relay, the gateway).
 */
export class ReplyMeter {
  readonly startedAt: string
  private readonly started: number
  private first: number | null = null
  private last: number | null = null
  private chunks = 0
  usage: UpstreamUsage | null = null

  constructor(
    private readonly clock: () => number,
    now: Date,
  ) {
    this.startedAt = now.toISOString()
    this.started = clock()
  }

  /** A chunk carrying output (text, reasoning or a tool call) arrived. */
  output(): void {
    this.last = this.clock()
    this.first ??= this.last
    this.chunks++
  }

  measure(): ChatMetrics {
    const round = (value: number) => Math.round(value * 100) / 100
    const completionTokens = this.usage?.completion_tokens ?? this.chunks
    const promptTokens = this.usage?.prompt_tokens ?? null
    const ttft = this.first === null ? null : this.first - this.started
    const span = this.first !== null && this.last !== null ? this.last - this.first : 0
    return {
      timeToFirstTokenMs: ttft === null ? null : round(ttft),
      promptTokens,
      completionTokens,
      // Tokens after the first arrive over first→last; the first one's cost is in the time to first token.
      generationTokensPerSecond: completionTokens > 1 && span > 0 ? round(((completionTokens - 1) * 1000) / span) : null,
      promptTokensPerSecond: promptTokens !== null && ttft !== null && ttft > 0 ? round((promptTokens * 1000) / ttft) : null,
      totalMs: round(this.clock() - this.started),
    }
  }
}
