import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { parseId, type Query } from './parse'
import type { UsageService } from './service'

const exportTypes = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' } as const

/** Usage, the request log and its exports, the dashboard summary, and a server's CPU and memory history. */
export function usageRoutes(usage: UsageService, session: ReturnType<typeof sessionPlugin>, now: () => Date = () => new Date()) {
  return new Elysia()
    .use(session)
    .get('/api/usage', ({ user, query }) => usage.usage(user, query as Query), { auth: true })
    .get(
      '/api/requests',
      ({ user, query }) => {
        const format = (query as Query).format
        if (format !== 'csv' && format !== 'json') return usage.page(user, query)
        const stream = usage.export(user, query, format)
        const day = now().toISOString().slice(0, 10)
        return new Response(stream, {
          headers: { 'content-type': exportTypes[format], 'content-disposition': `attachment; filename="requests-${day}.${format}"` },
        })
      },
      { auth: true },
    )
    .get('/api/dashboard', ({ user, query }) => usage.dashboard(user, query as Query), { auth: true })
    .get(
      '/api/servers/:profileId/stats',
      ({ user, params, query }) => {
        const profileId = parseId(params.profileId, 'profileId')
        return usage.stats(user, profileId ?? 0, query)
      },
      { auth: true },
    )
}
