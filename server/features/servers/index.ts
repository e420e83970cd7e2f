import { Elysia, sse } from 'elysia'
import { LOG_TAIL_DEFAULT_LINES } from '../../../shared/servers'
import type { sessionPlugin } from '../auth/session'
import { logStream } from './log-stream'
import type { ServerLogs } from './logs'
import { logsQuery, serverParams, startQuery } from './model'
import type { ServerSupervisor } from './service'

export function serverRoutes(
  servers: ServerSupervisor,
  logs: ServerLogs,
  session: ReturnType<typeof sessionPlugin>,
  heartbeatMs = 25_000,
) {
  return new Elysia({ prefix: '/api/servers' })
    .use(session)
    .get('/', () => servers.list(), { auth: true })
    .get('/:profileId', ({ params }) => servers.get(params.profileId), { auth: true, params: serverParams })
    .post(
      '/:profileId/start',
      async ({ params, query, status }) => status(query.wait === true ? 200 : 202, await servers.start(params.profileId, { wait: query.wait })),
      { auth: true, params: serverParams, query: startQuery },
    )
    .post('/:profileId/stop', ({ params }) => servers.stop(params.profileId), { auth: true, params: serverParams })
    .post(
      '/:profileId/restart',
      async ({ params, query, status }) => status(query.wait === true ? 200 : 202, await servers.restart(params.profileId, { wait: query.wait })),
      { auth: true, params: serverParams, query: startQuery },
    )
    .get(
      '/:profileId/logs',
      async function* ({ params, query, request }) {
        servers.get(params.profileId) // 404 for an unknown profile, before the stream opens
        const stream = logStream({ logs, profileId: params.profileId, tail: query.tail ?? LOG_TAIL_DEFAULT_LINES, signal: request.signal, heartbeatMs })
        for await (const item of stream) yield sse({ event: item.type, data: item.data })
      },
      { auth: true, params: serverParams, query: logsQuery },
    )
}
