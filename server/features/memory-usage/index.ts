import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import type { MemoryUsageService } from './service'

/** Peaks are per model, not per profile, so every signed-in user may read them (the catalog shows them too). */
export function memoryUsageRoutes(memory: MemoryUsageService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/memory-usage' })
    .use(session)
    .get('/', () => ({ source: memory.source, measurements: memory.all() }), { auth: true })
}
