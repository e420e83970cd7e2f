import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import { hostCheckBody, hostCreate, hostIdParams, hostPatch } from './model'
import type { HostService } from './service'

/** Hosts are the machine's business: only admins list, change or check them (a check runs SSH). */
export function hostRoutes(hosts: HostService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/hosts' })
    .use(session)
    .get('/', () => hosts.list(), { admin: true })
    .post('/', ({ body, status }) => status(201, hosts.create(body)), { admin: true, body: hostCreate })
    .get('/:id', ({ params }) => hosts.get(params.id), { admin: true, params: hostIdParams })
    .patch('/:id', ({ params, body }) => hosts.update(params.id, body), { admin: true, params: hostIdParams, body: hostPatch })
    .delete(
      '/:id',
      ({ params, status }) => {
        hosts.remove(params.id)
        return status(204)
      },
      { admin: true, params: hostIdParams },
    )
    .post('/:id/check', ({ params, body }) => hosts.check(params.id, body?.profileId), { admin: true, params: hostIdParams, body: hostCheckBody })
}
