import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RequestLogPage, RequestLogRow, UsageGroupBy, UsageResponse, UsageRow } from '../../../shared/observability'
import { useRequestsStore } from '../../../web/src/features/requests/store'
import { handAnsweredFetch, type HeldRequest } from '../hand-answered-fetch'
import { failure, json } from '../helpers'

const NOW = Date.parse('2026-03-10T12:00:00.000Z')
const DAY = '2026-03-09T12:00:00.000Z'

function row(id: number): RequestLogRow {
  return {
    id,
    profileId: 1,
    profileName: 'Fox',
    model: 'mlx-community/Qwen3-4B-4bit',
    startedAt: '2026-03-10T11:00:00.000Z',
    userId: 1,
    userEmail: 'me@example.com',
    keyId: null,
    keyName: null,
    endpoint: 'chat',
    status: 200,
    timeToFirstTokenMs: 100,
    promptTokens: 10,
    cachedTokens: 0,
    completionTokens: 20,
    tokensPerSecond: 40,
    totalMs: 600,
    errorCode: null,
    errorMessage: null,
  }
}

const page = (ids: number[], nextCursor: string | null): RequestLogPage => ({ rows: ids.map(row), nextCursor })
const ids = (rows: readonly RequestLogRow[]) => rows.map((item) => item.id)

let manager: ReturnType<typeof handAnsweredFetch>

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(NOW)
  manager = handAnsweredFetch()
})

afterEach(() => {
  vi.useRealTimers()
})

/** The oldest unanswered request to a path, once sent. */
const next = (path = '/api/requests') => manager.waiting(path)

/** The newest request to the log, once the count-th one (from 1) has been sent. */
function sent(count: number): Promise<HeldRequest> {
  return vi.waitFor(() => {
    const all = manager.to('/api/requests')
    const found = all[count - 1]
    if (found === undefined) throw new Error(`Only ${all.length} of ${count} log requests were sent.`)
    return found
  })
}

/** Sends a first page and answers it. */
async function firstPage(store: ReturnType<typeof useRequestsStore>, answer: RequestLogPage = page([3, 2], 'c1')) {
  const done = store.load()
  await (await next()).answer(json(answer))
  await done
}

describe('request log store', () => {
  it('asks for the newest page of the last 24 hours and says it is loading until it comes', async () => {
    const store = useRequestsStore()
    expect([store.rows, store.loaded, store.loading, store.loadingMore, store.error, store.nextCursor]).toEqual([[], false, false, false, null, null])
    const done = store.load()
    const held = await next()
    expect(held.query).toEqual({ from: DAY, to: '2026-03-10T12:00:00.000Z' })
    expect(store.loading).toBe(true)
    await held.answer(json(page([3, 2], 'c1')))
    await done
    expect(store.loading).toBe(false)
    expect(store.loaded).toBe(true)
    expect(ids(store.rows)).toEqual([3, 2])
    expect(store.nextCursor).toBe('c1')
  })

  it('loads older pages with the cursor over the same window, until there are no more', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    vi.setSystemTime(NOW + 60_000)
    const more = store.loadMore()
    const held = await next()
    expect(held.query).toEqual({ from: DAY, to: '2026-03-10T12:00:00.000Z', cursor: 'c1' })
    expect(store.loadingMore).toBe(true)
    expect(store.loading).toBe(false)
    await held.answer(json(page([1], null)))
    await more
    expect(store.loadingMore).toBe(false)
    expect(ids(store.rows)).toEqual([3, 2, 1])
    expect(store.nextCursor).toBeNull()
    expect(store.windowEnd()).toBe(NOW)
    await store.loadMore()
    expect(manager.to('/api/requests')).toHaveLength(2)
  })

  it('asks for one older page at a time', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    const more = store.loadMore()
    const held = await next()
    await store.loadMore()
    expect(manager.to('/api/requests')).toHaveLength(2)
    await held.answer(json(page([1], 'c2')))
    await more
    expect(ids(store.rows)).toEqual([3, 2, 1])
    expect(store.nextCursor).toBe('c2')
  })

  it('asks for no older page of the previous filters while the newly filtered first page loads', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    const filtering = store.filter({ status: 'error' })
    const held = await next()
    await store.loadMore()
    expect(manager.to('/api/requests')).toHaveLength(2)
    expect(store.loadingMore).toBe(false)
    await held.answer(json(page([9], 'c9')))
    await filtering
    expect(ids(store.rows)).toEqual([9])
    const more = store.loadMore()
    const older = await next()
    expect(older.query).toMatchObject({ status: 'error', cursor: 'c9' })
    await older.answer(json(page([8], null)))
    await more
    expect(ids(store.rows)).toEqual([9, 8])
  })

  it('a filter starts over from the newest page, at the time it was chosen', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    vi.setSystemTime(NOW + 60_000)
    const filtering = store.filter({ profileId: 4, status: 'error' })
    const held = await next()
    expect(held.query).toEqual({ from: '2026-03-09T12:01:00.000Z', to: '2026-03-10T12:01:00.000Z', profileId: '4', status: 'error' })
    await held.answer(json(page([9], null)))
    await filtering
    expect(store.filters).toEqual({ range: '24h', profileId: 4, keyId: null, userId: null, status: 'error' })
    expect(ids(store.rows)).toEqual([9])
    expect(store.nextCursor).toBeNull()
    expect(store.windowEnd()).toBe(NOW + 60_000)
    const narrower = store.filter({ keyId: 2 })
    const narrowed = await next()
    expect(narrowed.query).toMatchObject({ profileId: '4', keyId: '2', status: 'error' })
    await narrowed.answer(json(page([], null)))
    await narrower
    expect(store.rows).toEqual([])
  })

  it('says why a page could not be loaded, keeps the rows shown, and clears the error with the next page', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    const failing = store.load()
    await (await next()).answer(failure(500, 'internal', 'The log could not be read.'))
    await failing
    expect(store.error).toBe('The log could not be read.')
    expect(store.loading).toBe(false)
    expect(ids(store.rows)).toEqual([3, 2])
    const more = store.loadMore()
    await (await next()).answer(json(page([1], null)))
    await more
    expect(store.error).toBeNull()
    expect(ids(store.rows)).toEqual([3, 2, 1])
  })

  it('says why an older page could not be loaded, lets it be asked again, and clears the error once the log loads', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    const failing = store.loadMore()
    await (await next()).answer(failure(500, 'internal', 'The log could not be read.'))
    await failing
    expect(store.error).toBe('The log could not be read.')
    expect(store.loadingMore).toBe(false)
    expect(store.nextCursor).toBe('c1')
    await firstPage(store, page([4, 3], 'c1'))
    expect(store.error).toBeNull()
    expect(ids(store.rows)).toEqual([4, 3])
  })

  it('shows only the newest filter’s page when an older answer comes last, and keeps loading until it comes', async () => {
    const store = useRequestsStore()
    const unfiltered = store.load()
    const older = await sent(1)
    const filtered = store.filter({ status: 429 })
    const newer = await sent(2)
    await older.answer(json(page([3, 2], 'c1')))
    await unfiltered
    expect(store.loading).toBe(true)
    expect(store.loaded).toBe(false)
    await newer.answer(json(page([7], null)))
    await filtered
    expect(store.loading).toBe(false)
    expect(ids(store.rows)).toEqual([7])
  })

  it('an older failure after a newer page says nothing, and an older page after a newer failure does not hide it', async () => {
    const store = useRequestsStore()
    const first = store.load()
    const older = await sent(1)
    const second = store.load()
    const newer = await sent(2)
    await newer.answer(json(page([7], null)))
    await second
    await older.answer(failure(500, 'internal', 'The log could not be read.'))
    await first
    expect(store.error).toBeNull()
    expect(ids(store.rows)).toEqual([7])

    const third = store.load()
    const olderAgain = await sent(3)
    const fourth = store.load()
    const newerAgain = await sent(4)
    await newerAgain.answer(failure(500, 'internal', 'The log could not be read.'))
    await fourth
    await olderAgain.answer(json(page([8], null)))
    await third
    expect(store.error).toBe('The log could not be read.')
    expect(ids(store.rows)).toEqual([7])
  })

  it('drops an older page that arrives after the filters changed, and its failure too', async () => {
    const store = useRequestsStore()
    await firstPage(store)
    const more = store.loadMore()
    const olderPage = await sent(2)
    const filtered = store.filter({ userId: 5 })
    const filteredPage = await sent(3)
    await filteredPage.answer(json(page([9], 'c9')))
    await filtered
    await olderPage.answer(json(page([1], null)))
    await more
    expect(ids(store.rows)).toEqual([9])
    expect(store.nextCursor).toBe('c9')
    expect(store.loadingMore).toBe(false)

    const moreAgain = store.loadMore()
    const failingPage = await sent(4)
    const refreshed = store.load()
    await (await sent(5)).answer(json(page([10, 9], 'c10')))
    await refreshed
    await failingPage.answer(failure(500, 'internal', 'The log could not be read.'))
    await moreAgain
    expect(store.error).toBeNull()
    expect(ids(store.rows)).toEqual([10, 9])
  })
})

function usageRow(groupId: number | null, label: string | null, requests: number): UsageRow {
  return {
    bucketStart: '2026-03-01T00:00:00.000Z',
    groupId,
    label,
    requests,
    errors: 0,
    promptTokens: 0,
    cachedTokens: 0,
    completionTokens: 0,
    medianTimeToFirstTokenMs: null,
    p95TimeToFirstTokenMs: null,
    medianTokensPerSecond: null,
    approximate: false,
  }
}

const usage = (groupBy: UsageGroupBy, rows: UsageRow[]): UsageResponse => ({ from: '', to: '', bucket: 'day', groupBy, rows })

/** The usage requests sent so far, once there are this many. */
function usageRequests(count: number): Promise<HeldRequest[]> {
  return vi.waitFor(() => {
    const sent = manager.to('/api/usage')
    if (sent.length < count) throw new Error(`Only ${sent.length} of ${count} usage requests were sent.`)
    return sent
  })
}

describe('request log filter choices', () => {
  it('offers the profiles and keys that made requests in the last 30 days, by name rather than by use, without the manager’s own chat', async () => {
    const store = useRequestsStore()
    expect(store.choices).toEqual({ profile: [], key: [], user: [] })
    const loading = store.loadChoices(['profile', 'key'])
    const [profiles, keys] = await usageRequests(2)
    expect(profiles?.query).toEqual({ from: '2026-02-08T12:00:00.000Z', to: '2026-03-10T12:00:00.000Z', bucket: 'day', groupBy: 'profile' })
    expect(keys?.query).toMatchObject({ bucket: 'day', groupBy: 'key' })
    await profiles?.answer(json(usage('profile', [usageRow(2, 'owl', 9), usageRow(1, 'Fox', 1), usageRow(2, 'owl', 1)])))
    await keys?.answer(json(usage('key', [usageRow(null, null, 30), usageRow(6, null, 3), usageRow(5, 'ci', 2)])))
    await loading
    expect(store.choices).toEqual({
      profile: [
        { label: 'Fox', value: 1 },
        { label: 'owl', value: 2 },
      ],
      key: [
        { label: '#6 (deleted)', value: 6 },
        { label: 'ci', value: 5 },
      ],
      user: [],
    })
  })

  it('keeps the choices it has when the manager cannot answer, and fills in a group asked for later', async () => {
    const store = useRequestsStore()
    const first = store.loadChoices(['profile'])
    await (await next('/api/usage')).answer(json(usage('profile', [usageRow(1, 'Fox', 1)])))
    await first
    const failing = store.loadChoices(['user'])
    await (await next('/api/usage')).answer(failure(500, 'internal', 'The usage could not be read.'))
    await expect(failing).resolves.toBeUndefined()
    expect(store.choices).toEqual({ profile: [{ label: 'Fox', value: 1 }], key: [], user: [] })
    const users = store.loadChoices(['user'])
    await (await next('/api/usage')).answer(json(usage('user', [usageRow(3, 'me@example.com', 1)])))
    await users
    expect(store.choices).toEqual({ profile: [{ label: 'Fox', value: 1 }], key: [], user: [{ label: 'me@example.com', value: 3 }] })
  })
})
