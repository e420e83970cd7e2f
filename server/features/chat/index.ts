import { Elysia } from 'elysia'
import { CHAT_BODY_LIMIT } from '../../http/body-limit'
import type { ChatEvent } from '../../../shared/chat'
import { directStream } from '../../http/direct-stream'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import type { PeerRelay } from '../peers/relay'
import { chatRequest, chatStartRequest } from './model'
import type { ChatService } from './service'

/** Silence after which a reply gets a `ping` event: well inside Bun's 30 s idle timeout. */
export const CHAT_HEARTBEAT_MS = 10_000

type Ping = { type: 'ping'; data: Record<string, never> }

function frame(event: ChatEvent | Ping): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`
}

const PING = frame({ type: 'ping', data: {} })

export function chatRoutes(chat: ChatService, session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, heartbeatMs = CHAT_HEARTBEAT_MS, peers?: PeerRelay) {
  return new Elysia({ prefix: '/api' })
    .use(session)
    .post('/chat/start', async ({ body, user, status }) => status(202, await chat.startServer(user, body.profileId)), { auth: true, body: chatStartRequest })
    .post(
      '/chat',
      ({ body, request, user, sessionId }) => {
        // open() throws before the stream exists, so refusals are plain HTTP errors, not a stream.
        // A peer's profile (`peerId` set) is answered by that manager, relayed as the same events.
        let events: (signal: AbortSignal) => AsyncGenerator<ChatEvent>
        if (body.peerId !== undefined && peers !== undefined) {
          const target = peers.chatTarget(user, body.peerId, body.profileId)
          events = (signal) => peers.chat(target, body, signal)
        } else {
          const plan = chat.open(body, user)
          events = (signal) => chat.reply(plan, signal)
        }
        // The answer stops as soon as its user signs out or loses the account.
        const guard = watch.guard(sessionId, 'user', request.signal)
        return new Response(directStream(events(guard.signal), frame, { heartbeatMs, ping: PING, onEnd: guard.release }), {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        })
      },
      { auth: true, body: chatRequest, bodyLimit: CHAT_BODY_LIMIT },
    )
}
