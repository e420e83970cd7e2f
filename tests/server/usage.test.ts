import { describe, expect, test } from 'bun:test'
import type { DashboardSummary, UsageResponse, UsageRow } from '../../shared/observability'
import { observedApp, request, type ObservedApp } from './usage-helpers'

const NOW = '2026-03-01T12:00:00.000Z'

/**
 * The known set: three requests an hour apart and a burst of twenty on Beta with the admin's key
 * (time to first token 10, 20 … 200 ms; tokens/s 1 … 20), plus the member's three, one failed.
 */
function recordKnownSet(o: ObservedApp) {
  const { alpha, beta, adminKey, memberKey, admin, member } = o
  const record = (over: Parameters<typeof request>[0]) => o.app.metrics.record(request(over))
  record({ profileId: alpha.id, userId: admin.id, startedAt: '2026-03-01T10:00:10.000Z', timeToFirstTokenMs: 100, tokensPerSecond: 50, promptTokens: 10, completionTokens: 100 })
  record({ profileId: alpha.id, userId: admin.id, keyId: adminKey.id, endpoint: 'chat/completions', startedAt: '2026-03-01T10:00:40.000Z', timeToFirstTokenMs: 200, tokensPerSecond: 40, promptTokens: 20, cachedTokens: 5, completionTokens: 50 })
  record({ profileId: alpha.id, userId: member.user.id, keyId: memberKey.id, endpoint: 'messages', startedAt: '2026-03-01T10:01:05.000Z', timeToFirstTokenMs: 300, tokensPerSecond: 30, promptTokens: 30, completionTokens: 60 })
  record({ profileId: beta.id, userId: member.user.id, keyId: memberKey.id, startedAt: '2026-03-01T10:30:00.000Z', timeToFirstTokenMs: 400, tokensPerSecond: 20, promptTokens: 40, cachedTokens: 10, completionTokens: 70 })
  record({ profileId: beta.id, userId: member.user.id, keyId: memberKey.id, startedAt: '2026-03-01T10:45:00.000Z', status: 502, errorCode: 'engine-disconnected', errorMessage: 'The engine went away.', timeToFirstTokenMs: 5000, tokensPerSecond: 1, promptTokens: 5, completionTokens: 0 })
  for (let i = 1; i <= 20; i++) {
    record({ profileId: beta.id, userId: admin.id, keyId: adminKey.id, endpoint: 'chat/completions', startedAt: `2026-03-01T11:10:${String(i).padStart(2, '0')}.000Z`, timeToFirstTokenMs: i * 10, tokensPerSecond: i, promptTokens: 1, cachedTokens: 1, completionTokens: 2 })
  }
}

const pick = (row: UsageRow) => [
  row.bucketStart,
  row.groupId,
  row.label,
  row.requests,
  row.errors,
  row.promptTokens,
  row.cachedTokens,
  row.completionTokens,
  row.medianTimeToFirstTokenMs,
  row.p95TimeToFirstTokenMs,
  row.medianTokensPerSecond,
  row.approximate,
]

describe('GET /api/usage', () => {
  test('exact figures per hour and key: sums, medians and p95 of successful requests', async () => {
    const o = await observedApp(NOW)
    recordKnownSet(o)
    const response = await o.app.json<UsageResponse>('GET', '/api/usage?from=2026-03-01T10:00:00Z&to=2026-03-01T12:00:00Z&bucket=hour&groupBy=key', { token: o.adminToken })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T12:00:00.000Z', bucket: 'hour', groupBy: 'key' })
    expect(response.body.rows.map(pick)).toEqual([
      // The manager's own chat has no key.
      ['2026-03-01T10:00:00.000Z', null, null, 1, 0, 10, 0, 100, 100, 100, 50, false],
      ['2026-03-01T10:00:00.000Z', o.adminKey.id, 'ci', 1, 0, 20, 5, 50, 200, 200, 40, false],
      // The failed request counts in requests, errors and tokens, not in the medians.
      ['2026-03-01T10:00:00.000Z', o.memberKey.id, 'laptop', 3, 1, 75, 10, 130, 350, 400, 25, false],
      // 10 … 200 ms: the median is between the 10th and 11th, p95 the 19th (nearest rank).
      ['2026-03-01T11:00:00.000Z', o.adminKey.id, 'ci', 20, 0, 20, 20, 40, 105, 190, 10.5, false],
    ])
  })

  test('per user per day and per profile per minute', async () => {
    const o = await observedApp(NOW)
    recordKnownSet(o)
    const byUser = await o.app.json<UsageResponse>('GET', '/api/usage?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&bucket=day&groupBy=user', { token: o.adminToken })
    expect(byUser.body.rows.map(pick)).toEqual([
      // 100, 200 and 10 … 200: 22 values, the 11th and 12th 100 and 110; tokens/s 1 … 20, 40, 50: 11 and 12.
      ['2026-03-01T00:00:00.000Z', o.admin.id, 'admin@example.com', 22, 0, 50, 25, 190, 105, 200, 11.5, false],
      ['2026-03-01T00:00:00.000Z', o.member.user.id, 'member@example.com', 3, 1, 75, 10, 130, 350, 400, 25, false],
    ])
    const byProfile = await o.app.json<UsageResponse>('GET', '/api/usage?from=2026-03-01T10:00:00Z&to=2026-03-01T10:31:00Z&bucket=minute&groupBy=profile', { token: o.adminToken })
    expect(byProfile.body.rows.map((row) => [row.bucketStart, row.label, row.requests, row.completionTokens])).toEqual([
      ['2026-03-01T10:00:00.000Z', 'Alpha', 2, 150],
      ['2026-03-01T10:01:00.000Z', 'Alpha', 1, 60],
      ['2026-03-01T10:30:00.000Z', 'Beta', 1, 70],
    ])
  })

  test('members see only their own requests', async () => {
    const o = await observedApp(NOW)
    recordKnownSet(o)
    const mine = await o.app.json<UsageResponse>('GET', '/api/usage?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&bucket=day&groupBy=key', { token: o.member.token })
    expect(mine.body.rows.map((row) => [row.groupId, row.requests, row.errors])).toEqual([[o.memberKey.id, 3, 1]])
    const nothing = await o.app.json<UsageResponse>('GET', '/api/usage?from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&bucket=day&groupBy=profile', { token: o.other.token })
    expect(nothing.body.rows).toEqual([])
    expect((await o.app.json('GET', '/api/usage')).status).toBe(401)
  })

  test('every parameter is checked, with a message saying what is wanted', async () => {
    const o = await observedApp(NOW)
    const cases: [string, string, string][] = [
      ['bucket=week', 'invalid-bucket', 'bucket must be one of minute, hour, day'],
      ['groupBy=model', 'invalid-groupby', 'groupBy must be one of profile, key, user'],
      ['from=yesterday', 'invalid-time', 'from must be an ISO 8601 time'],
      ['to=2026-13-45T99:00:00Z', 'invalid-time', 'to must be an ISO 8601 time'],
      ['from=2026-03-01T12:00:00Z&to=2026-03-01T11:00:00Z', 'invalid-range', 'from must be earlier than to'],
      ['from=2026-01-01T00:00:00Z&bucket=minute', 'too-many-buckets', 'Choose a coarser bucket'],
      ['groupby=key', 'unknown-parameter', 'Unknown query parameter "groupby"'],
    ]
    for (const [query, code, message] of cases) {
      const response = await o.app.json<{ error: { code: string; message: string } }>('GET', `/api/usage?${query}`, { token: o.adminToken })
      expect([query, response.status, response.body.error.code]).toEqual([query, 400, code])
      expect(response.body.error.message).toContain(message)
    }
  })
})

describe('GET /api/dashboard', () => {
  test("today's totals and the newest requests; a member's own only", async () => {
    const o = await observedApp(NOW)
    recordKnownSet(o)
    const all = await o.app.json<DashboardSummary>('GET', '/api/dashboard', { token: o.adminToken })
    expect(all.status).toBe(200)
    expect(all.body).toMatchObject({ since: '2026-03-01T00:00:00.000Z', requests: 25, errors: 1, promptTokens: 125, cachedTokens: 35, completionTokens: 320 })
    expect(all.body.recent.map((row) => row.startedAt)).toEqual(Array.from({ length: 10 }, (_, i) => `2026-03-01T11:10:${String(20 - i).padStart(2, '0')}.000Z`))
    const mine = await o.app.json<DashboardSummary>('GET', '/api/dashboard?since=2026-03-01T10:15:00Z', { token: o.member.token })
    expect(mine.body).toMatchObject({ requests: 2, errors: 1, medianTimeToFirstTokenMs: 400, medianTokensPerSecond: 20 })
    expect(mine.body.recent.map((row) => [row.userId, row.keyName])).toEqual([
      [o.member.user.id, 'laptop'],
      [o.member.user.id, 'laptop'],
      [o.member.user.id, 'laptop'],
    ])
    expect((await o.app.json('GET', '/api/dashboard?since=2026-02-01T00:00:00Z', { token: o.adminToken })).status).toBe(400)
  })
})
