import { MAX_CHAT_BODY_BYTES, MAX_JSON_BODY_BYTES } from '../../shared/limits'
import { AppError } from './errors'

const MiB = 1024 * 1024

/** A route that takes more than the usual cap, and what to tell a client that still sends too much. */
export interface BodyLimit {
  bytes: number
  advice: string
}

/** Chat-like requests (images, long histories, tool results) may be larger than other bodies. */
export const CHAT_BODY_LIMIT: BodyLimit = {
  bytes: MAX_CHAT_BODY_BYTES,
  advice: 'Send fewer or smaller images, or a shorter history (in the chat: start a new conversation so it carries fewer of them).',
}

/** The largest body any route may declare: the socket-level limit (Bun's maxRequestBodySize). */
export const LARGEST_BODY_BYTES = Math.max(MAX_JSON_BODY_BYTES, MAX_CHAT_BODY_BYTES)

/** Where a route's declared limit is kept on it, for `declaredLimits` to read once the app is built. */
const LIMIT_HOOK = 'mlxBodyLimit'

/**
 * The `bodyLimit` route option: `{ bodyLimit: CHAT_BODY_LIMIT }` beside a route's schema lets it
 * take a larger body. The size is checked at the edge from the declared Content-Length, before
 * anything is read, so the option only marks the route; `declaredLimits` collects the marks.
 */
export function markBodyLimit(limit: BodyLimit) {
  if (limit.bytes > LARGEST_BODY_BYTES) throw new Error(`A body limit of ${limit.bytes} bytes is above the socket's ${LARGEST_BODY_BYTES}.`)
  // Kept on the route's hooks as it is, and typed as adding nothing: a typed hook made Elysia's route types too deep to check.
  return { [LIMIT_HOOK]: limit } as unknown as Record<never, never>
}

/** "METHOD path" → limit for every route that declared one. */
export type BodyLimitTable = ReadonlyMap<string, BodyLimit>

/** The routes of a built app, as far as `declaredLimits` reads them. */
export type RouteList = readonly { method: string; path: string; hooks?: unknown }[]

export function declaredLimits(routes: RouteList): BodyLimitTable {
  const table = new Map<string, BodyLimit>()
  for (const route of routes) {
    const limit = (route.hooks as Record<string, BodyLimit | undefined> | undefined)?.[LIMIT_HOOK]
    if (limit !== undefined) table.set(`${route.method} ${route.path}`, limit)
  }
  return table
}

/**
 * The 413 for a body of `length` bytes sent to `method path`, or null when it fits. The common case
 * (a small body) returns before the path is even looked at.
 */
export function bodyTooLarge(limits: BodyLimitTable, method: string, url: string, length: number): AppError | null {
  if (length <= MAX_JSON_BODY_BYTES) return null
  const larger = limits.get(`${method} ${new URL(url).pathname}`)
  if (larger === undefined) return new AppError(413, 'payload-too-large', `Request bodies are limited to ${MAX_JSON_BODY_BYTES / MiB} MiB (${MAX_JSON_BODY_BYTES} bytes).`)
  if (length <= larger.bytes) return null
  return new AppError(
    413,
    'payload-too-large',
    `This request is ${(length / MiB).toFixed(1)} MiB; chat requests are limited to ${larger.bytes / MiB} MiB (${larger.bytes} bytes). ${larger.advice}`,
  )
}
