import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import type { MemorySampler } from './sampler'

export function systemRoutes(memory: MemorySampler, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/system' }).use(session).get('/memory', () => memory.current(), { auth: true })
}
