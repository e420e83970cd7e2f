import { Elysia, sse } from 'elysia'
import { LOG_TAIL_DEFAULT_LINES } from '../../../shared/servers'
import type { AccessViews } from '../access/views'
import type { AccessWatch } from '../auth/access-watch'
import type { sessionPlugin } from '../auth/session'
import { logStream } from './log-stream'
import { logFileName, type ServerLogs } from './logs'
import { logsQuery, serverParams, startQuery } from './model'
import type { ServerSupervisor } from './service'

export function serverRoutes(
  servers: ServerSupervisor,
  logs: ServerLogs,
  views: AccessViews,
  session: ReturnType<typeof sessionPlugin>,
  watch: AccessWatch,
  heartbeatMs = 25_000,
) {
  return new Elysia({ prefix: '/api/servers' })
    .use(session)
    .get('/', ({ user }) => views.servers(user), { auth: true })
    .get('/:profileId', ({ params, user }) => views.server(user, params.profileId), { auth: true, params: serverParams })
    .post(
      '/:profileId/start',
      async ({ params, query, status }) => status(query.wait === true ? 200 : 202, await servers.start(params.profileId, { wait: query.wait })),
      { admin: true, params: serverParams, query: startQuery },
    )
    .post('/:profileId/stop', ({ params }) => servers.stop(params.profileId), { admin: true, params: serverParams })
    .post(
      '/:profileId/restart',
      async ({ params, query, status }) => status(query.wait === true ? 200 : 202, await servers.restart(params.profileId, { wait: query.wait })),
      { admin: true, params: serverParams, query: startQuery },
    )
    .get(
      '/:profileId/logs',
      async function* ({ params, query, request, sessionId }) {
        servers.get(params.profileId) // 404 for an unknown profile, before the stream opens
        // The stream ends as soon as its admin signs out, is demoted, disabled or deleted.
        const guard = watch.guard(sessionId, 'admin', request.signal)
        const stream = logStream({ logs, profileId: params.profileId, tail: query.tail ?? LOG_TAIL_DEFAULT_LINES, signal: guard.signal, heartbeatMs })
        try {
          for await (const item of stream) yield sse({ event: item.type, data: item.data })
        } finally {
          guard.release()
        }
      },
      { admin: true, params: serverParams, query: logsQuery },
    )
    .get(
      '/:profileId/logs/download',
      ({ params, set }) => {
        const server = servers.get(params.profileId) // 404 for an unknown profile
        set.headers['content-type'] = 'text/plain; charset=utf-8'
        set.headers['content-disposition'] = `attachment; filename="${logFileName(server.name, params.profileId)}"`
        return logs.whole(params.profileId)
      },
      { admin: true, params: serverParams },
    )
}
