import { describe, expect, test } from 'bun:test'
import { createMetricsRepository } from '../../server/features/metrics/repository'
import { MetricsService } from '../../server/features/metrics/service'
import { storedTotals } from '../../server/features/metrics/totals'
import type { ServerStatsHistory, UsageResponse } from '../../shared/observability'
import type { ServerStatus } from '../../shared/servers'
import { loadConfig } from '../../server/config'
import { NO_SAVED_TOKEN } from './helpers'
import { observedApp, request, type ObservedApp } from './usage-helpers'

const NOW = '2026-03-01T12:00:00.000Z'

const usage = async (o: ObservedApp, query: string) => (await o.app.json<UsageResponse>('GET', `/api/usage?${query}`, { token: o.adminToken })).body.rows
const tiers = (o: ObservedApp) => ({
  raw: o.app.db.query<{ started_at: string }, []>('SELECT started_at FROM chat_requests ORDER BY started_at').all().map((row) => row.started_at),
  rollups: o.app.db
    .query<{ resolution: string; bucket_start: string; requests: number; completion_tokens: number }, []>(
      'SELECT resolution, bucket_start, requests, completion_tokens FROM request_rollups ORDER BY resolution, bucket_start',
    )
    .all(),
})

describe('retention of requests', () => {
  test('raw after 7 days becomes minutes, after 30 hours, after 90 gone; usage reads every tier and counts each request once', async () => {
    const o = await observedApp(NOW)
    const record = (startedAt: string, timeToFirstTokenMs: number, completionTokens: number) =>
      o.app.metrics.record(request({ profileId: o.alpha.id, userId: o.admin.id, keyId: o.adminKey.id, startedAt, timeToFirstTokenMs, completionTokens }))
    record('2025-11-01T09:00:00.000Z', 100, 1) // 120 days old: gone at once
    record('2026-01-20T10:05:00.000Z', 100, 10) // 40 days: an hour rollup
    record('2026-01-20T10:50:00.000Z', 300, 20)
    record('2026-02-20T10:00:05.000Z', 100, 100) // 9 days: minute rollups
    record('2026-02-20T10:00:30.000Z', 300, 200)
    record('2026-02-20T10:01:00.000Z', 1000, 400)
    record('2026-03-01T11:00:00.000Z', 50, 1000) // today: raw
    const before = await usage(o, 'from=2026-01-01T00:00:00Z&to=2026-03-02T00:00:00Z&bucket=day&groupBy=key')
    expect(before.map((row) => [row.bucketStart, row.requests, row.completionTokens, row.approximate])).toEqual([
      ['2026-01-20T00:00:00.000Z', 2, 30, false],
      ['2026-02-20T00:00:00.000Z', 3, 700, false],
      ['2026-03-01T00:00:00.000Z', 1, 1000, false],
    ])
    const countersBefore = storedTotals(o.app.db)

    o.app.observability.runRetention()
    expect(tiers(o)).toEqual({
      raw: ['2026-03-01T11:00:00.000Z'],
      rollups: [
        { resolution: 'hour', bucket_start: '2026-01-20T10:00:00.000Z', requests: 2, completion_tokens: 30 },
        { resolution: 'minute', bucket_start: '2026-02-20T10:00:00.000Z', requests: 2, completion_tokens: 300 },
        { resolution: 'minute', bucket_start: '2026-02-20T10:01:00.000Z', requests: 1, completion_tokens: 400 },
      ],
    })
    // Counts and tokens are unchanged; the medians of rolled-up days are estimated from the histograms.
    const after = await usage(o, 'from=2026-01-01T00:00:00Z&to=2026-03-02T00:00:00Z&bucket=day&groupBy=key')
    expect(after.map((row) => [row.bucketStart, row.groupId, row.requests, row.completionTokens, row.approximate])).toEqual([
      ['2026-01-20T00:00:00.000Z', o.adminKey.id, 2, 30, true],
      ['2026-02-20T00:00:00.000Z', o.adminKey.id, 3, 700, true],
      ['2026-03-01T00:00:00.000Z', o.adminKey.id, 1, 1000, false],
    ])
    // 100, 300 and 1000 ms fall in the buckets up to 100, 500 and 1000: the median is the middle
    // one's bucket at its midpoint (250 + 250 × 0.5), p95 near the top of the last (500 + 500 × 0.85).
    expect(after[1]?.medianTimeToFirstTokenMs).toBe(375)
    expect(after[1]?.p95TimeToFirstTokenMs).toBeCloseTo(925, 9)
    // Minute buckets of rolled-up minutes keep their minute; of hour rollups, the hour's start.
    const minutes = await usage(o, 'from=2026-01-20T10:00:00Z&to=2026-01-20T11:00:00Z&bucket=minute')
    expect(minutes.map((row) => [row.bucketStart, row.requests])).toEqual([['2026-01-20T10:00:00.000Z', 2]])
    // Prometheus counters, summed from the table and the rollups at a restart, lose nothing but the pruned request.
    const countersAfter = storedTotals(o.app.db)
    expect(countersAfter[0]?.requests).toBe((countersBefore[0]?.requests ?? 0) - 1)
    expect(countersAfter[0]?.completionTokens).toBe((countersBefore[0]?.completionTokens ?? 0) - 1)
    // The servers' figures after a restart count the rolled-up requests too (medians: the raw ones).
    const restarted = new MetricsService({ repo: createMetricsRepository(o.app.db), bus: o.app.bus, db: o.app.db })
    expect(restarted.servers()).toEqual([
      {
        profileId: o.alpha.id,
        requests: 6,
        errors: 0,
        promptTokens: 60,
        completionTokens: 1730,
        medianTokensPerSecond: 50,
        medianTimeToFirstTokenMs: 50,
        lastRequestAt: '2026-03-01T11:00:00.000Z',
        byKey: [{ keyId: o.adminKey.id, userId: o.admin.id, requests: 6, errors: 0, promptTokens: 60, completionTokens: 1730, lastRequestAt: '2026-03-01T11:00:00.000Z' }],
      },
    ])

    // A second pass changes nothing; a request that ends after its minute was rolled up joins it.
    o.app.observability.runRetention()
    record('2026-02-20T10:00:59.000Z', 100, 5)
    o.app.observability.runRetention()
    expect(tiers(o).rollups.find((row) => row.bucket_start === '2026-02-20T10:00:00.000Z')).toEqual({
      resolution: 'minute',
      bucket_start: '2026-02-20T10:00:00.000Z',
      requests: 3,
      completion_tokens: 305,
    })

    // 25 days on, February's minutes are past 30 days and become an hour.
    o.setNow('2026-03-26T12:00:00.000Z')
    o.app.observability.runRetention()
    expect(tiers(o).rollups.map((row) => [row.resolution, row.bucket_start, row.requests])).toEqual([
      ['hour', '2026-01-20T10:00:00.000Z', 2],
      ['hour', '2026-02-20T10:00:00.000Z', 4],
      ['minute', '2026-03-01T11:00:00.000Z', 1],
    ])
    // After 90 days everything is gone.
    o.setNow('2026-06-01T12:00:00.000Z')
    o.app.observability.runRetention()
    expect(tiers(o)).toEqual({ raw: [], rollups: [] })
  })

  test('MLX_MANAGER_RETENTION_DAYS: 90 by default, a whole number of days from 1 to 3650', async () => {
    const env = { MLX_MANAGER_HOME: '/tmp/mlx-manager-retention-config', ...NO_SAVED_TOKEN }
    expect(loadConfig(env).retentionDays).toBe(90)
    expect(loadConfig({ ...env, MLX_MANAGER_RETENTION_DAYS: ' 30 ' }).retentionDays).toBe(30)
    for (const bad of ['0', '3651', '7.5', 'ninety', '-1']) {
      expect(() => loadConfig({ ...env, MLX_MANAGER_RETENTION_DAYS: bad })).toThrow(`MLX_MANAGER_RETENTION_DAYS is how many days request history is kept: a whole number from 1 to 3650, not "${bad}".`)
    }
    // The manager's retention pass uses it.
    const o = await observedApp(NOW)
    expect(o.app.observability.policy.retentionDays).toBe(90)
  })

  test('a shorter retention (MLX_MANAGER_RETENTION_DAYS) ends every tier sooner', async () => {
    const o = await observedApp(NOW, { observability: { retention: { retentionDays: 3 } } })
    o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: '2026-02-25T12:00:00.000Z' }))
    o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: '2026-02-27T12:00:00.000Z' }))
    o.app.observability.runRetention()
    expect(tiers(o)).toEqual({ raw: ['2026-02-27T12:00:00.000Z'], rollups: [] })
  })
})

describe('server CPU and memory samples', () => {
  test('the open window is written when the manager stops', async () => {
    const o = await observedApp(NOW)
    o.app.bus.publish({ type: 'servers.stats', data: { at: '2026-03-01T11:59:01.000Z', servers: [{ profileId: o.beta.id, cpuPercent: 7, rssBytes: 70 }] } })
    expect(o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM server_stats').get()?.n).toBe(0)
    o.app.observability.stop()
    const stats = await o.app.json<ServerStatsHistory>('GET', `/api/servers/${o.beta.id}/stats`, { token: o.adminToken })
    expect(stats.body.points).toEqual([{ at: '2026-03-01T11:59:00.000Z', spanSeconds: 10, cpuPercent: 7, maxCpuPercent: 7, rssBytes: 70, maxRssBytes: 70 }])
  })

  const sample = (o: ObservedApp, at: string, cpuPercent: number, rssBytes: number) =>
    o.app.bus.publish({ type: 'servers.stats', data: { at, servers: [{ profileId: o.alpha.id, cpuPercent, rssBytes }] } })

  test('one row per 10 s (average and highest), kept across a restart, rolled up with the clock; members only for shared profiles', async () => {
    const o = await observedApp(NOW)
    // Samples every 2 s: 11:58:00 … 11:58:08 in one window, 11:58:10 … in the next.
    for (let i = 0; i < 10; i++) sample(o, `2026-03-01T11:58:${String(i * 2).padStart(2, '0')}.000Z`, 10 * (i + 1), 1000 * (i + 1))
    // The open window is written when its server stops (or the manager does).
    expect(o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM server_stats').get()?.n).toBe(1)
    const status = (await o.app.json<ServerStatus>('GET', `/api/servers/${o.alpha.id}`, { token: o.adminToken })).body
    o.app.bus.publish({ type: 'servers.state', data: { ...status, state: 'stopped' } })
    expect(o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM server_stats').get()?.n).toBe(2)
    const stats = await o.app.json<ServerStatsHistory>('GET', `/api/servers/${o.alpha.id}/stats?from=2026-03-01T11:50:00Z&to=2026-03-01T12:00:00Z`, { token: o.adminToken })
    expect(stats.status).toBe(200)
    expect(stats.body).toEqual({
      profileId: o.alpha.id,
      from: '2026-03-01T11:50:00.000Z',
      to: '2026-03-01T12:00:00.000Z',
      points: [
        { at: '2026-03-01T11:58:00.000Z', spanSeconds: 10, cpuPercent: 30, maxCpuPercent: 50, rssBytes: 3000, maxRssBytes: 5000 },
        { at: '2026-03-01T11:58:10.000Z', spanSeconds: 10, cpuPercent: 80, maxCpuPercent: 100, rssBytes: 8000, maxRssBytes: 10_000 },
      ],
    })
    // The default range is the last hour.
    expect((await o.app.json<ServerStatsHistory>('GET', `/api/servers/${o.alpha.id}/stats`, { token: o.member.token })).body.points).toHaveLength(2)
    // Members: Beta is not shared with them, and looks like no profile at all.
    const hidden = await o.app.json<{ error: { code: string } }>('GET', `/api/servers/${o.beta.id}/stats`, { token: o.member.token })
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'profile-not-found'])
    expect((await o.app.json('GET', '/api/servers/999/stats', { token: o.adminToken })).status).toBe(404)
    expect((await o.app.json('GET', `/api/servers/${o.alpha.id}/stats?from=later`, { token: o.adminToken })).status).toBe(400)

    // Two days on the raw rows are a minute: averaged by their sample counts.
    o.setNow('2026-03-03T12:00:00.000Z')
    o.app.observability.runRetention()
    const rolled = await o.app.json<ServerStatsHistory>('GET', `/api/servers/${o.alpha.id}/stats?from=2026-03-01T11:00:00Z&to=2026-03-01T12:00:00Z`, { token: o.adminToken })
    expect(rolled.body.points).toEqual([{ at: '2026-03-01T11:58:00.000Z', spanSeconds: 60, cpuPercent: 55, maxCpuPercent: 100, rssBytes: 5500, maxRssBytes: 10_000 }])
    // A month's range is read in hours, whatever is stored.
    const month = await o.app.json<ServerStatsHistory>('GET', `/api/servers/${o.alpha.id}/stats?from=2026-02-01T00:00:00Z&to=2026-03-03T00:00:00Z`, { token: o.adminToken })
    expect(month.body.points).toEqual([{ at: '2026-03-01T11:00:00.000Z', spanSeconds: 3600, cpuPercent: 55, maxCpuPercent: 100, rssBytes: 5500, maxRssBytes: 10_000 }])
    o.setNow('2026-06-01T12:00:00.000Z')
    o.app.observability.runRetention()
    expect(o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM server_stats').get()?.n).toBe(0)
  })
})
