import { MAX_CHAT_BODY_BYTES, MAX_JSON_BODY_BYTES } from '../../shared/limits'
import { AppError } from './errors'

const MiB = 1024 * 1024

/** Routes allowed more than the usual cap, with what to tell a client that still sends too much. */
const LARGER: Record<string, { bytes: number; advice: string }> = {
  'POST /api/chat': {
    bytes: MAX_CHAT_BODY_BYTES,
    advice: 'Send fewer or smaller images, or start a new conversation so the history carries fewer of them.',
  },
  // Gateway clients send the same kind of requests (images, long histories, tool results).
  'POST /v1/chat/completions': {
    bytes: MAX_CHAT_BODY_BYTES,
    advice: 'Send fewer or smaller images, or a shorter history.',
  },
  'POST /v1/messages': {
    bytes: MAX_CHAT_BODY_BYTES,
    advice: 'Send fewer or smaller images, or a shorter history.',
  },
}

/** The largest body any route takes: the socket-level limit (Bun's maxRequestBodySize). */
export const LARGEST_BODY_BYTES = Math.max(MAX_JSON_BODY_BYTES, ...Object.values(LARGER).map((limit) => limit.bytes))

/**
 * The 413 for a body of `length` bytes sent to `method path`, or null when it fits. The common case
 * (a small body) returns before the path is even looked at.
 */
export function bodyTooLarge(method: string, url: string, length: number): AppError | null {
  if (length <= MAX_JSON_BODY_BYTES) return null
  const larger = LARGER[`${method} ${new URL(url).pathname}`]
  if (larger === undefined) return new AppError(413, 'payload-too-large', `Request bodies are limited to ${MAX_JSON_BODY_BYTES / MiB} MiB (${MAX_JSON_BODY_BYTES} bytes).`)
  if (length <= larger.bytes) return null
  return new AppError(
    413,
    'payload-too-large',
    `This request is ${(length / MiB).toFixed(1)} MiB; chat requests are limited to ${larger.bytes / MiB} MiB (${larger.bytes} bytes). ${larger.advice}`,
  )
}
