import { AppError } from '../../../http/errors'
import { ThinkSplitter } from '../../chat/think'
import type { AnthropicMessage, MessageUsage, ResponseBlock, StopReason } from './model'

/** What translating an answer back needs from the request. */
export interface AnswerContext {
  /** The model as the client named it: Anthropic's answers repeat it. */
  model: string
  /** Reasoning becomes thinking blocks only when the request enabled thinking; otherwise it is left out. */
  thinking: boolean
  stopSequences: string[]
}

export interface EngineUsage {
  prompt_tokens?: number | null
  completion_tokens?: number | null
  prompt_tokens_details?: { cached_tokens?: number | null } | null
}

interface EngineToolCall {
  index?: number
  id?: string | null
  function?: { name?: string | null; arguments?: string | null } | null
}

interface EngineChoice {
  message?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: EngineToolCall[] | null }
  finish_reason?: string | null
  /** vLLM-style engines name the stop string that ended the reply here. */
  stop_reason?: unknown
}

const random = () => crypto.randomUUID().replaceAll('-', '')

export const messageId = () => `msg_${random()}`
export const toolUseId = () => `toolu_${random()}`

/**
 * Anthropic's usage from the engine's: `input_tokens` counts only what was not read from the
 * prompt cache, as Anthropic counts it (the whole prompt is input + cache read + cache creation).
 */
export function toUsage(usage: EngineUsage | null | undefined, outputFallback = 0): MessageUsage {
  const prompt = usage?.prompt_tokens ?? 0
  const cached = Math.min(prompt, usage?.prompt_tokens_details?.cached_tokens ?? 0)
  return { input_tokens: prompt - cached, output_tokens: usage?.completion_tokens ?? outputFallback, cache_creation_input_tokens: 0, cache_read_input_tokens: cached }
}

/**
 * Why the reply ended, in Anthropic's words. A reply that calls a tool ends for `tool_use` whatever
 * the engine said; `stop` is a stop sequence only when the engine names which one (OpenAI's API does
 * not say), otherwise the end of the turn.
 */
export function stopReasonOf(finish: string | null, calledTool: boolean, stopSequences: string[], matched: unknown): { reason: StopReason; sequence: string | null } {
  if (calledTool || finish === 'tool_calls' || finish === 'function_call') return { reason: 'tool_use', sequence: null }
  if (finish === 'length') return { reason: 'max_tokens', sequence: null }
  if (finish === 'content_filter') return { reason: 'refusal', sequence: null }
  if (typeof matched === 'string' && stopSequences.includes(matched)) return { reason: 'stop_sequence', sequence: matched }
  return { reason: 'end_turn', sequence: null }
}

/**
 * A tool call's arguments as the object Anthropic's `input` is. Arguments that are not a JSON
 * object (a model's slip) become `{}`, so the client's tool reports what is missing and the model
 * can try again, instead of the whole answer failing.
 */
export function toolInput(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** The reasoning text of a message or delta: `reasoning_content` (mlx-openai-server) or `reasoning` (mlx_lm.server). */
export function reasoningOf(part: { reasoning_content?: unknown; reasoning?: unknown } | undefined): string {
  const text = part?.reasoning_content ?? part?.reasoning
  return typeof text === 'string' ? text : ''
}

/** A whole chat completion as an Anthropic message: thinking (when asked for), then text, then one tool_use block per call. */
export function toMessage(completionText: string, context: AnswerContext): AnthropicMessage {
  let completion: { choices?: EngineChoice[]; usage?: EngineUsage | null }
  try {
    completion = JSON.parse(completionText) as typeof completion
  } catch {
    throw new AppError(502, 'engine-error', 'The engine answered with something that is not a chat completion.')
  }
  const choice = completion.choices?.[0]
  if (choice === undefined) throw new AppError(502, 'engine-error', 'The engine answered without a reply (no choices).')
  const message = choice.message ?? {}
  const content: ResponseBlock[] = []
  // Reasoning the engine did not separate arrives as `<think>…</think>` in the content, as in the manager's chat.
  const splitter = new ThinkSplitter()
  const pieces = typeof message.content === 'string' ? [...splitter.push(message.content), ...splitter.flush()] : []
  const reasoning = reasoningOf(message) + pieces.filter((piece) => piece.kind === 'reasoning').map((piece) => piece.text).join('')
  const text = pieces.filter((piece) => piece.kind === 'token').map((piece) => piece.text).join('')
  if (context.thinking && reasoning !== '') content.push({ type: 'thinking', thinking: reasoning, signature: '' })
  if (text !== '') content.push({ type: 'text', text })
  for (const call of message.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id || toolUseId(), name: call.function?.name ?? '', input: toolInput(call.function?.arguments ?? '') })
  }
  const calledTool = content.some((block) => block.type === 'tool_use')
  const stop = stopReasonOf(choice.finish_reason ?? null, calledTool, context.stopSequences, choice.stop_reason)
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model: context.model,
    content,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage: toUsage(completion.usage),
  }
}
