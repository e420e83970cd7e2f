import { expect, vi } from 'vitest'
import type { ChatRequest } from '../../shared/chat'
import { failure } from './helpers'

// A stand-in for the manager's `POST /api/chat` reply stream, for the chat store's tests.

/** A reply stream the test writes into, ending with an error when the request is aborted, as fetch does. */
export class Reply {
  private controller!: ReadableStreamDefaultController<Uint8Array>
  readonly stream: ReadableStream<Uint8Array>
  private readonly encoder = new TextEncoder()

  constructor(signal: AbortSignal | null | undefined) {
    this.stream = new ReadableStream({ start: (controller) => void (this.controller = controller) })
    signal?.addEventListener('abort', () => this.controller.error(new DOMException('aborted', 'AbortError')))
  }

  event(type: string, data: unknown): void {
    this.controller.enqueue(this.encoder.encode(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`))
  }

  end(): void {
    this.controller.close()
  }

  /** The connection drops in the middle of the reply. */
  drop(): void {
    this.controller.error(new TypeError('network error'))
  }
}

export type ChatHandler = (request: ChatRequest, reply: Reply) => Response | undefined

/** Stubs fetch for `POST /api/chat` only; each call gets the next handler. */
export function chatServer(...handlers: ChatHandler[]) {
  const requests: ChatRequest[] = []
  const fetch = vi.fn((input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    if (url.pathname !== '/api/chat') return Promise.resolve(failure(404, 'not-found', 'There is nothing at this address.'))
    const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as ChatRequest
    requests.push(body)
    const reply = new Reply(init?.signal)
    const handler = handlers.shift()
    const refused = handler?.(body, reply)
    return Promise.resolve(refused ?? new Response(reply.stream, { headers: { 'content-type': 'text/event-stream' } }))
  })
  vi.stubGlobal('fetch', fetch)
  return { requests }
}

export const METRICS = { timeToFirstTokenMs: 120, promptTokens: 12, completionTokens: 3, generationTokensPerSecond: 40, promptTokensPerSecond: 100, totalMs: 200 }

export function answerWith(reasoning: string | null, ...tokens: string[]): ChatHandler {
  return (_request, reply) => {
    queueMicrotask(() => {
      if (reasoning !== null) reply.event('reasoning', { text: reasoning })
      for (const text of tokens) reply.event('token', { text })
      reply.event('metrics', METRICS)
      reply.event('done', { finishReason: 'stop' })
      reply.end()
    })
    return undefined
  }
}

export async function until(check: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(check()).toBe(true))
}
