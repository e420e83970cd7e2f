import { engineErrorMessage, sseData } from '../chat/upstream'

export type Fetcher = (url: string, init?: RequestInit) => Promise<Response>

/** What one streamed completion took, as the engine counted its tokens. */
export interface CompletionTiming {
  promptTokens: number
  completionTokens: number
  /** From sending the request to the first piece of text (answer or reasoning). */
  timeToFirstTokenMs: number
  /** From the first piece of text to the last. */
  generationMs: number
  totalMs: number
}

/** A sentence repeated to make prompts of a given size: plain words, so every tokenizer splits it evenly. */
export const FILLER = 'The quick brown fox jumps over the lazy dog while the river runs past the old mill.'
const FILLER_WORDS = FILLER.split(' ')

/**
 * A prompt of `words` words of the repeated filler after a unique opening: engines reuse the cache
 * of a prompt's shared beginning (mlx_lm.server does), which would make a repeated prompt look
 * impossibly fast. Words, not whole sentences, so a tokenizer with a tiny vocabulary (many tokens
 * per sentence) can still be brought close to a size.
 */
export function benchmarkPrompt(nonce: string, words: number): string {
  const body = Array.from({ length: Math.max(0, words) }, (_, i) => FILLER_WORDS[i % FILLER_WORDS.length]).join(' ')
  return `${nonce} ${body}`
}

interface Chunk {
  choices?: { delta?: { content?: unknown; reasoning?: unknown; reasoning_content?: unknown } }[]
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown }
}

const hasText = (value: unknown) => typeof value === 'string' && value !== ''

/** Sends one streamed chat completion straight to the engine and times it. */
export async function timeCompletion(
  fetcher: Fetcher,
  options: { url: string; model: string; prompt: string; maxTokens: number; signal: AbortSignal },
): Promise<CompletionTiming> {
  const started = performance.now()
  const response = await fetcher(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({
      model: options.model,
      messages: [{ role: 'user', content: options.prompt }],
      max_tokens: options.maxTokens,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    }),
    signal: options.signal,
  })
  if (!response.ok || response.body === null) {
    throw new Error(`the engine answered ${response.status}: ${engineErrorMessage(await response.text())}`)
  }
  let first: number | null = null
  let last: number | null = null
  let pieces = 0
  let promptTokens: number | null = null
  let completionTokens: number | null = null
  for await (const data of sseData(response.body, options.signal)) {
    if (data === '[DONE]') break
    let chunk: Chunk
    try {
      chunk = JSON.parse(data) as Chunk
    } catch {
      continue
    }
    const delta = chunk.choices?.[0]?.delta
    if (delta !== undefined && (hasText(delta.content) || hasText(delta.reasoning) || hasText(delta.reasoning_content))) {
      last = performance.now()
      first ??= last
      pieces++
    }
    if (typeof chunk.usage?.prompt_tokens === 'number') promptTokens = chunk.usage.prompt_tokens
    if (typeof chunk.usage?.completion_tokens === 'number') completionTokens = chunk.usage.completion_tokens
  }
  const ended = performance.now()
  if (first === null || last === null) throw new Error('the engine answered without any text')
  if (promptTokens === null) throw new Error('the engine did not report usage.prompt_tokens, so prompt sizes cannot be measured')
  return {
    promptTokens,
    completionTokens: completionTokens ?? pieces,
    timeToFirstTokenMs: first - started,
    generationMs: last - first,
    totalMs: ended - started,
  }
}
