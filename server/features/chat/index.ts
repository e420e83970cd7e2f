import { Elysia, sse } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { chatRequest } from './model'
import type { ChatService } from './service'

export function chatRoutes(chat: ChatService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api' }).use(session).post(
    '/chat',
    async function* ({ body, request }) {
      // open() throws before the first event, so refusals are plain HTTP errors, not a stream.
      for await (const event of chat.reply(chat.open(body), request.signal)) yield sse({ event: event.type, data: event.data })
    },
    { auth: true, body: chatRequest },
  )
}
