import {
  CLIENT_LOGIN_FREE_FAILURES,
  LOGIN_DELAY_BASE_MS,
  LOGIN_DELAY_MAX_MS,
  LOGIN_FAILURE_MEMORY_MS,
  LOGIN_FREE_FAILURES,
  REGISTER_ATTEMPT_LIMIT,
  REGISTER_WINDOW_MS,
} from '../../../shared/limits'

/** Keys are bounded so a flood of made-up emails or addresses cannot grow memory without end. */
const MAX_KEYS = 10_000

function boundedSet<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key)
  // Oldest first out: a Map iterates in insertion order, and a re-set key moves to the end.
  if (map.size >= MAX_KEYS) map.delete(map.keys().next().value ?? '')
  map.set(key, value)
}

export interface DelayOptions {
  free: number
  baseMs?: number
  maxMs?: number
  forgetMs?: number
}

/**
 * Failures per key, each one past the free ones costing a delay that doubles up to a cap: guessing
 * slows to a crawl while a person who mistyped waits seconds, never a long lockout.
 */
export class FailureDelays {
  private readonly failures = new Map<string, { count: number; lastAt: number }>()
  private readonly free: number
  private readonly baseMs: number
  private readonly maxMs: number
  private readonly forgetMs: number

  constructor(
    private readonly now: () => number,
    options: DelayOptions,
  ) {
    this.free = options.free
    this.baseMs = options.baseMs ?? LOGIN_DELAY_BASE_MS
    this.maxMs = options.maxMs ?? LOGIN_DELAY_MAX_MS
    this.forgetMs = options.forgetMs ?? LOGIN_FAILURE_MEMORY_MS
  }

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfterSeconds(key: string): number {
    const entry = this.current(key)
    if (entry === undefined) return 0
    const wait = entry.lastAt + this.delayMs(entry.count) - this.now()
    return wait > 0 ? Math.ceil(wait / 1000) : 0
  }

  /** The delay owed after `count` failures. */
  delayMs(count: number): number {
    return count < this.free ? 0 : Math.min(this.maxMs, this.baseMs * 2 ** (count - this.free))
  }

  recordFailure(key: string): void {
    boundedSet(this.failures, key, { count: (this.current(key)?.count ?? 0) + 1, lastAt: this.now() })
  }

  /** Takes back one failure counted ahead of a check that turned out right. */
  forgiveOne(key: string): void {
    const entry = this.current(key)
    if (entry === undefined) return
    if (entry.count <= 1) this.failures.delete(key)
    else entry.count -= 1
  }

  reset(key: string): void {
    this.failures.delete(key)
  }

  private current(key: string) {
    const entry = this.failures.get(key)
    if (entry !== undefined && this.now() - entry.lastAt >= this.forgetMs) {
      this.failures.delete(key)
      return undefined
    }
    return entry
  }
}

/**
 * Sign-in failures per (email, client address) and per client address. Keying by client means
 * someone guessing an email never delays its owner signing in from elsewhere.
 * Kept in memory: a restart forgives, which is fine for a tool on one machine.
 */
export class LoginThrottle {
  private readonly perAccount: FailureDelays
  private readonly perClient: FailureDelays

  constructor(now: () => number = Date.now, options: { accountFree?: number; clientFree?: number } = {}) {
    this.perAccount = new FailureDelays(now, { free: options.accountFree ?? LOGIN_FREE_FAILURES })
    this.perClient = new FailureDelays(now, { free: options.clientFree ?? CLIENT_LOGIN_FREE_FAILURES })
  }

  /**
   * Seconds the attempt must wait, or 0: then it is counted as a failure at once, before the
   * (slow) password check, so parallel guesses cannot all slip through the free ones.
   */
  begin(email: string, client: string): number {
    const wait = Math.max(this.perAccount.retryAfterSeconds(accountKey(email, client)), this.perClient.retryAfterSeconds(client))
    if (wait > 0) return wait
    this.perAccount.recordFailure(accountKey(email, client))
    this.perClient.recordFailure(client)
    return 0
  }

  /** Right password, but the account may not sign in (pending, disabled): not a failure, and no reset either. */
  notAFailure(email: string, client: string): void {
    this.perAccount.forgiveOne(accountKey(email, client))
    this.perClient.forgiveOne(client)
  }

  /** An approved sign-in clears this client's counts. */
  signedIn(email: string, client: string): void {
    this.perAccount.reset(accountKey(email, client))
    this.perClient.reset(client)
  }
}

const accountKey = (email: string, client: string) => `${email}\u0000${client}`

/** Registrations per client address in a sliding window, counted whatever their outcome. */
export class RegisterThrottle {
  private readonly attempts = new Map<string, number[]>()

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limit = REGISTER_ATTEMPT_LIMIT,
    private readonly windowMs = REGISTER_WINDOW_MS,
  ) {}

  /** Seconds to wait when `client` is over the limit (the attempt is then not counted), else 0 and counted. */
  take(client: string): number {
    const now = this.now()
    const recent = (this.attempts.get(client) ?? []).filter((at) => at > now - this.windowMs)
    if (recent.length >= this.limit) {
      const oldest = recent[recent.length - this.limit] ?? now
      return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000))
    }
    boundedSet(this.attempts, client, [...recent, now])
    return 0
  }
}
