import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { modelParams } from './model'
import type { LocalModelService } from './service'

export function modelRoutes(models: LocalModelService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/models' })
    .use(session)
    .get('/', () => models.list(), { auth: true })
    .delete(
      '/:org/:name',
      async ({ params, status }) => {
        await models.remove(params.org, params.name)
        return status(204)
      },
      { admin: true, params: modelParams },
    )
}
