import { Elysia, sse } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { withHeartbeat } from './heartbeat'
import { chatRequest } from './model'
import type { ChatService } from './service'

/** Silence after which a reply gets a `ping` event: well inside Bun's 30 s idle timeout. */
export const CHAT_HEARTBEAT_MS = 10_000

export function chatRoutes(chat: ChatService, session: ReturnType<typeof sessionPlugin>, heartbeatMs = CHAT_HEARTBEAT_MS) {
  return new Elysia({ prefix: '/api' }).use(session).post(
    '/chat',
    async function* ({ body, request }) {
      // open() throws before the first event, so refusals are plain HTTP errors, not a stream.
      const events = withHeartbeat(chat.reply(chat.open(body), request.signal), heartbeatMs, () => ({ type: 'ping' as const, data: {} }))
      for await (const event of events) yield sse({ event: event.type, data: event.data })
    },
    { auth: true, body: chatRequest },
  )
}
