import { Elysia } from 'elysia'
import { CHAT_BODY_LIMIT } from '../../../http/body-limit'
import { directStream } from '../../../http/direct-stream'
import type { AccessWatch } from '../../auth/access-watch'
import type { sessionPlugin } from '../../auth/session'
import { CHAT_HEARTBEAT_MS } from '../../chat'
import { EngineStreamError, type EngineExchange } from '../../chat/exchange'
import type { GatewayRouteOptions } from '..'
import type { GatewayService } from '../service'
import { messagesRequest } from './model'
import { toChatCompletion } from './request'
import { toMessage, type AnswerContext } from './response'
import { MessageStreamTranslator, errorEvent, frame, type StreamEvent } from './stream'

/** Anthropic's keep-alive: its clients skip `ping` events. */
const PING = frame({ type: 'ping' })

/** The Anthropic Messages API (`POST /v1/messages`) on the gateway, translated to the engines' chat completions. */
export function messagesRoutes(gateway: GatewayService, session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, options: GatewayRouteOptions) {
  const heartbeatMs = options.heartbeatMs ?? CHAT_HEARTBEAT_MS
  return new Elysia({ prefix: '/v1' }).use(session).post(
    '/messages',
    async ({ body, request, user, key }) => {
      // A peer's model is answered there in this same API.
      const peer = options.peers?.match({ user, key }, body.model) ?? null
      if (peer !== null && options.peers !== undefined) {
        const held = watch.guardWhile(() => options.keyValid(key.id), request.signal)
        return options.peers.forward(peer, 'messages', body, held.signal, held.release)
      }
      // A request the engines cannot be given is refused before a model is started for it.
      const translated = toChatCompletion(body)
      const context: AnswerContext = { model: body.model, thinking: translated.thinking, stopSequences: translated.stopSequences }
      const guard = watch.guardWhile(() => options.keyValid(key.id), request.signal)
      let opened
      try {
        opened = await gateway.forward({ user, key }, 'messages', translated.body, guard.signal)
      } catch (error) {
        guard.release()
        throw error
      }
      const { exchange, response } = opened
      if (body.stream !== true) {
        try {
          return Response.json(toMessage(await exchange.text(response), context))
        } finally {
          guard.release()
        }
      }
      const end = () => {
        exchange.close()
        guard.release()
      }
      return new Response(directStream(messageEvents(exchange, response, new MessageStreamTranslator(context), guard.signal), frame, { heartbeatMs, ping: PING, onEnd: end }), {
        headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
      })
    },
    { apiKey: true, body: messagesRequest, bodyLimit: CHAT_BODY_LIMIT },
  )
}

/**
 * The engine's stream as Anthropic's events. A failure mid-stream (the engine reports an error,
 * breaks off or goes silent) is Anthropic's `error` event, which its clients raise, then the end;
 * so is a key that stops working (`cut`), rather than a cut-short answer that looks finished.
 */
async function* messageEvents(exchange: EngineExchange, response: Response, translator: MessageStreamTranslator, cut: AbortSignal): AsyncGenerator<StreamEvent> {
  yield* translator.start()
  try {
    for await (const payload of exchange.payloads(response, true)) {
      const events = translator.push(payload)
      yield* events
      if (events.at(-1)?.type === 'error') return
    }
  } catch (error) {
    if (!(error instanceof EngineStreamError)) throw error
    yield errorEvent('api_error', error.message)
    return
  }
  // Stopped by the guard: the key was revoked or expired, or its owner disabled (or the client left, and hears nothing).
  if (cut.aborted) {
    yield errorEvent('authentication_error', 'This API key stopped working (revoked or expired, or its owner disabled), so the answer was cut short.')
    return
  }
  yield* translator.end(exchange.measure().completionTokens)
}
