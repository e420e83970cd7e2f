import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { passwordReset, userIdParams, userPatch } from './model'
import type { UserAdminService } from './service'

export function userRoutes(users: UserAdminService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/users' })
    .use(session)
    .get('/', () => users.list(), { admin: true })
    .patch('/:id', ({ params, body }) => users.update(params.id, body), { admin: true, params: userIdParams, body: userPatch })
    .post('/:id/password', ({ params, body }) => users.resetPassword(params.id, body.password), {
      admin: true,
      params: userIdParams,
      body: passwordReset,
    })
    .delete(
      '/:id',
      ({ params, status }) => {
        users.remove(params.id)
        return status(204)
      },
      { admin: true, params: userIdParams },
    )
}
