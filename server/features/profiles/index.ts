import { Elysia } from 'elysia'
import type { AccessViews } from '../access/views'
import type { sessionPlugin } from '../auth/session'
import { duplicateBody, profileCreate, profileIdParams, profilePatch, suggestPortQuery } from './model'
import type { ProfileService } from './service'

/** Admins manage profiles; members read the ones available to them (see AccessViews). */
export function profileRoutes(profiles: ProfileService, views: AccessViews, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/profiles' })
    .use(session)
    .get('/', ({ user }) => views.profiles(user), { auth: true })
    .get('/suggest-port', async ({ query }) => ({ port: await profiles.suggestPort(query.host) }), { admin: true, query: suggestPortQuery })
    .post('/', async ({ body, status }) => status(201, await profiles.create(body)), { admin: true, body: profileCreate })
    .get('/:id', ({ params, user }) => views.profile(user, params.id), { auth: true, params: profileIdParams })
    .patch('/:id', ({ params, body }) => profiles.update(params.id, body), { admin: true, params: profileIdParams, body: profilePatch })
    .delete(
      '/:id',
      ({ params, status }) => {
        profiles.remove(params.id)
        return status(204)
      },
      { admin: true, params: profileIdParams },
    )
    .post('/:id/duplicate', async ({ params, body, status }) => status(201, await profiles.duplicate(params.id, body?.name)), {
      admin: true,
      params: profileIdParams,
      body: duplicateBody,
    })
}
