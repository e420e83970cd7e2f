import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import type { EngineService } from './service'

export function engineRoutes(engines: EngineService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/engines' }).use(session).get('/', () => engines.list(), { auth: true })
}
