import { afterEach, describe, expect, test } from 'bun:test'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import type { CreatedApiKey } from '../../shared/keys'
import type { ServerChatMetrics } from '../../shared/chat'
import { eventually, servingApp, type ServingApp } from '../fixtures/engine/harness'
import { observedApp, request } from './usage-helpers'

interface Sample {
  labels?: Record<string, string>
  value?: string
}
interface Family {
  name: string
  type: string
  metrics: Sample[]
}

/**
 * The export as a scraper reads it. The parser folds every series of a histogram into one and drops
 * their labels, so histograms are read a second time declared untyped: then each `_bucket`, `_sum`
 * and `_count` line is a sample of its own, labels and all.
 */
function parse(text: string): Family[] {
  const typed = parsePrometheusTextFormat(text) as Family[]
  const histograms = typed.filter((family) => family.type === 'HISTOGRAM').map((family) => family.name)
  const untyped = parsePrometheusTextFormat(text.replaceAll(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped')) as Family[]
  return [...typed.filter((family) => family.type !== 'HISTOGRAM'), ...untyped.filter((family) => histograms.some((name) => family.name.startsWith(name)))]
}

const matches = (sample: Sample, labels: Record<string, string>) => Object.entries(labels).every(([label, value]) => sample.labels?.[label] === value)

/** The value of one series; 0 when the series is not there yet (a counter or histogram that never moved). */
function valueOf(families: Family[], name: string, labels: Record<string, string>): number {
  const sample = families
    .filter((candidate) => candidate.name === name)
    .flatMap((family) => family.metrics)
    .find((metric) => matches(metric, labels))
  return sample === undefined ? 0 : Number(sample.value)
}

/** One histogram series: its cumulative buckets by upper bound, its count and its sum. */
function histogram(families: Family[], name: string, labels: Record<string, string>) {
  const samples = (suffix: string) => families.filter((family) => family.name === `${name}${suffix}`).flatMap((family) => family.metrics).filter((metric) => matches(metric, labels))
  return {
    buckets: Object.fromEntries(samples('_bucket').map((metric) => [metric.labels?.le ?? '', Number(metric.value)])) as Record<string, number>,
    count: valueOf(families, `${name}_count`, labels),
    sum: valueOf(families, `${name}_sum`, labels),
  }
}

let serving: ServingApp | null = null
afterEach(async () => {
  await serving?.close()
  serving = null
})

describe('/metrics', () => {
  test('parses as Prometheus text: counters per profile and key, histograms with fixed buckets, gauges', async () => {
    const o = await observedApp('2026-03-01T12:00:00.000Z')
    const record = (over: Partial<Parameters<typeof request>[0]>) => o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: '2026-03-01T11:00:00.000Z', ...over }))
    record({ keyId: o.adminKey.id, timeToFirstTokenMs: 80, tokensPerSecond: 45, promptTokens: 10, cachedTokens: 4, completionTokens: 100 })
    record({ keyId: o.adminKey.id, timeToFirstTokenMs: 700, tokensPerSecond: 25, promptTokens: 20, completionTokens: 50 })
    record({ keyId: o.adminKey.id, errorCode: 'engine-error', status: 502, timeToFirstTokenMs: 9000, promptTokens: 5, completionTokens: 0 })
    record({ profileId: o.beta.id, timeToFirstTokenMs: 30, tokensPerSecond: 200, promptTokens: 1, completionTokens: 2 })
    const response = await o.app.call('GET', '/metrics', { token: o.adminToken })
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const families = parse(await response.text())
    for (const name of ['mlx_manager_time_to_first_token_seconds', 'mlx_manager_generation_tokens_per_second']) {
      expect(parsePrometheusTextFormat(await (await o.app.call('GET', '/metrics', { token: o.adminToken })).text()).find((family: Family) => family.name === name)?.type).toBe('HISTOGRAM')
    }
    const alpha = { profile_id: String(o.alpha.id) }
    const alphaKey = { ...alpha, key_id: String(o.adminKey.id) }
    expect(valueOf(families, 'mlx_manager_chat_requests_total', alpha)).toBe(3)
    expect(valueOf(families, 'mlx_manager_chat_errors_total', alpha)).toBe(1)
    expect(valueOf(families, 'mlx_manager_chat_prompt_tokens_total', alpha)).toBe(35)
    expect(valueOf(families, 'mlx_manager_chat_cached_tokens_total', alpha)).toBe(4)
    expect(valueOf(families, 'mlx_manager_chat_completion_tokens_total', alpha)).toBe(150)
    expect(valueOf(families, 'mlx_manager_gateway_requests_total', alphaKey)).toBe(3)
    expect(valueOf(families, 'mlx_manager_gateway_errors_total', alphaKey)).toBe(1)
    expect(valueOf(families, 'mlx_manager_gateway_tokens_total', alphaKey)).toBe(185)
    expect(valueOf(families, 'mlx_manager_chat_requests_total', { profile_id: String(o.beta.id) })).toBe(1)
    // Successful requests only: 80 ms and 700 ms; buckets are cumulative, in seconds.
    expect(histogram(families, 'mlx_manager_time_to_first_token_seconds', alphaKey)).toEqual({
      buckets: { '0.025': 0, '0.05': 0, '0.1': 1, '0.25': 1, '0.5': 1, '1': 2, '2.5': 2, '5': 2, '10': 2, '30': 2, '60': 2, '+Inf': 2 },
      count: 2,
      sum: 0.78,
    })
    // The manager's own chat (no key) is key_id "none".
    expect(histogram(families, 'mlx_manager_generation_tokens_per_second', { profile_id: String(o.beta.id), key_id: 'none' })).toMatchObject({ count: 1, sum: 200 })
    expect(histogram(families, 'mlx_manager_generation_tokens_per_second', { profile_id: String(o.beta.id), key_id: 'none' }).buckets['200']).toBe(1)
    expect(valueOf(families, 'mlx_manager_servers_running', {})).toBe(0)
    expect(valueOf(families, 'mlx_manager_system_memory_bytes', { kind: 'total' })).toBe(32 * 2 ** 30)
    expect(valueOf(families, 'mlx_manager_downloads', { status: 'downloading' })).toBe(0)
  })

  test("an admin's session or API key reads it; a member's is refused; nothing is 401", async () => {
    const o = await observedApp('2026-03-01T12:00:00.000Z')
    expect((await o.app.call('GET', '/metrics', { token: o.adminToken })).status).toBe(200)
    expect((await o.app.call('GET', '/metrics', { token: o.adminKey.key })).status).toBe(200)
    expect((await o.app.call('GET', '/metrics', { headers: { 'x-api-key': o.adminKey.key } })).status).toBe(200)
    const member = await o.app.json<{ error: { code: string } }>('GET', '/metrics', { token: o.memberKey.key })
    expect([member.status, member.body.error.code]).toEqual([403, 'admin-only'])
    expect((await o.app.call('GET', '/metrics', { token: o.member.token })).status).toBe(403)
    expect((await o.app.call('GET', '/metrics', { token: `${o.adminKey.key.slice(0, -4)}AAAA` })).status).toBe(401)
    expect((await o.app.call('GET', '/metrics')).status).toBe(401)
  })

  test('counters move by exactly the gateway requests made', async () => {
    serving = await servingApp({ env: { STANDIN_REPLY: 'one two three four five' } })
    const s = serving
    const profile = await s.profile({ name: 'Fox', model: 'standin/400tps' })
    await s.start(profile.id)
    const key = (await s.app.json<CreatedApiKey>('POST', '/api/keys', { token: s.token, body: { name: 'scraper' } })).body
    const scrape = async () => parse(await (await s.app.call('GET', '/metrics', { token: key.key })).text())
    const labels = { profile_id: String(profile.id), key_id: String(key.id) }
    const before = await scrape()
    // Streamed, as most clients ask: the proxy measures time to first token and generation speed.
    for (let i = 0; i < 3; i++) {
      const answer = await s.app.call('POST', '/v1/chat/completions', {
        token: key.key,
        body: { model: 'Fox', stream: true, messages: [{ role: 'user', content: 'Hello' }] },
      })
      expect(answer.status).toBe(200)
      expect(await answer.text()).toContain('[DONE]')
    }
    const made = s.app.metrics.records().filter((record) => record.keyId === key.id)
    expect(made).toHaveLength(3)
    expect(made.every((record) => record.tokensPerSecond !== null && record.timeToFirstTokenMs !== null)).toBe(true)
    const completionTokens = made.reduce((sum, record) => sum + record.completionTokens, 0)
    expect(completionTokens).toBeGreaterThan(0)
    const after = await scrape()
    const moved = (name: string, only: Record<string, string> = labels) => valueOf(after, name, only) - valueOf(before, name, only)
    expect(moved('mlx_manager_gateway_requests_total')).toBe(3)
    expect(moved('mlx_manager_gateway_errors_total')).toBe(0)
    expect(moved('mlx_manager_chat_requests_total', { profile_id: String(profile.id) })).toBe(3)
    expect(moved('mlx_manager_chat_completion_tokens_total', { profile_id: String(profile.id) })).toBe(completionTokens)
    expect(moved('mlx_manager_time_to_first_token_seconds_count')).toBe(3)
    expect(moved('mlx_manager_generation_tokens_per_second_count')).toBe(3)
    expect(histogram(after, 'mlx_manager_time_to_first_token_seconds', labels).buckets['+Inf']).toBe(3)
    expect(valueOf(after, 'mlx_manager_servers_running', {})).toBe(1)
    expect(valueOf(after, 'mlx_manager_server_memory_bytes', { profile_id: String(profile.id) })).toBeGreaterThanOrEqual(0)
  })
})

describe('recording off the request path', () => {
  test('a request is counted at once and written within the flush interval, in one batch', async () => {
    const o = await observedApp('2026-03-01T12:00:00.000Z')
    const stored = () => o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM chat_requests').get()?.n
    for (let i = 0; i < 3; i++) o.app.metrics.record(request({ profileId: o.alpha.id, keyId: o.adminKey.id, startedAt: '2026-03-01T11:00:00.000Z', promptTokens: 5, completionTokens: 6 }))
    expect(stored()).toBe(0)
    // The servers' figures and a key's tokens today (its daily limit) already count them.
    const figures = await o.app.json<ServerChatMetrics[]>('GET', '/api/metrics/servers', { token: o.adminToken })
    expect(figures.body.find((row) => row.profileId === o.alpha.id)?.requests).toBe(3)
    expect(o.app.metrics.keyTokensSince(o.adminKey.id, '2026-03-01T00:00:00.000Z')).toBe(33)
    await eventually(() => stored() === 3, 2_000)
    expect(o.app.metrics.keyTokensSince(o.adminKey.id, '2026-03-01T00:00:00.000Z')).toBe(33)
  })

  test('a full batch (500) is written at once', async () => {
    const o = await observedApp('2026-03-01T12:00:00.000Z')
    for (let i = 0; i < 500; i++) o.app.metrics.record(request({ profileId: o.alpha.id, startedAt: '2026-03-01T11:00:00.000Z' }))
    expect(o.app.db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM chat_requests').get()?.n).toBe(500)
  })
})
