import type { ChatRequestRecord } from './repository'

export interface RecordQueueOptions {
  /** How long a recorded request may wait before it is written. */
  flushMs: number
  /** Written at once when this many are waiting. */
  maxRows: number
}

export const DEFAULT_RECORD_QUEUE: RecordQueueOptions = { flushMs: 50, maxRows: 500 }

/**
 * Requests recorded but not yet written. A write per request cost a journal sync on the request's
 * own turn of the event loop; here they wait up to `flushMs` and go in one transaction.
 */
export class RecordQueue {
  private pending: ChatRequestRecord[] = []
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly write: (records: ChatRequestRecord[]) => void,
    private readonly options: RecordQueueOptions = DEFAULT_RECORD_QUEUE,
    private readonly logger: Pick<Console, 'error'> = console,
  ) {}

  push(record: ChatRequestRecord): void {
    this.pending.push(record)
    if (this.pending.length >= this.options.maxRows) this.flush()
    else if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), this.options.flushMs)
      this.timer.unref?.()
    }
  }

  /** Writes whatever waits (on the timer, when full, before reads of the table and at shutdown). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    try {
      this.write(batch)
    } catch (error) {
      // A failed write loses these records from the history only; the live figures already hold them.
      this.logger.error(error)
    }
  }

  /** Requests not yet written, for figures that must count them (a key's tokens today). */
  waiting(): readonly ChatRequestRecord[] {
    return this.pending
  }
}
