/**
 * The one place the web app talks to the manager: a typed Eden treaty client, the error type every
 * failure becomes, and the live event stream. Only Pinia stores import this file.
 */
import { treaty } from '@elysiajs/eden'
import { isErrorEnvelope } from '../../../shared/errors'
import { DOWNLOAD_STATUSES, type Download, type DownloadProgress } from '../../../shared/downloads'
import { SERVER_EVENT_TYPES, type ServerEvent, type ServerEventType } from '../../../shared/events'
import { USER_STATUSES, type UserStatus } from '../../../shared/users'
import type { App } from '../../../server/app'

export const NETWORK_ERROR_CODE = 'network-unreachable'
export const NETWORK_ERROR_MESSAGE = 'The manager cannot be reached. Check that it is running.'

/** A failed call: the server's stable code and sentence, or `network-unreachable` when no answer came. */
export class ApiError extends Error {
  override name = 'ApiError'

  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status, or null when the server never answered. */
    readonly status: number | null,
    /** From `Retry-After` (429 too-many-attempts): how long to wait before trying again. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message)
  }

  get isNetwork(): boolean {
    return this.code === NETWORK_ERROR_CODE
  }
}

export function networkError(): ApiError {
  return new ApiError(NETWORK_ERROR_CODE, NETWORK_ERROR_MESSAGE, null)
}

/** A call stopped on purpose (its AbortSignal fired): not a failure to report. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

/** Turns anything a call can throw into an ApiError; fetch rejects with a TypeError when offline. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  return networkError()
}

function retryAfter(response: Response | undefined): number | null {
  const raw = response?.headers.get('retry-after')
  const seconds = raw === null || raw === undefined ? NaN : Number(raw)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : null
}

/** The error a non-2xx answer stands for: the envelope when there is one, a plain sentence otherwise. */
export function errorFromAnswer(status: number, body: unknown, response?: Response): ApiError {
  if (isErrorEnvelope(body)) {
    return new ApiError(body.error.code, body.error.message, status, retryAfter(response))
  }
  // A proxy or a half-started manager may answer without the envelope.
  return new ApiError(`http-${status}`, `The manager answered with an unexpected error (HTTP ${status}).`, status)
}

function origin(): string {
  return typeof location === 'undefined' ? 'http://localhost' : location.origin
}

// Eden looks up the global fetch on every call, so a page (or a test) that replaces it is honoured.
export const client = treaty<App>(origin(), {
  // The session is an httpOnly cookie; send it on every call.
  fetch: { credentials: 'include' },
  // Keep ISO timestamps as the strings the shared types promise.
  parseDate: false,
})

/** The `/api` routes, e.g. `api.auth.me.get()`. */
export const api = client.api

type Answer =
  | { data: unknown; error: null; response: Response; status: number }
  | { data: null; error: { status: unknown; value: unknown }; response: Response; status: number }

type Success<R> = R extends { error: null; data: infer D } ? D : never

/**
 * Awaits a treaty call and returns its data, or throws an ApiError. Eden reports a fetch that never
 * reached the server as status 503 without a response, which is how a network failure is told
 * apart from a real 503.
 */
export async function request<R extends Answer>(call: Promise<R>): Promise<Success<R>> {
  let answer: R
  try {
    answer = await call
  } catch (error) {
    throw toApiError(error)
  }
  if (answer.error === null) return answer.data as Success<R>
  const response = answer.response as Response | undefined
  if (response === undefined) throw networkError()
  throw errorFromAnswer(answer.status, answer.error.value, response)
}

// ---------------------------------------------------------------------------------------------
// Live events: one EventSource per tab on /api/events, named SSE events carrying JSON data.

export interface EventHandlers {
  onEvent: (event: ServerEvent) => void
  onOpen?: () => void
  /** `reconnecting`: the browser retries by itself; `closed`: it gave up (e.g. a 401 or 403). */
  onError?: (state: 'reconnecting' | 'closed') => void
}

export interface EventConnection {
  close: () => void
}

const EVENT_SOURCE_CLOSED = 2

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isStatus(value: unknown): value is UserStatus {
  return typeof value === 'string' && (USER_STATUSES as readonly string[]).includes(value)
}

/** Checks an event's data against its type, since it crossed the network; null when it does not fit. */
export function parseServerEvent(type: ServerEventType, raw: string): ServerEvent | null {
  let data: unknown
  try {
    data = JSON.parse(raw)
  } catch {
    return null
  }
  if (!isRecord(data)) return null
  switch (type) {
    case 'users.pending':
      return typeof data.count === 'number' ? { type, data: { count: data.count } } : null
    case 'system.memory':
      return typeof data.totalBytes === 'number' && typeof data.usedBytes === 'number'
        ? { type, data: { totalBytes: data.totalBytes, usedBytes: data.usedBytes } }
        : null
    case 'session.user':
      return isStatus(data.status) && typeof data.isAdmin === 'boolean'
        ? { type, data: { status: data.status, isAdmin: data.isAdmin } }
        : null
    case 'downloads.progress':
      return typeof data.id === 'number' && typeof data.bytesDone === 'number' && Array.isArray(data.files)
        ? { type, data: data as unknown as DownloadProgress }
        : null
    case 'downloads.removed':
      return Array.isArray(data.ids) ? { type, data: { ids: data.ids.filter((id): id is number => typeof id === 'number') } } : null
    case 'downloads.state':
      return typeof data.id === 'number' && (DOWNLOAD_STATUSES as readonly unknown[]).includes(data.status) && Array.isArray(data.files)
        ? { type, data: data as unknown as Download }
        : null
    case 'models.changed':
      return typeof data.modelId === 'string' && (data.reason === 'downloaded' || data.reason === 'deleted')
        ? { type, data: { modelId: data.modelId, reason: data.reason } }
        : null
    // Profiles and servers: the manager sends the same shapes its routes answer with.
    case 'profiles.changed':
      return typeof data.id === 'number' && typeof data.name === 'string' ? ({ type, data } as unknown as ServerEvent) : null
    case 'profiles.deleted':
      return typeof data.id === 'number' ? { type, data: { id: data.id } } : null
    case 'servers.state':
      return typeof data.profileId === 'number' && typeof data.state === 'string' ? ({ type, data } as unknown as ServerEvent) : null
    case 'servers.stats':
      return typeof data.at === 'string' && Array.isArray(data.servers) ? ({ type, data } as unknown as ServerEvent) : null
    // One server's chat summary, the same row GET /api/metrics/servers answers with.
    case 'chat.metrics':
      return typeof data.profileId === 'number' && typeof data.requests === 'number' ? ({ type, data } as unknown as ServerEvent) : null
    // One step of an engine's install or removal, with an installer line or the error.
    case 'engines.install':
      return typeof data.engine === 'string' && typeof data.state === 'string' ? ({ type, data } as unknown as ServerEvent) : null
    // The whole run, the same item GET /api/benchmarks lists.
    case 'benchmarks.progress':
      return typeof data.id === 'number' && typeof data.profileId === 'number' && typeof data.status === 'string' && Array.isArray(data.results)
        ? ({ type, data } as unknown as ServerEvent)
        : null
    // Another manager's link and profiles, the same item GET /api/peers/servers lists.
    case 'peers.state':
      return typeof data.id === 'number' && typeof data.state === 'string' && Array.isArray(data.profiles) ? ({ type, data } as unknown as ServerEvent) : null
    case 'peers.removed':
      return typeof data.id === 'number' ? { type, data: { id: data.id } } : null
    // A host, the same item GET /api/hosts lists.
    case 'hosts.changed':
      return typeof data.id === 'number' && typeof data.name === 'string' && typeof data.address === 'string' ? ({ type, data } as unknown as ServerEvent) : null
    case 'hosts.removed':
      return typeof data.id === 'number' ? { type, data: { id: data.id } } : null
  }
  return null
}

/** Opens the live event stream. The browser reconnects on its own after network drops. */
export function openEvents(handlers: EventHandlers): EventConnection {
  const source = new EventSource(new URL('/api/events', origin()), { withCredentials: true })
  for (const type of SERVER_EVENT_TYPES) {
    source.addEventListener(type, (message: MessageEvent<unknown>) => {
      const event = typeof message.data === 'string' ? parseServerEvent(type, message.data) : null
      if (event !== null) handlers.onEvent(event)
    })
  }
  source.addEventListener('open', () => handlers.onOpen?.())
  source.addEventListener('error', () => {
    handlers.onError?.(source.readyState === EVENT_SOURCE_CLOSED ? 'closed' : 'reconnecting')
  })
  return { close: () => source.close() }
}

// ---------------------------------------------------------------------------------------------
// A server's log: `tail` with the last lines, then `lines` as the engine writes them.

export interface LogHandlers {
  onTail: (lines: string[]) => void
  onLines: (lines: string[]) => void
  onError?: (state: 'reconnecting' | 'closed') => void
}

function logLines(raw: unknown): string[] | null {
  if (typeof raw !== 'string') return null
  try {
    const data: unknown = JSON.parse(raw)
    return isRecord(data) && Array.isArray(data.lines) ? data.lines.filter((line): line is string => typeof line === 'string') : null
  } catch {
    return null
  }
}

/** Follows one server's log. A reconnect starts again with a fresh tail, so nothing is shown twice. */
export function openServerLog(profileId: number, handlers: LogHandlers, tail?: number): EventConnection {
  const url = new URL(`/api/servers/${profileId}/logs`, origin())
  if (tail !== undefined) url.searchParams.set('tail', String(tail))
  const source = new EventSource(url, { withCredentials: true })
  source.addEventListener('tail', (message: MessageEvent<unknown>) => {
    const lines = logLines(message.data)
    if (lines !== null) handlers.onTail(lines)
  })
  source.addEventListener('lines', (message: MessageEvent<unknown>) => {
    const lines = logLines(message.data)
    if (lines !== null) handlers.onLines(lines)
  })
  source.addEventListener('error', () => {
    handlers.onError?.(source.readyState === EVENT_SOURCE_CLOSED ? 'closed' : 'reconnecting')
  })
  return { close: () => source.close() }
}
