import type { ChatEvent, ChatRequest } from '../../../../shared/chat'
import { ApiError } from '../../api/client'
import { streamChat } from '../../api/chat-stream'
import { toChatMessage } from './attachments'
import type { ChatParameters, MessageRow } from './types'

/** How long to keep sending again while a server is still loading its model. */
const STARTING_PATIENCE_MS = 120_000

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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(new DOMException('The reply was stopped.', 'AbortError'))
      },
      { once: true },
    )
  })
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
    case 'tool_call':
    case 'done':
      break
  }
}

/**
 * Streams a reply into `answer` (a reactive row, so every token shows as it lands). While the
 * server is still loading its model it waits as the manager asks and sends again, saying so through
 * `onPhase`. Throws what `streamChat` throws: an ApiError for a refusal or a lost connection, an
 * AbortError when `signal` stops it.
 */
export async function streamAnswer(
  request: ChatRequest,
  answer: MessageRow,
  profileName: string,
  signal: AbortSignal,
  onPhase: (phase: StreamPhase, notice: string | null) => void,
): Promise<void> {
  const giveUpAt = Date.now() + STARTING_PATIENCE_MS
  const clock = { thinkingSince: null as number | null }
  try {
    for (;;) {
      try {
        for await (const event of streamChat(request, signal)) {
          onPhase('streaming', null)
          apply(event, answer, clock)
        }
        return
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'server-starting' && Date.now() < giveUpAt)) throw error
        const seconds = error.retryAfterSeconds ?? 2
        onPhase('loading-model', `${profileName} is still loading its model; sending again in ${seconds} s.`)
        await sleep(seconds * 1000, signal)
      }
    }
  } finally {
    // Stopped while thinking: the time thought so far.
    if (clock.thinkingSince !== null && answer.reasoningMs === null) answer.reasoningMs = performance.now() - clock.thinkingSince
  }
}
