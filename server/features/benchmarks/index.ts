import { Elysia } from 'elysia'
import type { Profile } from '../../../shared/profiles'
import { benchmarkFor, mayUse } from '../access/viewer'
import type { sessionPlugin } from '../auth/session'
import { startBody } from './model'
import type { BenchmarkService } from './service'

/**
 * Running a benchmark is an admin's action (it loads the machine); every signed-in user sees the
 * results, a member only those of profiles available to them.
 */
export function benchmarkRoutes(benchmarks: BenchmarkService, profiles: { find(id: number): Profile | null }, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia({ prefix: '/api/benchmarks' })
    .use(session)
    .get(
      '/',
      ({ user }) =>
        benchmarks
          .list()
          .filter((run) => {
            const profile = profiles.find(run.profileId)
            return user.isAdmin || (profile !== null && mayUse(user, profile))
          })
          .map((run) => benchmarkFor(user, run)),
      { auth: true },
    )
    .post('/', async ({ body, status }) => status(202, await benchmarks.start(body.profileId, body)), { admin: true, body: startBody })
}
