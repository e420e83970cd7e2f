/**
 * `POST /api/chat` through the Eden client: a refusal (server not running, still loading, bad
 * input) is an ApiError before any event; after that the reply arrives as typed events. Only the
 * chat store imports this file.
 */
import type { ChatEvent, ChatRequest } from '../../../shared/chat'
import { api, ApiError, errorFromAnswer, isAbort, networkError } from './client'

// The route builds the role union from an array, which Eden types as never; the shared type is the
// contract and the manager checks every value.
type ChatBody = Parameters<typeof api.chat.post>[0]

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

const text = (data: Record<string, unknown>) => (typeof data.text === 'string' ? data.text : null)
const numberOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null)

/** Checks one event that crossed the network against its type; null for anything unexpected. */
export function parseChatEvent(type: unknown, data: unknown): ChatEvent | null {
  if (typeof type !== 'string' || !isRecord(data)) return null
  switch (type) {
    case 'token':
    case 'reasoning': {
      const value = text(data)
      return value === null ? null : { type, data: { text: value } }
    }
    case 'tool_call':
      return typeof data.index === 'number' ? { type, data: data as unknown as ChatEvent['data'] & { index: number } } : null
    case 'metrics':
      return typeof data.completionTokens === 'number' && typeof data.totalMs === 'number'
        ? {
            type,
            data: {
              timeToFirstTokenMs: numberOrNull(data.timeToFirstTokenMs),
              promptTokens: numberOrNull(data.promptTokens),
              completionTokens: data.completionTokens,
              generationTokensPerSecond: numberOrNull(data.generationTokensPerSecond),
              promptTokensPerSecond: numberOrNull(data.promptTokensPerSecond),
              totalMs: data.totalMs,
            },
          }
        : null
    case 'loading':
      return typeof data.message === 'string' ? { type, data: { message: data.message } } : null
    case 'error':
      return typeof data.code === 'string' && typeof data.message === 'string' ? { type, data: { code: data.code, message: data.message } } : null
    case 'done':
      return { type, data: { finishReason: typeof data.finishReason === 'string' ? data.finishReason : null } }
  }
  return null
}

/**
 * Sends a chat request and yields its events. Throws an ApiError when the manager refuses it or
 * cannot be reached; aborting `signal` ends the stream (the manager then stops the engine's reply).
 */
export async function* streamChat(body: ChatRequest, signal: AbortSignal): AsyncGenerator<ChatEvent> {
  let answer: Awaited<ReturnType<typeof api.chat.post>>
  try {
    answer = await api.chat.post(body as ChatBody, { fetch: { signal } })
  } catch (error) {
    if (isAbort(error)) throw error
    throw networkError()
  }
  if (answer.error !== null) {
    const response = answer.response as Response | undefined
    if (response === undefined) {
      if (signal.aborted) throw new DOMException('The reply was stopped.', 'AbortError')
      throw networkError()
    }
    throw errorFromAnswer(answer.status, answer.error.value, response)
  }
  try {
    // The route answers with its own event-stream Response; Eden reads any text/event-stream body
    // as parsed {event, data} frames.
    for await (const frame of answer.data as unknown as AsyncIterable<unknown>) {
      if (!isRecord(frame)) continue
      const event = parseChatEvent(frame.event, frame.data)
      if (event !== null) yield event
    }
  } catch (error) {
    if (isAbort(error) || signal.aborted) throw new DOMException('The reply was stopped.', 'AbortError')
    throw new ApiError('stream-interrupted', 'The connection to the manager dropped in the middle of the reply. The part received is kept; regenerate to try again.', null)
  }
}
