import { CHAT_LIMITS, type ChatRequest } from '../../../../shared/chat'

const encoder = new TextEncoder()

function bytes(request: ChatRequest): number {
  return encoder.encode(JSON.stringify(request)).length
}

/**
 * Keeps a request under the manager's body cap by leaving out the oldest messages (earlier images
 * are sent again with every turn, so a long illustrated chat outgrows the cap). Null when even the
 * last message alone is too large.
 */
export function fitRequest(request: ChatRequest, maxBytes: number = CHAT_LIMITS.bodyMaxBytes): ChatRequest | null {
  let fitted = request
  while (bytes(fitted) > maxBytes) {
    if (fitted.messages.length <= 1) return null
    fitted = { ...fitted, messages: fitted.messages.slice(1) }
  }
  return fitted
}
