/**
 * Session tokens whose signature was already checked, with the session id they name. A signed-in
 * client sends the same token on every request; checking it again goes through async WebCrypto
 * (an importKey and a verify on Bun's worker pool), which under a burst of requests queues for
 * milliseconds before the request can go on. A token is a fixed string, so one successful check
 * holds until it expires; revocation (logout, disabled accounts) is still the session row's job,
 * read on every request.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, { sessionId: string; expiresAtMs: number }>()

  constructor(
    private readonly max = 1024,
    private readonly nowMs: () => number = Date.now,
  ) {}

  sessionId(token: string): string | undefined {
    const entry = this.entries.get(token)
    if (entry === undefined) return undefined
    if (entry.expiresAtMs <= this.nowMs()) {
      this.entries.delete(token)
      return undefined
    }
    return entry.sessionId
  }

  /** `expiresAt` in seconds since the epoch, as a JWT's `exp`; tokens without one are not kept. */
  remember(token: string, sessionId: string, expiresAt: number | undefined): void {
    if (expiresAt === undefined) return
    // Oldest first out: a Map iterates in insertion order.
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value ?? '')
    this.entries.set(token, { sessionId, expiresAtMs: expiresAt * 1000 })
  }
}
