import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { NO_PROFILE, NO_PROFILE_LABEL } from '../../shared/observability'
import { useAuthStore } from '../../web/src/features/auth/store'
import { NO_FILTERS, addressOf, exportUrl, filtersFromAddress, parseStatus, requestQuery } from '../../web/src/features/requests/query'
import RequestsView from '../../web/src/features/requests/RequestsView.vue'
import { useRequestsStore } from '../../web/src/features/requests/store'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { failure, fakeServer, json, makeUser } from './helpers'
import { makeRequestRow, makeUsageRow, queriesTo, queryOf } from './observability-data'
import { routerStub } from './servers-router'

describe('request log queries', () => {
  it('sends only the filters chosen, and exports the same window as a file', () => {
    const now = Date.UTC(2026, 0, 2, 12)
    expect(requestQuery({ range: '1h', profileId: 2, keyId: null, userId: 5, status: 'error' }, now)).toEqual({
      from: '2026-01-02T11:00:00.000Z',
      to: '2026-01-02T12:00:00.000Z',
      profileId: '2',
      userId: '5',
      status: 'error',
    })
    expect(exportUrl({ range: '24h', profileId: null, keyId: 3, userId: null, status: 429 }, 'csv', now)).toBe(
      '/api/requests?from=2026-01-01T12%3A00%3A00.000Z&to=2026-01-02T12%3A00%3A00.000Z&keyId=3&status=429&format=csv',
    )
    expect([parseStatus('ok'), parseStatus('429'), parseStatus('any'), parseStatus('42')]).toEqual(['ok', 429, null, null])
  })

  it('reads filters from the page address and writes back only those chosen', () => {
    expect(filtersFromAddress({})).toBeNull()
    expect(filtersFromAddress({ tab: 'x' })).toBeNull()
    expect(filtersFromAddress({ profileId: '0', userId: '5', status: '503', range: '30d' })).toEqual({ range: '30d', profileId: 0, keyId: null, userId: 5, status: 503 })
    // Unreadable values are no filter: a bad range is the default one, an id must be whole digits.
    expect(filtersFromAddress({ range: '2y', keyId: '-3', userId: ['5'], status: 'maybe' })).toEqual(NO_FILTERS)
    expect(addressOf(NO_FILTERS)).toEqual({})
    expect(addressOf({ range: '1h', profileId: 0, keyId: 3, userId: 5, status: 'error' })).toEqual({ range: '1h', profileId: '0', keyId: '3', userId: '5', status: 'error' })
    const chosen = { range: '7d', profileId: 2, keyId: null, userId: null, status: 429 } as const
    expect(filtersFromAddress(addressOf(chosen))).toEqual(chosen)
  })
})

function logServer() {
  const first = [makeRequestRow({ id: 30, keyName: 'laptop', keyId: 3, endpoint: 'chat/completions', userEmail: 'dev@example.com' }), makeRequestRow({ id: 29 })]
  const older = [makeRequestRow({ id: 28, status: 429, errorCode: 'token-limit', errorMessage: 'The key used its tokens for today.' })]
  const server = fakeServer({
    'GET /api/requests': (call) => {
      const query = queryOf(server, call)
      if (query?.get('status') === 'error') return json({ rows: older, nextCursor: null })
      return json(query?.get('cursor') === 'c1' ? { rows: older, nextCursor: null } : { rows: first, nextCursor: 'c1' })
    },
    'GET /api/usage': (call) => {
      const groupBy = queryOf(server, call).get('groupBy')
      const rows =
        groupBy === 'key'
          ? [makeUsageRow({ groupId: 3, label: 'laptop' }), makeUsageRow({ groupId: null, label: null })]
          : groupBy === 'user'
            ? [makeUsageRow({ groupId: 5, label: 'dev@example.com' })]
            : [makeUsageRow({ groupId: 1, label: 'Qwen3 4B' })]
      return json({ from: '', to: '', bucket: 'day', groupBy, rows })
    },
  })
  return server
}

const shownIds = () => [...requireTestId('requests-table').querySelectorAll('tbody tr')].map((row) => row.getAttribute('data-testid'))

describe('the request log page', () => {
  it('lists the newest requests and loads older ones with the cursor until there are no more', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = logServer()
    mountInApp(RequestsView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-30', 'request-29']))
    expect(requireTestId('request-30').textContent).toContain('laptop · dev@example.com')
    expect(requireTestId('request-30').textContent).toContain('/v1/chat/completions')
    expect(queriesTo(server.fetch, '/api/requests')[0]?.has('cursor')).toBe(false)

    await click('requests-more')
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-30', 'request-29', 'request-28']))
    expect(queriesTo(server.fetch, '/api/requests').at(-1)?.get('cursor')).toBe('c1')
    expect(requireTestId('request-28').textContent).toContain('429 token-limit')
    expect(byTestId('requests-more')).toBeNull()
  })

  it('offers no Load more while a newly filtered first page loads (its cursor belongs to the old filters)', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    logServer()
    mountInApp(RequestsView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-30', 'request-29']))
    const more = () => requireTestId('requests-more').closest('button') ?? requireTestId('requests-more')
    expect(more().hasAttribute('disabled')).toBe(false)
    useRequestsStore().loading = true
    await flushPromises()
    expect(more().hasAttribute('disabled')).toBe(true)
  })

  it('filters start over from the newest page and the exports follow them', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = logServer()
    mountInApp(RequestsView, { plugins: [routerStub()] })
    // The filters offer who and what made requests lately, by name.
    const store = useRequestsStore()
    await vi.waitFor(() => expect(store.choices.key).toEqual([{ label: 'laptop', value: 3 }]))
    expect(store.choices.user).toEqual([{ label: 'dev@example.com', value: 5 }])

    requireTestId('requests-range-1h').querySelector('input')?.click()
    await store.filter({ status: 'error', keyId: 3 })
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-28']))
    const asked = queriesTo(server.fetch, '/api/requests').at(-1)
    expect(asked?.get('status')).toBe('error')
    expect(asked?.get('keyId')).toBe('3')
    expect(Date.parse(asked?.get('to') ?? '') - Date.parse(asked?.get('from') ?? '')).toBe(3_600_000)
    expect(asked?.has('cursor')).toBe(false)

    const csv = new URL(requireTestId('requests-export-csv').getAttribute('href') ?? '', 'http://x.test')
    expect(csv.pathname).toBe('/api/requests')
    expect(csv.searchParams.get('format')).toBe('csv')
    expect(csv.searchParams.get('status')).toBe('error')
    expect(csv.searchParams.get('keyId')).toBe('3')
    expect(csv.searchParams.get('from')).toBe(asked?.get('from'))
    expect(requireTestId('requests-export-json').getAttribute('href')).toContain('format=json')
  })

  it('a request that named no model the key may use shows the name it asked for, and the profile filter finds such requests', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = logServer()
    const unrouted = makeRequestRow({ id: 31, profileId: NO_PROFILE, profileName: null, model: 'gpt-4o', status: 404, errorCode: 'model-not-found', keyId: 3, keyName: 'laptop', endpoint: 'chat/completions' })
    server.on('GET /api/requests', () => json({ rows: [unrouted], nextCursor: null }))
    server.on('GET /api/usage', (call) => {
      const groupBy = queryOf(server, call).get('groupBy')
      return json({ from: '', to: '', bucket: 'day', groupBy, rows: groupBy === 'profile' ? [makeUsageRow({ groupId: NO_PROFILE, label: NO_PROFILE_LABEL })] : [] })
    })
    mountInApp(RequestsView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-31']))
    expect(requireTestId('request-31').textContent).toContain('gpt-4o (no profile)')
    expect(requireTestId('request-31').textContent).not.toContain('profile deleted')
    const store = useRequestsStore()
    await vi.waitFor(() => expect(store.choices.profile).toEqual([{ label: NO_PROFILE_LABEL, value: NO_PROFILE }]))
    await store.filter({ profileId: NO_PROFILE })
    expect(queriesTo(server.fetch, '/api/requests').at(-1)?.get('profileId')).toBe('0')
  })

  it('opens narrowed by the filters in its address, and keeps the address in step as they change', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = logServer()
    const router = routerStub()
    await router.push('/requests?keyId=3&status=error&range=7d&userId=x')
    mountInApp(RequestsView, { plugins: [router] })
    await vi.waitFor(() => expect(shownIds()).toEqual(['request-28']))
    const asked = queriesTo(server.fetch, '/api/requests')[0]
    expect(asked?.get('keyId')).toBe('3')
    expect(asked?.get('status')).toBe('error')
    // An id that cannot be read is no filter, not an error.
    expect(asked?.has('userId')).toBe(false)
    expect(Date.parse(asked?.get('to') ?? '') - Date.parse(asked?.get('from') ?? '')).toBe(7 * 86_400_000)
    await useRequestsStore().filter({ status: null, profileId: 1 })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/requests?range=7d&profileId=1&keyId=3'))
  })

  it('members filter only by profile, key and status, and an error from the manager is shown', async () => {
    useAuthStore().user = makeUser()
    const server = logServer()
    server.on('GET /api/requests', () => failure(400, 'invalid-query', 'from must be an ISO 8601 time.'))
    mountInApp(RequestsView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(requireTestId('requests-error').textContent).toContain('from must be an ISO 8601 time.'))
    expect(byTestId('requests-user')).toBeNull()
    expect(byTestId('requests-profile')).not.toBeNull()
    await vi.waitFor(() => expect(queriesTo(server.fetch, '/api/usage').map((query) => query.get('groupBy')).sort()).toEqual(['key', 'profile']))
  })
})
