import { describe, expect, test } from 'bun:test'
import { VerifiedTokens } from '../../server/features/auth/verified-tokens'
import { summarise } from '../../server/features/metrics/service'
import { RunningSummary } from '../../server/features/metrics/running'
import type { ChatRequestRecord } from '../../server/features/metrics/repository'
import { createTestApp, ADMIN } from './helpers'

describe('verified session tokens', () => {
  test('a token is remembered until its expiry, and the oldest goes first when full', () => {
    let now = 1_000_000
    const tokens = new VerifiedTokens(2, () => now)
    tokens.remember('a', 'session-a', 1_100) // expires at 1 100 000 ms
    tokens.remember('no-exp', 'session-x', undefined)
    expect(tokens.sessionId('a')).toBe('session-a')
    expect(tokens.sessionId('no-exp')).toBeUndefined()
    now = 1_100_000
    expect(tokens.sessionId('a')).toBeUndefined()
    tokens.remember('b', 'session-b', 2_000)
    tokens.remember('c', 'session-c', 2_000)
    tokens.remember('d', 'session-d', 2_000)
    expect([tokens.sessionId('b'), tokens.sessionId('c'), tokens.sessionId('d')]).toEqual([undefined, 'session-c', 'session-d'])
  })

  test('a remembered token stops working at once on logout', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const auth = { token: token ?? '' }
    expect((await app.call('GET', '/api/auth/me', auth)).status).toBe(200)
    expect((await app.call('POST', '/api/auth/logout', auth)).status).toBeLessThan(300)
    expect((await app.call('GET', '/api/auth/me', auth)).status).toBe(401)
    // A tampered token was never verified, so it is not remembered either.
    expect((await app.call('GET', '/api/auth/me', { token: `${token ?? ''}x` })).status).toBe(401)
  })
})

describe('running chat summaries', () => {
  test('updating request by request gives what folding them all at once gives', () => {
    const records: ChatRequestRecord[] = Array.from({ length: 101 }, (_, i) => ({
      profileId: 7,
      model: 'm',
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      userId: 1 + (i % 2),
      keyId: i % 3 === 0 ? null : 100 + (i % 4),
      endpoint: i % 3 === 0 ? ('chat' as const) : ('chat/completions' as const),
      status: 200,
      cachedTokens: null,
      timeToFirstTokenMs: i % 5 === 0 ? null : (i * 37) % 101,
      promptTokens: i % 3 === 0 ? null : i,
      completionTokens: i * 2,
      tokensPerSecond: (i * 53) % 97,
      totalMs: 100,
      errorCode: i % 11 === 0 ? 'engine-error' : null,
      errorMessage: null,
    }))
    const running = new RunningSummary(7)
    for (const [i, record] of records.entries()) {
      running.add(record)
      expect(running.metrics()).toEqual(naive(7, records.slice(0, i + 1)))
    }
    expect(summarise(7, records)).toEqual(naive(7, records))
  })
})

/** The summary written the obvious way, to check the incremental one against. */
function naive(profileId: number, records: ChatRequestRecord[]) {
  const ok = records.filter((r) => r.errorCode === null)
  const median = (values: number[]) => {
    if (values.length === 0) return null
    const sorted = [...values].sort((a, b) => a - b)
    const middle = Math.floor(sorted.length / 2)
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  }
  return {
    profileId,
    requests: records.length,
    errors: records.length - ok.length,
    promptTokens: records.reduce((sum, r) => sum + (r.promptTokens ?? 0), 0),
    completionTokens: records.reduce((sum, r) => sum + r.completionTokens, 0),
    medianTokensPerSecond: median(ok.flatMap((r) => (r.tokensPerSecond === null ? [] : [r.tokensPerSecond]))),
    medianTimeToFirstTokenMs: median(ok.flatMap((r) => (r.timeToFirstTokenMs === null ? [] : [r.timeToFirstTokenMs]))),
    lastRequestAt: records.at(-1)?.startedAt ?? null,
    byKey: [...new Set(records.flatMap((r) => (r.keyId === null ? [] : [r.keyId])))].map((keyId) => {
      const keyed = records.filter((r) => r.keyId === keyId)
      return {
        keyId,
        userId: keyed[0]?.userId ?? null,
        requests: keyed.length,
        errors: keyed.filter((r) => r.errorCode !== null).length,
        promptTokens: keyed.reduce((sum, r) => sum + (r.promptTokens ?? 0), 0),
        completionTokens: keyed.reduce((sum, r) => sum + r.completionTokens, 0),
        lastRequestAt: keyed.at(-1)?.startedAt ?? '',
      }
    }),
  }
}
