import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { downloadIdParams, newDownload } from './model'
import type { DownloadService } from './service'

export function downloadRoutes(downloads: DownloadService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/downloads' })
    .use(session)
    .get('/', () => downloads.list(), { auth: true })
    .post('/', async ({ body, user, status }) => status(202, await downloads.create(body, user.id)), { admin: true, body: newDownload })
    .get('/:id', ({ params }) => downloads.get(params.id), { auth: true, params: downloadIdParams })
    .post('/:id/pause', ({ params }) => downloads.pause(params.id), { admin: true, params: downloadIdParams })
    .post('/:id/resume', ({ params }) => downloads.resume(params.id), { admin: true, params: downloadIdParams })
    .post('/:id/cancel', ({ params }) => downloads.cancel(params.id), { admin: true, params: downloadIdParams })
    .delete('/', () => ({ ids: downloads.clearFinished() }), { admin: true })
    .delete(
      '/:id',
      async ({ params, status }) => {
        await downloads.clear(params.id)
        return status(204)
      },
      { admin: true, params: downloadIdParams },
    )
}
