import { Elysia } from 'elysia'
import { CHAT_BODY_LIMIT } from '../../http/body-limit'
import { directStream } from '../../http/direct-stream'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import { CHAT_HEARTBEAT_MS } from '../chat'
import { EngineStreamError, type EngineExchange } from '../chat/exchange'
import type { ApiKey } from '../../../shared/keys'
import type { PeerRelay } from '../peers/relay'
import type { PublicUser } from '../../../shared/users'
import { chatCompletionRequest, completionRequest, embeddingRequest } from './model'
import type { GatewayBody, GatewayService } from './service'

/** An SSE comment: OpenAI clients skip it, and it keeps the connection open while an engine reads a long prompt. */
const KEEPALIVE = ': keepalive\n\n'

const same = (frame: string) => frame

export interface GatewayRouteOptions {
  /** Whether a key still works (not revoked or expired, its owner active): open answers end when it stops. */
  keyValid: (keyId: number) => boolean
  heartbeatMs?: number
  /** Other managers' models (`name@machine`), relayed there; local ones never wait on them. */
  peers?: PeerRelay
}

type OpenAiEndpoint = 'chat/completions' | 'completions' | 'embeddings'

/** The OpenAI-compatible endpoint on the manager's own port, for API keys (errors in OpenAI's shape). */
export function gatewayRoutes(gateway: GatewayService, session: ReturnType<typeof sessionPlugin>, watch: AccessWatch, options: GatewayRouteOptions) {
  const heartbeatMs = options.heartbeatMs ?? CHAT_HEARTBEAT_MS
  const { peers } = options
  const answer = async (endpoint: OpenAiEndpoint, body: GatewayBody, request: Request, user: PublicUser, key: ApiKey) => {
    const peer = peers?.match({ user, key }, body.model) ?? null
    if (peer !== null && peers !== undefined) {
      const held = watch.guardWhile(() => options.keyValid(key.id), request.signal)
      return peers.forward(peer, endpoint, body, held.signal, held.release)
    }
    const guard = watch.guardWhile(() => options.keyValid(key.id), request.signal)
    let opened
    try {
      opened = await gateway.forward({ user, key }, endpoint, body, guard.signal)
    } catch (error) {
      guard.release()
      throw error
    }
    const { exchange, response } = opened
    if (body.stream !== true) {
      try {
        return new Response(await exchange.text(response), { status: response.status, headers: { 'content-type': 'application/json' } })
      } finally {
        guard.release()
      }
    }
    const end = () => {
      exchange.close()
      guard.release()
    }
    return new Response(directStream(openAiFrames(exchange, response), same, { heartbeatMs, ping: KEEPALIVE, onEnd: end }), {
      headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
    })
  }
  return new Elysia({ prefix: '/v1' })
    .use(session)
    .get('/models', ({ user, key }) => ({ object: 'list', data: [...gateway.models({ user, key }), ...(peers?.models({ user, key }) ?? [])] }), { apiKey: true })
    .post('/chat/completions', ({ body, request, user, key }) => answer('chat/completions', body, request, user, key), {
      apiKey: true,
      body: chatCompletionRequest,
      bodyLimit: CHAT_BODY_LIMIT,
    })
    .post('/completions', ({ body, request, user, key }) => answer('completions', body, request, user, key), { apiKey: true, body: completionRequest })
    .post('/embeddings', ({ body, request, user, key }) => answer('embeddings', { ...body, stream: false }, request, user, key), { apiKey: true, body: embeddingRequest })
}

/**
 * The engine's stream as SSE frames for the client, each `data:` payload as sent (so tool calls,
 * usage, logprobs and unknown fields pass untouched) except that the finishing and usage chunks
 * carry the manager's measurements. A failure mid-stream becomes a last chunk carrying an OpenAI
 * error, which the official clients raise, then the stream ends.
 */
async function* openAiFrames(exchange: EngineExchange, response: Response): AsyncGenerator<string> {
  try {
    for await (const payload of exchange.payloads(response, true)) yield `data: ${payload}\n\n`
  } catch (error) {
    if (!(error instanceof EngineStreamError)) throw error
    yield `data: ${JSON.stringify({ error: { message: error.message, type: 'server_error', param: null, code: error.code.replaceAll('-', '_') } })}\n\n`
    return
  }
  yield 'data: [DONE]\n\n'
}
