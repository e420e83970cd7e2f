import type { DashboardSummary, RequestLogRow, UsageRow } from '../../shared/observability'

/** A request as the manager's log lists it: a successful chat unless the test says otherwise. */
export function makeRequestRow(overrides: Partial<RequestLogRow> = {}): RequestLogRow {
  return {
    id: 1,
    startedAt: '2026-01-01T10:00:00.000Z',
    profileId: 1,
    profileName: 'Qwen3 4B',
    model: 'mlx-community/Qwen3-4B-4bit',
    userId: 1,
    userEmail: 'admin@example.com',
    keyId: null,
    keyName: null,
    endpoint: 'chat',
    status: 200,
    timeToFirstTokenMs: 120,
    promptTokens: 30,
    cachedTokens: 0,
    completionTokens: 64,
    tokensPerSecond: 42.5,
    totalMs: 1650,
    errorCode: null,
    errorMessage: null,
    ...overrides,
  }
}

/** One bucket of one group in a usage answer. */
export function makeUsageRow(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    bucketStart: '2026-01-01T10:00:00.000Z',
    groupId: 1,
    label: 'Qwen3 4B',
    requests: 1,
    errors: 0,
    promptTokens: 30,
    cachedTokens: 0,
    completionTokens: 64,
    medianTimeToFirstTokenMs: 120,
    p95TimeToFirstTokenMs: 120,
    medianTokensPerSecond: 42.5,
    approximate: false,
    ...overrides,
  }
}

export function makeSummary(overrides: Partial<DashboardSummary> = {}): DashboardSummary {
  return {
    since: '2026-01-01T00:00:00.000Z',
    requests: 0,
    errors: 0,
    promptTokens: 0,
    cachedTokens: 0,
    completionTokens: 0,
    medianTimeToFirstTokenMs: null,
    medianTokensPerSecond: null,
    recent: [],
    ...overrides,
  }
}

/** The query strings fetch was called with for one path, newest last. */
export function queriesTo(fetch: { mock: { calls: unknown[][] } }, path: string): URLSearchParams[] {
  return fetch.mock.calls
    .map(([input]) => new URL(input instanceof Request ? input.url : String(input)))
    .filter((url) => url.pathname === path)
    .map((url) => url.searchParams)
}

/** Charts drawn with the stand-in below, newest last: their series labels and data. */
export const drawn: { labels: string[]; data: unknown[][] }[] = []

class FakePlot {
  static paths = { bars: () => () => null }
  width = 400
  constructor(options: { series: { label?: string }[] }, data: unknown[][]) {
    drawn.push({ labels: options.series.slice(1).map((series) => series.label ?? ''), data })
  }
  setSize(): void {}
  destroy(): void {}
}

/** Stands in for uPlot (happy-dom has no canvas): `vi.mock('uplot', async () => (await import('./observability-data')).fakeUplot)`. */
export const fakeUplot = { default: FakePlot }

/** The query string of one call a fake server answers (its calls and fetch's calls are in the same order). */
export function queryOf(server: { calls: unknown[]; fetch: { mock: { calls: unknown[][] } } }, call: unknown): URLSearchParams {
  const input = server.fetch.mock.calls[server.calls.indexOf(call)]?.[0]
  return new URL(input instanceof Request ? input.url : String(input)).searchParams
}
