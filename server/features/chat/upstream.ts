/** The one network call chat makes: a streaming completion request to an engine. */
export interface ChatUpstream {
  open(url: string, body: unknown, signal: AbortSignal): Promise<Response>
}

export const systemChatUpstream: ChatUpstream = {
  open: (url, body, signal) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
      signal,
    }),
}

/**
 * One request to an engine, with a watchdog for silence: shared by the chat relay and the gateway.
 * One lazy timer per call: each chunk only notes the time (`heard`), and the timer, when it fires,
 * sleeps again for what is left; re-arming a timer per token cost more than parsing the token.
 * Without `idleTimeoutMs` nothing is watched (a non-streamed answer is silent until it is whole).
 */
export class EngineCall {
  /** Aborts on the client's signal, on silence, and on `close`. */
  readonly signal: AbortSignal
  private readonly idle = new AbortController()
  private lastHeard = performance.now()
  private timer: ReturnType<typeof setTimeout> | undefined
  private silent = false

  constructor(
    private readonly upstream: ChatUpstream,
    private readonly idleTimeoutMs: number | null,
    client: AbortSignal,
  ) {
    this.signal = AbortSignal.any([client, this.idle.signal])
  }

  open(url: string, body: unknown): Promise<Response> {
    this.heard()
    return this.upstream.open(url, body, this.signal)
  }

  /** The `data:` payloads of the engine's stream; each one counts as hearing from the engine. */
  data(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
    return sseData(body, this.signal)
  }

  /** The engine said something: the silence starts again. */
  heard(): void {
    this.lastHeard = performance.now()
    if (this.idleTimeoutMs !== null) this.timer ??= setTimeout(this.watch, this.idleTimeoutMs)
  }

  /** True when the call was given up because the engine was silent too long. */
  get timedOut(): boolean {
    return this.silent
  }

  /** Ends the call: an engine still generating for a client that is gone stops too. */
  close(): void {
    clearTimeout(this.timer)
    this.idle.abort()
  }

  private readonly watch = () => {
    const limit = this.idleTimeoutMs ?? Infinity
    const silentMs = performance.now() - this.lastHeard
    if (silentMs >= limit) {
      this.silent = true
      this.idle.abort()
    } else this.timer = setTimeout(this.watch, limit - silentMs)
  }
}

/**
 * The `data:` payloads of an SSE body, one per event, as they arrive. `signal` ends a pending
 * read at once (with its reason thrown), whether or not the body itself honours it.
 */
export async function* sseData(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  const cancel = () => void reader.cancel().catch(() => undefined)
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    yield* frames(reader, decoder, signal)
  } finally {
    signal?.removeEventListener('abort', cancel)
    // Stopped early: release the connection rather than leave it half read.
    cancel()
  }
}

async function* frames(reader: ReadableStreamDefaultReader<Uint8Array>, decoder: TextDecoder, signal?: AbortSignal): AsyncGenerator<string> {
  let buffer = ''
  let data: string[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    // Scan by index and cut the buffer once per read, not once per line: this runs for every token.
    let start = 0
    let end
    while ((end = buffer.indexOf('\n', start)) !== -1) {
      const line = buffer.charCodeAt(end - 1) === 13 && end > start ? buffer.slice(start, end - 1) : buffer.slice(start, end)
      start = end + 1
      if (line === '') {
        if (data.length > 0) yield data.length === 1 ? data[0]! : data.join('\n')
        data = []
      } else if (line.startsWith('data:')) data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5))
    }
    buffer = buffer.slice(start)
  }
  signal?.throwIfAborted()
  if (data.length > 0) yield data.join('\n')
}

/** The engine's own words from an error body, whichever shape its framework uses. */
export function engineErrorMessage(text: string): string {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body === 'object' && body !== null) {
      const { error, detail, message } = body as { error?: unknown; detail?: unknown; message?: unknown }
      if (typeof error === 'string') return error
      if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
        return (error as { message: string }).message
      }
      if (typeof detail === 'string') return detail
      if (Array.isArray(detail)) {
        return detail.map((item: { msg?: unknown }) => (typeof item.msg === 'string' ? item.msg : JSON.stringify(item))).join('; ')
      }
      if (typeof message === 'string') return message
    }
  } catch {
    // Not JSON: the text itself is the message.
  }
  return text.trim().slice(0, 2000) || 'no details'
}
