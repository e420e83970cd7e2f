import type { ChatEvent, ChatRequest } from '../../../../shared/chat'
import { streamChat } from '../../api/chat-stream'
import { toChatMessage } from './attachments'
import type { ChatParameters, MessageRow } from './types'

export type StreamPhase = 'waiting' | 'loading-model' | 'streaming'

/** The request for a conversation's messages with its own settings (unset ones are the profile's). */
export function requestFor(profileId: number, parameters: ChatParameters, sent: readonly MessageRow[]): ChatRequest {
  const { systemPrompt, temperature, topP, maxTokens } = parameters
  const request: ChatRequest = { profileId, messages: sent.map(toChatMessage) }
  if (systemPrompt !== null) request.systemPrompt = systemPrompt
  if (temperature !== null) request.temperature = temperature
  if (topP !== null) request.topP = topP
  if (maxTokens !== null) request.maxTokens = maxTokens
  return request
}

/** Writes one event into the answer; thinking time runs from the first thought to the first word. */
function apply(event: ChatEvent, answer: MessageRow, clock: { thinkingSince: number | null }): void {
  switch (event.type) {
    case 'reasoning':
      clock.thinkingSince ??= performance.now()
      answer.reasoning = (answer.reasoning ?? '') + event.data.text
      break
    case 'token':
      if (clock.thinkingSince !== null && answer.reasoningMs === null) answer.reasoningMs = performance.now() - clock.thinkingSince
      answer.content += event.data.text
      break
    case 'metrics':
      answer.metrics = event.data
      break
    case 'error':
      answer.status = 'error'
      answer.error = event.data
      break
    case 'loading':
    case 'tool_call':
    case 'done':
      break
  }
}

/**
 * Streams a reply into `answer` (a reactive row, so every token shows as it lands). A stopped
 * server is started by the manager for the reply; its `loading` event is told through `onPhase`
 * until the first words. Throws what `streamChat` throws: an ApiError for a refusal or a lost
 * connection, an AbortError when `signal` stops it.
 */
export async function streamAnswer(request: ChatRequest, answer: MessageRow, signal: AbortSignal, onPhase: (phase: StreamPhase, notice: string | null) => void): Promise<void> {
  const clock = { thinkingSince: null as number | null }
  try {
    for await (const event of streamChat(request, signal)) {
      if (event.type === 'loading') onPhase('loading-model', event.data.message)
      else onPhase('streaming', null)
      apply(event, answer, clock)
    }
  } finally {
    // Stopped while thinking: the time thought so far.
    if (clock.thinkingSince !== null && answer.reasoningMs === null) answer.reasoningMs = performance.now() - clock.thinkingSince
  }
}
