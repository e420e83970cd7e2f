import { Elysia } from 'elysia'
import type { AccessWatch } from '../../auth/access-watch'
import type { sessionPlugin } from '../../auth/session'
import type { GatewayRouteOptions } from '..'
import type { GatewayService } from '../service'

/** The Anthropic Messages API (`POST /v1/messages`) on the gateway, translated to the engines' chat completions. */
export function messagesRoutes(_gateway: GatewayService, session: ReturnType<typeof sessionPlugin>, _watch: AccessWatch, _options: GatewayRouteOptions) {
  return new Elysia({ prefix: '/v1' }).use(session)
}
