import { Elysia, t } from 'elysia'
import { ENGINE_NAMES } from '../../../shared/profiles'
import type { sessionPlugin } from '../auth/session'
import type { EngineInstaller } from './installer'
import type { EngineService } from './service'

const engineParams = t.Object({ name: t.UnionEnum(ENGINE_NAMES) })

export function engineRoutes(engines: EngineService, session: ReturnType<typeof sessionPlugin>, installer: EngineInstaller) {
  return new Elysia({ prefix: '/api/engines' })
    .use(session)
    .get('/', () => engines.list(), { admin: true })
    // Also an update: installing over an existing environment upgrades it to the pinned versions.
    .post('/:name/install', async ({ params, status }) => status(202, await installer.install(params.name)), { admin: true, params: engineParams })
    .delete('/:name', async ({ params, status }) => status(204, await installer.remove(params.name)), { admin: true, params: engineParams })
}
