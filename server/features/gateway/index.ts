import { Elysia } from 'elysia'
import { directStream } from '../../http/direct-stream'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import { CHAT_HEARTBEAT_MS } from '../chat'
import { chatCompletionRequest } from './model'
import { relayFrames, type GatewayService } from './service'

/** An SSE comment: OpenAI clients skip it, and it keeps the connection open while an engine reads a long prompt. */
const KEEPALIVE = ': keepalive\n\n'

const same = (frame: string) => frame

export interface GatewayRouteOptions {
  /** Whether a key still works (not revoked or expired, its owner active): open answers end when it stops. */
  keyValid: (keyId: number) => boolean
  heartbeatMs?: number
  idleTimeoutMs?: number
}

/** The OpenAI-compatible endpoint on the manager's own port, for API keys (errors in OpenAI's shape). */
export function gatewayRoutes(gateway: GatewayService, session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, options: GatewayRouteOptions) {
  const heartbeatMs = options.heartbeatMs ?? CHAT_HEARTBEAT_MS
  return new Elysia({ prefix: '/v1' })
    .use(session)
    .get('/models', ({ user, key }) => ({ object: 'list', data: gateway.models({ user, key }) }), { apiKey: true })
    .post(
      '/chat/completions',
      async ({ body, request, user, key }) => {
        const plan = gateway.plan({ user, key }, body)
        const guard = watch.guardWhile(() => options.keyValid(key.id), request.signal)
        let reply
        try {
          reply = await gateway.open(plan, guard.signal)
        } catch (error) {
          guard.release()
          throw error
        }
        if (!plan.stream) {
          try {
            const text = await reply.response.text()
            return new Response(text, { status: reply.response.status, headers: { 'content-type': 'application/json' } })
          } finally {
            reply.call.close()
            guard.release()
          }
        }
        return new Response(directStream(relayFrames(reply, options.idleTimeoutMs ?? 120_000), same, { heartbeatMs, ping: KEEPALIVE, onEnd: guard.release }), {
          headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
        })
      },
      { apiKey: true, body: chatCompletionRequest },
    )
}
