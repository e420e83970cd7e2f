import { Elysia } from 'elysia'
import { forbidden } from '../../http/errors'
import { chatMetricsFor, type Viewer } from '../access/viewer'
import type { AuthService } from '../auth/service'
import { apiKeyOf, type SessionTokens, type sessionPlugin } from '../auth/session'
import { looksLikeApiKey } from '../keys/service'
import type { MetricsService } from './service'

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** How `/metrics` tells who asks: API keys (a scraper's usual credential) and sessions. */
export interface ScrapeAuth {
  tokens: SessionTokens
  auth: AuthService
}

/** `mayUse` decides which profiles' figures a viewer sees (members: those shared with them). */
export function metricsRoutes(metrics: MetricsService, session: ReturnType<typeof sessionPlugin>, mayUse: (viewer: Viewer, profileId: number) => boolean, scraper: ScrapeAuth) {
  return new Elysia()
    .use(session)
    .get(
      '/api/metrics/servers',
      ({ user }) =>
        metrics
          .servers()
          .filter((summary) => mayUse(user, summary.profileId))
          .map((summary) => chatMetricsFor(user, summary)),
      { auth: true },
    )
    .get('/metrics', async ({ headers, readSessionId }) => {
      // An admin's API key (Bearer or x-api-key) or an admin's session; 401 without either, 403 for others.
      const key = apiKeyOf(headers.authorization, headers['x-api-key'])
      const user =
        key !== undefined && looksLikeApiKey(key)
          ? scraper.tokens.apiKey(headers.authorization, headers['x-api-key']).user
          : scraper.auth.authenticate(await readSessionId())
      if (!user.isAdmin) throw forbidden('admin-only', 'Only an administrator (or an API key of one) can read /metrics.')
      return new Response(metrics.prometheus(), { headers: { 'content-type': PROMETHEUS_TYPE } })
    })
}
