import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { CatalogPage } from '../../shared/catalog'
import { db } from '../../web/src/db/database'
import { saveDetails, savePage } from '../../web/src/features/catalog/repository'
import { useCatalogStore } from '../../web/src/features/catalog/store'
import type { CatalogQuery } from '../../web/src/features/catalog/query'
import { page1, page2, qwen3Details, system, trending } from './catalog-data'
import { handAnsweredFetch } from './hand-answered-fetch'
import { failure, fakeServer, json } from './helpers'

const SEARCH = '/api/catalog/search'
const lastPage = (page: CatalogPage): CatalogPage => ({ ...page, nextCursor: null })
const ids = (models: readonly { id: string }[]) => models.map((model) => model.id)

/** The trending position this device saved for each model it keeps, once all of `expected` are saved. */
async function savedRanks(expected: readonly string[]): Promise<Map<string, number | null>> {
  return vi.waitFor(async () => {
    const rows = await db.catalogModels.toArray()
    expect(ids(rows)).toEqual(expect.arrayContaining([...expected]))
    return new Map(rows.map((row) => [row.id, row.trendingRank]))
  })
}

describe('catalog list before and while it loads', () => {
  it('starts empty, as the manager’s list (not this device’s), loading nothing and offering no more', () => {
    const store = useCatalogStore()
    expect(store.results).toEqual([])
    expect(store.source).toBe('hub')
    expect(store.offline).toBe(false)
    expect(store.loading).toBe(false)
    expect(store.loadingMore).toBe(false)
    expect(store.hasMore).toBe(false)
  })

  it('is loading until the first page arrives, and loading more (not loading) while the next one comes', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const searching = store.search()
    expect(store.loading).toBe(true)
    await (await hub.waiting(SEARCH)).answer(json(page1()))
    await searching
    expect(store.loading).toBe(false)
    const more = store.loadMore()
    expect(store.loadingMore).toBe(true)
    expect(store.loading).toBe(false)
    await (await hub.waiting(SEARCH)).answer(json(lastPage(page2())))
    await more
    expect(store.loadingMore).toBe(false)
    expect(store.results).toHaveLength(40)
  })

  it('asks for one next page at a time: asking again while one comes sends nothing', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const searching = store.search()
    await (await hub.waiting(SEARCH)).answer(json(page1()))
    await searching
    const more = store.loadMore()
    // Not awaited first: a second request would wait for an answer that never comes.
    const again = store.loadMore()
    await flushPromises()
    expect(hub.to(SEARCH)).toHaveLength(2)
    await again
    await (await hub.waiting(SEARCH)).answer(json(lastPage(page2())))
    await more
    expect(hub.to(SEARCH)).toHaveLength(2)
    expect(ids(store.results)).toEqual([...ids(page1().models), ...ids(page2().models)])
  })

  it('asks for no next page of the old list while a new search loads', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const first = store.search()
    await (await hub.waiting(SEARCH)).answer(json(page1()))
    await first
    const second = store.setQuery({ q: 'qwen' })
    const more = store.loadMore()
    await flushPromises()
    expect(hub.requests.map((request) => request.query)).toEqual([{ sort: 'downloads' }, { sort: 'downloads', q: 'qwen' }])
    await more
    await (await hub.waiting(SEARCH)).answer(json(lastPage(page2())))
    await second
    expect(ids(store.results)).toEqual(ids(page2().models))
  })

  it('stays loading when an older search ends before the newer one', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const older = store.setQuery({ q: 'gemma' })
    const newer = store.setQuery({ q: 'qwen' })
    const [olderRequest, newerRequest] = await vi.waitFor(() => {
      expect(hub.to(SEARCH)).toHaveLength(2)
      return hub.to(SEARCH)
    })
    await olderRequest!.answer(json(page2()))
    await older
    expect(store.loading).toBe(true)
    expect(store.results).toEqual([])
    await newerRequest!.answer(json(page1()))
    await newer
    expect(store.loading).toBe(false)
    expect(ids(store.results)).toEqual(ids(page1().models))
  })

  it('shows no error for a next page that failed after a new search replaced its list', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const first = store.search()
    await (await hub.waiting(SEARCH)).answer(json(page1()))
    await first
    const more = store.loadMore()
    const moreRequest = await hub.waiting(SEARCH)
    const fresh = store.setQuery({ q: 'qwen' })
    await moreRequest.answer(failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.'))
    await more
    expect(store.moreError).toBeNull()
    await (await hub.waiting(SEARCH)).answer(json(lastPage(page2())))
    await fresh
    expect(store.moreError).toBeNull()
    expect(ids(store.results)).toEqual(ids(page2().models))
  })
})

describe('catalog list searches', () => {
  it('replaces the list with a new search’s first page instead of adding to it', async () => {
    const server = fakeServer({ 'GET /api/catalog/search': () => json(page1()) })
    const store = useCatalogStore()
    await store.search()
    server.on('GET /api/catalog/search', () => json(lastPage(page2())))
    await store.setQuery({ q: 'qwen' })
    expect(ids(store.results)).toEqual(ids(page2().models))
    expect(store.scanned).toBe(page2().scanned)
  })

  it('replaces a listed page with the error when a later search fails', async () => {
    const server = fakeServer({ 'GET /api/catalog/search': () => json(page1()) })
    const store = useCatalogStore()
    await store.search()
    server.on('GET /api/catalog/search', () => failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.'))
    await store.setQuery({ q: 'qwen' })
    expect(store.error?.code).toBe('hub-bad-response')
    expect(store.results).toEqual([])
    expect(store.hasMore).toBe(false)
  })

  it('searches again only when the list on screen does not answer the current query or failed', async () => {
    const server = fakeServer({ 'GET /api/catalog/search': () => json(page1()) })
    const store = useCatalogStore()
    await store.ensureSearched()
    await store.ensureSearched()
    expect(server.callsTo('GET /api/catalog/search')).toHaveLength(1)
    // Coming back from a model page whose search chip changed the query.
    store.query = { ...store.query, sort: 'likes' }
    await store.ensureSearched()
    expect(server.callsTo('GET /api/catalog/search')).toHaveLength(2)
    server.on('GET /api/catalog/search', () => failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.'))
    await store.search()
    server.on('GET /api/catalog/search', () => json(page1()))
    await store.ensureSearched()
    expect(server.callsTo('GET /api/catalog/search')).toHaveLength(4)
    expect(store.error).toBeNull()
    expect(store.results).toHaveLength(20)
  })
})

describe('catalog list refreshed quietly', () => {
  it('asks nothing when the list on screen is the manager’s own answer', async () => {
    const server = fakeServer({ 'GET /api/catalog/search': () => json(page1()) })
    const store = useCatalogStore()
    await store.search()
    await store.refreshQuietly()
    expect(server.callsTo('GET /api/catalog/search')).toHaveLength(1)
  })

  it('keeps this device’s list when the refresh fails for another reason than being offline', async () => {
    await savePage(page1())
    const server = fakeServer({ 'GET /api/catalog/search': () => json(page1()) })
    server.offline()
    const store = useCatalogStore()
    await store.search()
    expect(store.source).toBe('device')
    server.online()
    server.on('GET /api/catalog/search', () => failure(429, 'hub-rate-limited', 'The HuggingFace Hub is limiting requests from this machine; try again in 30 s.', { 'retry-after': '30' }))
    await store.refreshQuietly()
    expect(server.callsTo('GET /api/catalog/search')).toHaveLength(2)
    expect(store.source).toBe('device')
    expect(store.error).toBeNull()
    expect(store.results).toHaveLength(20)
  })

  it('retries a failed search and shows the newer failure when nothing is listed', async () => {
    const server = fakeServer({ 'GET /api/catalog/search': () => failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.') })
    const store = useCatalogStore()
    await store.search()
    expect(store.error?.code).toBe('hub-bad-response')
    server.on('GET /api/catalog/search', () => failure(429, 'hub-rate-limited', 'The HuggingFace Hub is limiting requests from this machine; try again in 30 s.', { 'retry-after': '30' }))
    await store.refreshQuietly()
    expect(store.error).toEqual({ code: 'hub-rate-limited', message: expect.stringContaining('30 s') as string, retryAfterSeconds: 30 })
    expect(store.results).toEqual([])
  })
})

describe('catalog list from this device', () => {
  it('measures the next saved page against the budget saved last, too', async () => {
    await savePage(page1())
    await savePage(page2())
    // A model page opened later saved a smaller budget, as on a machine with less free memory now.
    const smaller = { ...system(), budgetBytes: 6 * 1024 ** 3 }
    await saveDetails(qwen3Details(), '2026-12-31T10:00:00.000Z', smaller)
    fakeServer()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const store = useCatalogStore()
    await store.search()
    await store.loadMore()
    const nextPage = store.results.slice(20)
    expect(nextPage.length).toBeGreaterThan(0)
    expect(nextPage.filter((model) => model.fit !== null).map((model) => model.fit?.budgetBytes)).toEqual(nextPage.map(() => smaller.budgetBytes))
  })

  it('still shows the next saved page when the saved budget is gone, with the fits it was saved with', async () => {
    await savePage(page1())
    await savePage(page2())
    fakeServer()
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const store = useCatalogStore()
    await store.search()
    await db.catalogMeta.clear()
    await store.loadMore()
    expect(store.moreError).toBeNull()
    expect(store.results).toHaveLength(40)
    const saved = new Map([...page1().models, ...page2().models].map((model) => [model.id, model.fit]))
    expect(store.results.slice(20).map((model) => model.fit)).toEqual(store.results.slice(20).map((model) => saved.get(model.id)))
  })
})

describe('trending positions kept on this device', () => {
  it('saves each model’s place in the hub’s trending list, counting on across pages and again from 0 for a new search', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogStore()
    const first = store.setQuery({ sort: 'trending' })
    await (await hub.waiting(SEARCH)).answer(json(trending()))
    await first
    const seen = new Set(ids(trending().models))
    const next = { ...lastPage(page2()), scanned: 20, models: page2().models.filter((model) => !seen.has(model.id)) }
    const more = store.loadMore()
    await (await hub.waiting(SEARCH)).answer(json(next))
    await more
    const ranks = await savedRanks([...ids(trending().models), ...ids(next.models)])
    expect(ids(trending().models).map((id) => ranks.get(id))).toEqual(trending().models.map((_, i) => i))
    // The second page starts where the hub's first page ended: after the 20 results it examined.
    expect(ids(next.models).map((id) => ranks.get(id))).toEqual(next.models.map((_, i) => 20 + i))

    const again = store.search()
    const moved = { ...trending(), models: [next.models[0]!, ...trending().models.slice(0, 3)] }
    await (await hub.waiting(SEARCH)).answer(json(moved))
    await again
    await vi.waitFor(async () => expect((await db.catalogModels.get(next.models[0]!.id))?.trendingRank).toBe(0))
  })

  it('counts a blank search text as the whole trending list', async () => {
    fakeServer({ 'GET /api/catalog/search': () => json(trending()) })
    await useCatalogStore().setQuery({ sort: 'trending', q: '   ' })
    const ranks = await savedRanks(ids(trending().models))
    expect(ids(trending().models).map((id) => ranks.get(id))).toEqual(trending().models.map((_, i) => i))
  })

  it.each<[string, Partial<CatalogQuery>]>([
    ['a text search within trending', { sort: 'trending', q: 'qwen' }],
    ['an author’s trending models', { sort: 'trending', author: 'mlx-community' }],
    ['another sort', { sort: 'likes' }],
  ])('saves no trending position from %s, whose order is not the hub-wide one', async (_, change) => {
    fakeServer({ 'GET /api/catalog/search': () => json(trending()) })
    await useCatalogStore().setQuery(change)
    const ranks = await savedRanks(ids(trending().models))
    expect([...ranks.values()].every((rank) => rank === null)).toBe(true)
  })
})
