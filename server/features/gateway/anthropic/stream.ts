import { MEASUREMENTS_FIELD } from '../../chat/exchange'
import { ThinkSplitter, type TextPiece } from '../../chat/think'
import type { ResponseBlock } from './model'
import { messageId, reasoningOf, stopReasonOf, toUsage, toolUseId, type AnswerContext, type EngineUsage } from './response'

/** One event of Anthropic's stream: its `type` is also the SSE event name. */
export interface StreamEvent {
  type: string
  [field: string]: unknown
}

interface ChunkToolCall {
  index?: number
  id?: string | null
  function?: { name?: string | null; arguments?: string | null } | null
}

interface Chunk {
  choices?: { delta?: { content?: unknown; reasoning_content?: unknown; reasoning?: unknown; tool_calls?: ChunkToolCall[] | null }; finish_reason?: string | null; stop_reason?: unknown }[]
  usage?: EngineUsage | null
  error?: unknown
  [MEASUREMENTS_FIELD]?: unknown
}

/** An event as an SSE frame, named by its type as Anthropic's clients expect. */
export const frame = (event: StreamEvent) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`

/** Anthropic's error event: its clients raise it as an API error of that type. */
export const errorEvent = (type: string, message: string): StreamEvent => ({ type: 'error', error: { type, message } })

/**
 * Turns an engine's chat completion chunks into Anthropic's stream events, one content block at a
 * time as Anthropic sends them: `content_block_start`, its deltas, `content_block_stop`, then the
 * next. Reasoning (the engine's reasoning field, or `<think>…</think>` in its content, as the
 * manager's chat reads it) is a thinking block when the request enabled thinking and is dropped
 * otherwise; text is a text block; each tool call a tool_use block whose arguments arrive as
 * `input_json_delta`.
 */
export class MessageStreamTranslator {
  private readonly id = messageId()
  /** The open block: its index, its kind, and for a tool call the engine's key for it. */
  private open: { index: number; kind: ResponseBlock['type']; tool?: string } | null = null
  private blocks = 0
  /** Tool calls seen so far, by the engine's index (or order, for engines that send none), to their block index. */
  private readonly tools = new Map<string, number>()
  private unindexed = 0
  private finish: string | null = null
  private matched: unknown = null
  private usage: EngineUsage | null = null
  private measurements: unknown = undefined
  private readonly splitter = new ThinkSplitter()

  constructor(private readonly context: AnswerContext) {}

  /** The opening `message_start`: the usage it carries is completed by the closing `message_delta`. */
  start(): StreamEvent[] {
    return [
      {
        type: 'message_start',
        message: { id: this.id, type: 'message', role: 'assistant', model: this.context.model, content: [], stop_reason: null, stop_sequence: null, usage: toUsage(null) },
      },
    ]
  }

  /** The events for one engine payload; an error the engine reports is an `error` event, after which the stream ends. */
  push(payload: string): StreamEvent[] {
    let chunk: Chunk
    try {
      chunk = JSON.parse(payload) as Chunk
    } catch {
      return []
    }
    if (chunk.error !== undefined && chunk.error !== null) return [errorEvent('api_error', engineErrorText(chunk.error))]
    if (chunk.usage) this.usage = chunk.usage
    if (chunk[MEASUREMENTS_FIELD] !== undefined) this.measurements = chunk[MEASUREMENTS_FIELD]
    const choice = chunk.choices?.[0]
    if (choice === undefined) return []
    const events: StreamEvent[] = []
    const delta = choice.delta ?? {}
    const reasoning = reasoningOf(delta)
    if (reasoning !== '') this.text(events, { kind: 'reasoning', text: reasoning })
    if (typeof delta.content === 'string' && delta.content !== '') for (const piece of this.splitter.push(delta.content)) this.text(events, piece)
    for (const call of delta.tool_calls ?? []) this.toolCall(events, call)
    if (typeof choice.finish_reason === 'string') this.finish = choice.finish_reason
    if (choice.stop_reason !== undefined && choice.stop_reason !== null) this.matched = choice.stop_reason
    return events
  }

  /**
   * The closing events: the open block's stop, `message_delta` with why the reply ended and the
   * whole usage (plus the manager's measurements, under a field clients ignore), `message_stop`.
   */
  end(outputFallback: number): StreamEvent[] {
    const events: StreamEvent[] = []
    for (const piece of this.splitter.flush()) this.text(events, piece)
    this.close(events)
    const stop = stopReasonOf(this.finish, this.tools.size > 0, this.context.stopSequences, this.matched)
    events.push({
      type: 'message_delta',
      delta: { stop_reason: stop.reason, stop_sequence: stop.sequence },
      usage: toUsage(this.usage, outputFallback),
      ...(this.measurements === undefined ? {} : { [MEASUREMENTS_FIELD]: this.measurements }),
    })
    events.push({ type: 'message_stop' })
    return events
  }

  private text(events: StreamEvent[], piece: TextPiece): void {
    if (piece.kind === 'token') {
      const index = this.ensure(events, 'text')
      events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece.text } })
    } else if (this.context.thinking) {
      const index = this.ensure(events, 'thinking')
      events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece.text } })
    }
  }

  private toolCall(events: StreamEvent[], call: ChunkToolCall): void {
    // OpenAI's deltas name a call by index; an engine that sends whole calls without one starts a new call with each id.
    let key: string
    if (typeof call.index === 'number') key = `i${call.index}`
    else if (call.id) key = `n${this.unindexed++}`
    else key = this.open?.tool ?? `n${this.unindexed++}`
    let index = this.tools.get(key)
    if (index === undefined) {
      this.close(events)
      index = this.blocks++
      this.open = { index, kind: 'tool_use', tool: key }
      this.tools.set(key, index)
      events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: call.id || toolUseId(), name: call.function?.name ?? '', input: {} } })
    }
    const partial = call.function?.arguments
    if (typeof partial === 'string' && partial !== '') events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } })
  }

  /** The index of an open block of this kind, opening one (and closing the one before) if need be. */
  private ensure(events: StreamEvent[], kind: 'text' | 'thinking'): number {
    if (this.open?.kind === kind) return this.open.index
    this.close(events)
    const index = this.blocks++
    this.open = { index, kind }
    events.push({ type: 'content_block_start', index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' } })
    return index
  }

  private close(events: StreamEvent[]): void {
    if (this.open === null) return
    events.push({ type: 'content_block_stop', index: this.open.index })
    this.open = null
  }
}

function engineErrorText(error: unknown): string {
  if (typeof error === 'string') return error
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message
  return JSON.stringify(error)
}
