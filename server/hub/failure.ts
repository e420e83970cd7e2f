/**
 * What went wrong when asking the hub, decided once from its answer (status, `X-Error-Code`,
 * `Retry-After`) for the catalog and the downloads alike. Each feature words it for its people.
 */

export type HubFailureKind =
  /** 429: `retryAfterSeconds` says how long the hub asked us to wait. */
  | 'rate-limited'
  /** No answer: refused connection, DNS, a reset, or silence past the timeout. */
  | 'unreachable'
  /** 5xx from the hub. */
  | 'server-error'
  | 'not-found'
  | 'revision-not-found'
  /** The repo is gated and the request carried no token, or one without access to it. */
  | 'gated'
  /** 401 without a token: the repo is private or gated. */
  | 'token-required'
  /** 401/403 with a token: the hub does not accept it (invalid, expired, no read access). */
  | 'token-rejected'
  /** Another 4xx: the hub refused the request itself (a bad cursor, say). */
  | 'rejected'
  /** A success whose body was not what the hub sends. */
  | 'bad-response'

export class HubFailure extends Error {
  constructor(
    readonly kind: HubFailureKind,
    message: string,
    readonly retryAfterSeconds: number | null = null,
    /** The HTTP status when the hub answered, else null. */
    readonly status: number | null = null,
    /** Whether the request carried a token (gated and 401 answers mean different things with one). */
    readonly tokenSent = false,
  ) {
    super(message)
    this.name = 'HubFailure'
  }
}

/** Retry-After in seconds or as an HTTP date; else the `t=` of the newer RateLimit header; else a minute. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number {
  const raw = headers.get('retry-after')?.trim()
  if (raw !== undefined && raw !== '') {
    if (/^\d+$/.test(raw)) return Math.max(1, Number(raw))
    const at = Date.parse(raw)
    if (!Number.isNaN(at)) return Math.max(1, Math.ceil((at - now) / 1000))
  }
  const t = /\bt=(\d+)/.exec(headers.get('ratelimit') ?? '')?.[1]
  return t === undefined ? 60 : Math.max(1, Number(t))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The hub's own sentence (`{"error": "…"}`), else the status line. */
async function hubMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const body: unknown = JSON.parse(text)
    if (isObject(body) && typeof body.error === 'string') return body.error
  } catch {
    // not JSON: fall through to the status line
  }
  return `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`
}

/** Reads a non-success answer (consuming its body) into the one failure it stands for. */
export async function failureOf(response: Response, tokenSent: boolean): Promise<HubFailure> {
  const { status } = response
  const code = response.headers.get('x-error-code')
  const message = await hubMessage(response)
  const failure = (kind: HubFailureKind, text = message, retry: number | null = null) => new HubFailure(kind, text, retry, status, tokenSent)
  if (status === 429) return failure('rate-limited', message, retryAfterSeconds(response.headers))
  if (status >= 500) return failure('server-error', `the hub answered ${message}`)
  if (code === 'GatedRepo') return failure('gated')
  if (code === 'RevisionNotFound') return failure('revision-not-found')
  // Without a token the hub answers an unknown repo with 401 RepoNotFound (a private one looks the same).
  if (code === 'RepoNotFound' || code === 'EntryNotFound' || status === 404) return failure('not-found')
  if (status === 401 || status === 403) return failure(tokenSent ? 'token-rejected' : 'token-required')
  return failure('rejected')
}
