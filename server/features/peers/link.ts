import type { PeerState, RemoteProfile } from '../../../shared/peers'
import { delay } from '../../delay'
import { engineErrorMessage } from '../chat/upstream'
import type { PeerTiming } from './model'

/** Where a link connects and with what: the peer's base URL and the key made there. */
export interface LinkTarget {
  name: string
  url: string
  apiKey: string
}

export interface LinkStatus {
  state: PeerState
  profiles: RemoteProfile[]
  lastError: string | null
  since: string
}

/** The feed a peer serves to this manager: its usable profiles on each change. */
export const FEED_PATH = '/api/peers/feed'

/**
 * One live connection to another manager's feed: its profiles and their states as they change,
 * `unreachable` as soon as the connection drops or falls silent, and reconnecting by itself with a
 * doubling wait. Nothing here is awaited by a request: readers take the last status as it stands.
 */
export class PeerLink {
  private current: LinkStatus
  private readonly stopped = new AbortController()
  private attempt = 0
  private online = new AbortController()

  constructor(
    private readonly target: LinkTarget,
    private readonly timing: PeerTiming,
    private readonly changed: (status: LinkStatus) => void,
    private readonly fetcher: typeof fetch = fetch,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.current = { state: 'connecting', profiles: [], lastError: null, since: now().toISOString() }
    void this.run()
  }

  get status(): LinkStatus {
    return this.current
  }

  /** Aborts when the link stops being online: requests relayed to the peer end then, instead of hanging on it. */
  get alive(): AbortSignal {
    return this.online.signal
  }

  close(): void {
    this.stopped.abort()
    this.online.abort(new Error('the peer was removed'))
  }

  private set(state: PeerState, update: Partial<Omit<LinkStatus, 'state' | 'since'>> = {}): void {
    if (this.current.state === 'online' && state !== 'online') {
      this.online.abort(new Error(`${this.target.name} went away`))
      this.online = new AbortController()
    }
    const since = state === this.current.state ? this.current.since : this.now().toISOString()
    this.current = { ...this.current, ...update, state, since }
    if (!this.stopped.signal.aborted) this.changed(this.current)
  }

  private async run(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      try {
        await this.follow()
      } catch (error) {
        if (this.stopped.signal.aborted) return
        this.set('unreachable', { lastError: `${this.target.name} could not be reached at ${this.target.url}: ${reason(error)}. Retrying by itself.` })
      }
      if (this.stopped.signal.aborted) return
      const wait = Math.min(this.timing.retryMaxMs, this.timing.retryBaseMs * 2 ** this.attempt)
      this.attempt = Math.min(this.attempt + 1, 16)
      await delay(wait, this.stopped.signal)
    }
  }

  /** One connection, until it ends; throws when it cannot be made or breaks. */
  private async follow(): Promise<void> {
    const connection = new AbortController()
    const signal = AbortSignal.any([this.stopped.signal, connection.signal])
    // Silence, from the first byte on, counts against the same timer: a cut link sends no close.
    let timer = setTimeout(() => connection.abort(new Error(`no answer within ${this.timing.connectTimeoutMs / 1000} s`)), this.timing.connectTimeoutMs)
    const heard = () => {
      clearTimeout(timer)
      timer = setTimeout(() => connection.abort(new Error(`silent for ${this.timing.silenceMs / 1000} s`)), this.timing.silenceMs)
    }
    try {
      const response = await this.fetcher(`${this.target.url}${FEED_PATH}`, {
        headers: { authorization: `Bearer ${this.target.apiKey}`, accept: 'text/event-stream' },
        signal,
      })
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '')
        if (response.status === 401 || response.status === 403) {
          this.set('refused', {
            lastError: `${this.target.name} refused this manager's API key (${engineErrorMessage(text)}). Make a new key there, then remove this peer and add it again with that key.`,
          })
        } else {
          this.set('unreachable', { lastError: `${this.target.name} answered ${response.status}: ${engineErrorMessage(text)}` })
        }
        return
      }
      heard()
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      let buffer = ''
      for (;;) {
        const { done, value } = await readOrAbort(reader, signal)
        if (done) break
        heard()
        buffer += decoder.decode(value, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          this.take(frame)
        }
      }
      if (!this.stopped.signal.aborted) this.set('unreachable', { lastError: `${this.target.name} closed the connection. Retrying by itself.` })
    } catch (error) {
      if (this.stopped.signal.aborted) return
      throw connection.signal.aborted ? connection.signal.reason : error
    } finally {
      clearTimeout(timer)
    }
  }

  private take(frame: string): void {
    const event = /^event: ?(.*)$/m.exec(frame)?.[1]
    if (event !== 'profiles') return
    const data = frame
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.replace(/^data: ?/, ''))
      .join('\n')
    let profiles: unknown
    try {
      profiles = JSON.parse(data)
    } catch {
      return
    }
    if (!Array.isArray(profiles)) return
    this.attempt = 0
    this.set('online', { profiles: profiles as RemoteProfile[], lastError: null })
  }
}

/** Why a connection failed, in words: the runtime's own messages name codes, not what to check. */
export function reason(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  switch (code) {
    case 'ECONNREFUSED':
      return 'nothing answers on that port (connection refused)'
    case 'ENOTFOUND':
      return 'that name does not resolve to an address'
    case 'ECONNRESET':
      return 'the connection was reset'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'there is no route to that address'
  }
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message
  }
  return String(error)
}

async function readOrAbort(reader: ReadableStreamDefaultReader<Uint8Array>, signal: AbortSignal) {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        onAbort = () => {
          void reader.cancel().catch(() => undefined)
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
        }
        signal.addEventListener('abort', onAbort, { once: true })
      }),
    ])
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort)
  }
}
