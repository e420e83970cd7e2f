import { Elysia } from 'elysia'
import type { Viewer } from '../access/viewer'
import type { sessionPlugin } from '../auth/session'
import type { MetricsService } from './service'

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** `mayUse` decides which profiles' figures a viewer sees (members: those shared with them). */
export function metricsRoutes(metrics: MetricsService, session: ReturnType<typeof sessionPlugin>, mayUse: (viewer: Viewer, profileId: number) => boolean) {
  return new Elysia()
    .use(session)
    .get(
      '/api/metrics/servers',
      ({ user }) =>
        metrics
          .servers()
          .filter((summary) => mayUse(user, summary.profileId))
          // Members see the traffic of their own keys only.
          .map((summary) => (user.isAdmin ? summary : { ...summary, byKey: summary.byKey.filter((traffic) => traffic.userId === user.id) })),
      { auth: true },
    )
    .get('/metrics', () => new Response(metrics.prometheus(), { headers: { 'content-type': PROMETHEUS_TYPE } }), { admin: true })
}
