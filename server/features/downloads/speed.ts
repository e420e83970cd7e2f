/**
 * Bytes per second over a sliding window. Unlike a decaying average it reaches exactly 0 once
 * nothing has arrived for a whole window, so a stalled download honestly shows 0 B/s.
 */
export class SpeedMeter {
  private readonly buckets: { at: number; bytes: number }[] = []
  private startedAt: number | null = null

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly bucketMs = 100,
  ) {}

  add(bytes: number): void {
    const at = this.now()
    this.startedAt ??= at
    const slot = Math.floor(at / this.bucketMs) * this.bucketMs
    const last = this.buckets.at(-1)
    if (last !== undefined && last.at === slot) last.bytes += bytes
    else this.buckets.push({ at: slot, bytes })
  }

  bytesPerSecond(): number {
    const now = this.now()
    const cutoff = now - this.windowMs
    while (this.buckets.length > 0 && (this.buckets[0]?.at ?? now) + this.bucketMs <= cutoff) this.buckets.shift()
    if (this.startedAt === null || this.buckets.length === 0) return 0
    const total = this.buckets.reduce((sum, bucket) => sum + bucket.bytes, 0)
    // Early on, divide by the time actually measured so the first second is not under-reported.
    const span = Math.max(Math.min(this.windowMs, now - this.startedAt), this.bucketMs * 5)
    return Math.round((total * 1000) / span)
  }

  reset(): void {
    this.buckets.length = 0
    this.startedAt = null
  }
}
