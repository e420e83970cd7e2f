import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { openDatabase } from '../../server/db/database'
import type { RequestLogPage, ServerStatsHistory } from '../../shared/observability'
import { createTestApp, tempDir } from './helpers'
import { observedApp, request } from './usage-helpers'

const NOW = '2026-03-01T12:00:00.000Z'

describe('history across a restart', () => {
  test('requests still queued and the open sample window are written at stop; the next start reads them back', async () => {
    const file = join(tempDir(), 'manager.db')
    const first = await observedApp(NOW, { db: openDatabase(file) })
    first.app.metrics.record(request({ profileId: first.alpha.id, keyId: first.adminKey.id, startedAt: '2026-03-01T11:59:00.000Z', completionTokens: 42 }))
    first.app.bus.publish({ type: 'servers.stats', data: { at: '2026-03-01T11:59:31.000Z', servers: [{ profileId: first.alpha.id, cpuPercent: 50, rssBytes: 4096 }] } })
    // What stop() in server/start.ts does before the database closes.
    first.app.observability.stop()
    first.app.metrics.flush()
    first.app.db.close()

    const second = createTestApp({ db: openDatabase(file), now: () => new Date(NOW) })
    const token = await second.signIn({ email: 'admin@example.com', password: 'correct horse battery' })
    const log = await second.json<RequestLogPage>('GET', '/api/requests', { token })
    expect(log.body.rows.map((row) => [row.startedAt, row.completionTokens])).toEqual([['2026-03-01T11:59:00.000Z', 42]])
    const stats = await second.json<ServerStatsHistory>('GET', `/api/servers/${first.alpha.id}/stats`, { token })
    expect(stats.body.points.map((point) => [point.at, point.cpuPercent, point.rssBytes])).toEqual([['2026-03-01T11:59:30.000Z', 50, 4096]])
    const metrics = await (await second.call('GET', '/metrics', { token })).text()
    expect(metrics).toContain(`mlx_manager_chat_completion_tokens_total{profile_id="${first.alpha.id}"} 42`)
  })
})
