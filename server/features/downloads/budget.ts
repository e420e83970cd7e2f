/**
 * The connections the manager may hold open at once, over every file of every download: a large
 * file's ranges and the small files each take one while they fetch, first come first served.
 */
export class ConnectionBudget {
  private free: number
  private readonly waiting: (() => void)[] = []

  constructor(readonly size: number) {
    this.free = Math.max(1, size)
  }

  /** Waits for a free connection; rejects with the signal's reason if it aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted()
    if (this.free > 0) {
      this.free--
      return Promise.resolve(this.releaser())
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort)
        resolve(this.releaser())
      }
      const onAbort = () => {
        const index = this.waiting.indexOf(grant)
        if (index >= 0) this.waiting.splice(index, 1)
        reject(signal.reason as Error)
      }
      this.waiting.push(grant)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Runs `work` holding one connection. */
  async with<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(signal)
    try {
      return await work()
    } finally {
      release()
    }
  }

  private releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next === undefined) this.free++
      else next()
    }
  }
}
