/** Chat through `POST /api/chat`: the request, and the typed SSE events the reply streams as. */

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const
export type ChatRole = (typeof CHAT_ROLES)[number]

export const CHAT_LIMITS = {
  messagesMax: 1000,
  /** Characters of one text content (the whole body is capped at MAX_JSON_BODY_BYTES anyway). */
  textMaxLength: 1_000_000,
  partsMax: 64,
  stopMax: 4,
  stopMaxLength: 200,
  toolsMax: 64,
  temperatureMax: 2,
  maxTokensMax: 1_048_576,
  systemPromptMaxLength: 20_000,
} as const

export type ChatContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }

export interface ChatMessage {
  role: ChatRole
  content: string | ChatContentPart[]
  /** For role `tool`: the call this answers. */
  tool_call_id?: string
}

export interface ChatRequest {
  profileId: number
  messages: ChatMessage[]
  /** Unset: the profile's setting. */
  temperature?: number
  topP?: number
  maxTokens?: number
  /** Unset: the profile's system prompt; '' sends none. Ignored when `messages` has a system message. */
  systemPrompt?: string
  stop?: string | string[]
  /** OpenAI function tools offered to the model; its calls come back as `tool_call` events. */
  tools?: ChatTool[]
}

export interface ChatTool {
  type: 'function'
  function: { name: string; description?: string; parameters?: Record<string, unknown> }
}

/** What the proxy measured for one reply. */
export interface ChatMetrics {
  /** From sending the request to the engine until the first reasoning or answer text. */
  timeToFirstTokenMs: number | null
  promptTokens: number | null
  completionTokens: number
  /** Completion tokens after the first, over the time from first to last token; null with fewer than two. */
  generationTokensPerSecond: number | null
  /** Prompt tokens over the time to first token (prefill speed, approximate). */
  promptTokensPerSecond?: number | null
  totalMs: number
}

export interface ChatToolCallDelta {
  index: number
  id?: string
  name?: string
  /** A piece of the JSON arguments; pieces with the same index concatenate. */
  arguments?: string
}

/**
 * Events of the reply stream, in order: any `reasoning` and `token` (interleaved as the model
 * writes), `tool_call` pieces, then `metrics` and `done`. A stream ends with `done` or `error`.
 */
export interface ChatEventMap {
  token: { text: string }
  reasoning: { text: string }
  tool_call: ChatToolCallDelta
  metrics: ChatMetrics
  error: { code: string; message: string }
  done: { finishReason: string | null }
}

export type ChatEventType = keyof ChatEventMap
export type ChatEvent = { [K in ChatEventType]: { type: K; data: ChatEventMap[K] } }[ChatEventType]

/** `GET /api/metrics/servers`: one row per profile that has served chat requests. */
export interface ServerChatMetrics {
  profileId: number
  requests: number
  errors: number
  promptTokens: number
  completionTokens: number
  medianTokensPerSecond: number | null
  medianTimeToFirstTokenMs: number | null
  lastRequestAt: string | null
}
