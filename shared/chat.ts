/** Chat through `POST /api/chat`: the request, and the typed SSE events the reply streams as. */
import { MAX_CHAT_BODY_BYTES } from './limits'

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const
export type ChatRole = (typeof CHAT_ROLES)[number]

/**
 * What one chat request may carry. The server enforces the body cap and the schema limits; the web
 * app checks attachments against the per-file and per-message limits before reading them, and the
 * whole request (history included: earlier images are sent again) against `bodyMaxBytes` before
 * sending, so the user hears "too large" at once rather than after an upload.
 */
export const CHAT_LIMITS = {
  /** Bytes of the whole JSON request body (other routes: MAX_JSON_BODY_BYTES). */
  bodyMaxBytes: MAX_CHAT_BODY_BYTES,
  /** Bytes of one attached image file, before base64 (which adds a third). A phone photo fits. */
  imageMaxBytes: 10 * 1024 * 1024,
  /** Images in one message: more than vision models take in usefully at once. */
  imagesMax: 8,
  /** Bytes of all files attached to one message, before base64: with the text, within bodyMaxBytes. */
  attachmentsMaxBytes: 20 * 1024 * 1024,
  /** Bytes of one attached text or code file, inlined into the message (about 130k tokens). */
  textFileMaxBytes: 512 * 1024,
  messagesMax: 1000,
  /** Characters of one text content: an inlined text file fits, the body cap still holds the total. */
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
  /** With `peerId`, the profile's id on that peer. */
  profileId: number
  /** Another manager's profile (GET /api/peers/servers), answered there. */
  peerId?: number
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
 * Events of the reply stream, in order: `loading` while a stopped server is started for it, any
 * `reasoning` and `token` (interleaved as the model writes), `tool_call` pieces, then `metrics` and
 * `done`. A stream ends with `done` or `error`.
 */
export interface ChatEventMap {
  /** Sent first when the profile's server is not ready: it is being started (or finishing its load) for this reply. */
  loading: { message: string }
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
  /** The share of the requests that came through the gateway with an API key, per key. */
  byKey: KeyTraffic[]
}

/** One API key's requests to one server. */
export interface KeyTraffic {
  keyId: number
  /** The key's owner: members see only their own keys' traffic. */
  userId: number | null
  requests: number
  errors: number
  promptTokens: number
  completionTokens: number
  lastRequestAt: string
}
