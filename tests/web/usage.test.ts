import { describe, expect, it, vi } from 'vitest'
import type { UsageGroupBy } from '../../shared/observability'
import { useAuthStore } from '../../web/src/features/auth/store'
import { rangeWindow } from '../../web/src/features/usage/ranges'
import { groupTotals } from '../../web/src/features/usage/series'
import UsageView from '../../web/src/features/usage/UsageView.vue'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeUser } from './helpers'
import { drawn, makeUsageRow, queriesTo, queryOf } from './observability-data'
import { routerStub } from './servers-router'

vi.mock('uplot', async () => (await import('./observability-data')).fakeUplot)

const HOUR = 3_600_000

function usageServer() {
  const hour = Math.floor(Date.now() / HOUR) * HOUR
  const at = (ms: number) => new Date(ms).toISOString()
  const byKey = [
    makeUsageRow({ bucketStart: at(hour - HOUR), groupId: null, label: null, requests: 2, promptTokens: 20, completionTokens: 40 }),
    makeUsageRow({ bucketStart: at(hour - HOUR), groupId: 3, label: 'laptop', requests: 4, errors: 1, promptTokens: 100, cachedTokens: 64, completionTokens: 400 }),
    makeUsageRow({ bucketStart: at(hour), groupId: 3, label: 'laptop', requests: 6, promptTokens: 150, cachedTokens: 0, completionTokens: 600 }),
    makeUsageRow({ bucketStart: at(hour), groupId: 9, label: null, requests: 1, promptTokens: 5, completionTokens: 7 }),
  ]
  const byUser = [makeUsageRow({ bucketStart: at(hour), groupId: 1, label: 'admin@example.com', requests: 13 })]
  const server = fakeServer({
    'GET /api/usage': (call) => {
      const groupBy = (queryOf(server, call).get('groupBy') ?? 'profile') as UsageGroupBy
      return json({ ...rangeWindow('24h', Date.now()), groupBy, rows: groupBy === 'user' ? byUser : groupBy === 'key' ? byKey : [] })
    },
  })
  return server
}

const cells = (row: HTMLElement) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent?.replace(/\s+/g, ' ').trim())

describe('usage totals', () => {
  it('adds up each group over the range, the busiest first, naming the manager’s own chat and deleted keys', () => {
    const totals = groupTotals(
      [
        makeUsageRow({ groupId: 3, label: 'laptop', requests: 4 }),
        makeUsageRow({ groupId: null, label: null, requests: 2 }),
        makeUsageRow({ groupId: 3, label: 'laptop (renamed)', requests: 6 }),
        makeUsageRow({ groupId: 9, label: null, requests: 2 }),
      ],
      'Chat (no key)',
    )
    expect(totals.map((total) => [total.label, total.requests])).toEqual([
      ['laptop (renamed)', 10],
      ['#9 (deleted)', 2],
      ['Chat (no key)', 2],
    ])
  })
})

describe('the usage page', () => {
  it('by key: a table with each key’s requests, errors and tokens and a line per key; then by user', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = usageServer()
    mountInApp(UsageView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(byTestId('usage-empty')).not.toBeNull())
    drawn.length = 0

    requireTestId('usage-group-key').querySelector('input')?.click()
    await vi.waitFor(() => expect(cells(requireTestId('usage-row-3'))).toEqual(['laptop', '10', '1 (10.0%)', '250', '64', '1,000']))
    expect(queriesTo(server.fetch, '/api/usage').at(-1)?.get('groupBy')).toBe('key')
    expect(cells(requireTestId('usage-row-none'))[0]).toBe('Chat (no key)')
    expect(cells(requireTestId('usage-row-9'))[0]).toBe('#9 (deleted)')
    expect(requireTestId('usage-summary').textContent).toContain('13 requests')
    await vi.waitFor(() => expect(drawn.at(-1)?.labels).toEqual(['laptop', 'Chat (no key)', '#9 (deleted)']))
    // The laptop key's requests per hour end with this hour's 6.
    expect(drawn.at(-1)?.data[1]?.slice(-2)).toEqual([4, 6])

    requireTestId('usage-range-7d').querySelector('input')?.click()
    const asked = () => queriesTo(server.fetch, '/api/usage').at(-1)
    await vi.waitFor(() => expect(Date.parse(asked()?.get('to') ?? '') - Date.parse(asked()?.get('from') ?? '')).toBe(7 * 24 * HOUR))
    expect(asked()?.get('bucket')).toBe('hour')

    requireTestId('usage-group-user').querySelector('input')?.click()
    await vi.waitFor(() => expect(cells(requireTestId('usage-row-1'))[0]).toBe('admin@example.com'))
    expect(byTestId('usage-row-3')).toBeNull()
  })

  it('tells members the figures are their own', async () => {
    useAuthStore().user = makeUser()
    usageServer()
    mountInApp(UsageView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(requireTestId('usage-summary').textContent).toContain('Your requests'))
  })
})
