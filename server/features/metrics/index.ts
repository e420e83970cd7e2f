import { Elysia } from 'elysia'
import type { sessionPlugin } from '../auth/session'
import type { MetricsService } from './service'

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export function metricsRoutes(metrics: MetricsService, session: ReturnType<typeof sessionPlugin>) {
  return new Elysia()
    .use(session)
    .get('/api/metrics/servers', () => metrics.servers(), { auth: true })
    .get('/metrics', () => new Response(metrics.prometheus(), { headers: { 'content-type': PROMETHEUS_TYPE } }), { admin: true })
}
