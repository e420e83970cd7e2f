import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { duplicateBody, profileCreate, profileIdParams, profilePatch, suggestPortQuery } from './model'
import type { ProfileService } from './service'

export function profileRoutes(profiles: ProfileService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/profiles' })
    .use(session)
    .get('/', () => profiles.list(), { auth: true })
    .get('/suggest-port', async ({ query }) => ({ port: await profiles.suggestPort(query.host) }), { auth: true, query: suggestPortQuery })
    .post('/', async ({ body, status }) => status(201, await profiles.create(body)), { auth: true, body: profileCreate })
    .get('/:id', ({ params }) => profiles.get(params.id), { auth: true, params: profileIdParams })
    .patch('/:id', ({ params, body }) => profiles.update(params.id, body), { auth: true, params: profileIdParams, body: profilePatch })
    .delete(
      '/:id',
      ({ params, status }) => {
        profiles.remove(params.id)
        return status(204)
      },
      { auth: true, params: profileIdParams },
    )
    .post('/:id/duplicate', async ({ params, body, status }) => status(201, await profiles.duplicate(params.id, body?.name)), {
      auth: true,
      params: profileIdParams,
      body: duplicateBody,
    })
}
