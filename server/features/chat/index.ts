import { Elysia } from 'elysia'
import type { ChatEvent } from '../../../shared/chat'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import { chatRequest, chatStartRequest } from './model'
import type { ChatService } from './service'

/** Silence after which a reply gets a `ping` event: well inside Bun's 30 s idle timeout. */
export const CHAT_HEARTBEAT_MS = 10_000

type Ping = { type: 'ping'; data: Record<string, never> }

function frame(event: ChatEvent | Ping): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`
}

const PING = frame({ type: 'ping', data: {} })

/**
 * The reply as an SSE body written straight to the socket (Bun's direct stream): each event is one
 * write and one flush. A timer adds a `ping` when the engine has been silent for `heartbeatMs` (it
 * says nothing while it reads a long prompt, and Bun closes a connection idle for 30 s); checking
 * a timestamp per event costs less than racing a timer against every token.
 */
function sseBody(events: AsyncIterable<ChatEvent>, heartbeatMs: number, onEnd: () => void): ReadableStream {
  const source: { type: 'direct'; pull: (controller: DirectController) => Promise<void> } = {
    type: 'direct',
    async pull(controller) {
      let lastWrite = performance.now()
      const heartbeat = setInterval(() => {
        if (performance.now() - lastWrite < heartbeatMs) return
        controller.write(PING)
        controller.flush()
        lastWrite = performance.now()
      }, heartbeatMs / 2)
      try {
        for await (const event of events) {
          controller.write(frame(event))
          controller.flush()
          lastWrite = performance.now()
        }
      } finally {
        clearInterval(heartbeat)
        onEnd()
      }
      controller.close()
    },
  }
  // Bun's types describe direct streams on Bun.ReadableStreamDirectController, not on the DOM constructor.
  return new ReadableStream(source as unknown as UnderlyingDefaultSource)
}

interface DirectController {
  write(chunk: string): void
  flush(): void
  close(): void
}

export function chatRoutes(chat: ChatService, session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, heartbeatMs = CHAT_HEARTBEAT_MS) {
  return new Elysia({ prefix: '/api' })
    .use(session)
    .post('/chat/start', async ({ body, user, status }) => status(202, await chat.startServer(user, body.profileId)), { auth: true, body: chatStartRequest })
    .post(
      '/chat',
      ({ body, request, user, sessionId }) => {
        // open() throws before the stream exists, so refusals are plain HTTP errors, not a stream.
        const plan = chat.open(body, user)
        // The answer stops as soon as its user signs out or loses the account.
        const guard = watch.guard(sessionId, 'user', request.signal)
        return new Response(sseBody(chat.reply(plan, guard.signal), heartbeatMs, guard.release), {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        })
      },
      { auth: true, body: chatRequest },
    )
}
