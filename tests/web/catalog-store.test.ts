import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { CatalogPage } from '../../shared/catalog'
import { useAuthStore } from '../../web/src/features/auth/store'
import { readDetails, readIndex, saveDetails, savePage } from '../../web/src/features/catalog/repository'
import { NOT_SAVED_CODE, useCatalogModelStore } from '../../web/src/features/catalog/model-store'
import { useCatalogStore } from '../../web/src/features/catalog/store'
import { emptyFiltered, page1, page2, qwen3Details, system } from './catalog-data'
import { failure, fakeServer, json, makeUser } from './helpers'

type Server = ReturnType<typeof fakeServer>

/** The query string of the call being answered right now. */
function currentQuery(server: Server): URLSearchParams {
  const input = server.fetch.mock.calls.at(-1)?.[0]
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : (input?.url ?? 'http://localhost/')
  return new URL(href).searchParams
}

function searchQueries(server: Server): Record<string, string>[] {
  return server.fetch.mock.calls
    .map(([input]) => new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url))
    .filter((url) => url.pathname === '/api/catalog/search')
    .map((url) => Object.fromEntries(url.searchParams))
}

/** The manager's catalog routes, answering with recorded pages: the second page after the first's cursor. */
function catalogServer(options: { lastPage?: CatalogPage } = {}) {
  const first = page1()
  const second = options.lastPage ?? { ...page2(), nextCursor: null }
  const server: Server = fakeServer({
    'GET /api/catalog/search': () => json(currentQuery(server).get('cursor') === first.nextCursor ? second : first),
    'GET /api/catalog/models/mlx-community/Qwen3-8B-4bit': () => json(qwen3Details()),
    'GET /api/catalog/system': () => json(system()),
    'POST /api/downloads': ({ body }) =>
      json({ id: 7, modelId: (body as { modelId: string }).modelId, status: 'queued', revision: 'main' }, 202),
  })
  return server
}

function goOffline(): void {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
}

describe('catalog store online', () => {
  it('searches the manager and keeps what it listed on this device', async () => {
    const server = catalogServer()
    const store = useCatalogStore()
    await store.search()
    expect(searchQueries(server)).toEqual([{ sort: 'downloads' }])
    expect(store.results.map((m) => m.id)).toEqual(page1().models.map((m) => m.id))
    expect(store.source).toBe('hub')
    expect(store.hasMore).toBe(true)
    expect(store.scanned).toBe(20)
    expect(store.budget?.budgetBytes).toBe(page1().budget.budgetBytes)
    // The copy on this device is written without holding up the list.
    await vi.waitFor(async () => expect((await readIndex()).map((entry) => entry.id).sort()).toEqual(page1().models.map((m) => m.id).sort()))
  })

  it('sends the text, sort, author and every filter as the route expects them', async () => {
    const server = catalogServer()
    const store = useCatalogStore()
    await store.setQuery({ q: ' qwen3 ', sort: 'trending', author: 'mlx-community', arch: ['qwen'], bits: [4, 8], capability: ['tools', 'reasoning'], minSize: 1024, maxSize: 2048, fits: true })
    expect(searchQueries(server).at(-1)).toEqual({
      q: 'qwen3',
      sort: 'trending',
      author: 'mlx-community',
      arch: 'qwen',
      bits: '4,8',
      capability: 'tools,reasoning',
      minSize: '1024',
      maxSize: '2048',
      fits: 'true',
    })
  })

  it('follows nextCursor for the next page and stops at the end', async () => {
    const server = catalogServer()
    const store = useCatalogStore()
    await store.search()
    await store.loadMore()
    expect(searchQueries(server).at(-1)).toEqual({ sort: 'downloads', cursor: page1().nextCursor })
    expect(store.results).toHaveLength(40)
    expect(store.results.slice(20).map((m) => m.id)).toEqual(page2().models.map((m) => m.id))
    expect(store.scanned).toBe(40)
    expect(store.hasMore).toBe(false)
    await store.loadMore()
    expect(searchQueries(server)).toHaveLength(2)
  })

  it('does not list a model twice when the hub repeats one across pages', async () => {
    const repeated = { ...page2(), nextCursor: null, models: [page1().models[0]!, ...page2().models.slice(0, 3)] }
    catalogServer({ lastPage: repeated })
    const store = useCatalogStore()
    await store.search()
    await store.loadMore()
    expect(store.results).toHaveLength(23)
  })

  it('says how many hub results were scanned when the filters match none', async () => {
    const server = catalogServer()
    server.on('GET /api/catalog/search', () => json(emptyFiltered()))
    const store = useCatalogStore()
    await store.setQuery({ capability: ['vision'], bits: [2] })
    expect(store.results).toEqual([])
    expect(store.scanned).toBe(46)
    expect(store.error).toBeNull()
  })

  it('shows the hub’s rate limit with its wait, and a retry that works', async () => {
    const server = catalogServer()
    server.on('GET /api/catalog/search', () =>
      failure(429, 'hub-rate-limited', 'The HuggingFace Hub is limiting requests from this machine; try again in 30 s.', { 'retry-after': '30' }),
    )
    const store = useCatalogStore()
    await store.search()
    expect(store.error).toEqual({ code: 'hub-rate-limited', message: expect.stringContaining('try again in 30 s') as string, retryAfterSeconds: 30 })
    expect(store.results).toEqual([])
    server.on('GET /api/catalog/search', () => json(page1()))
    await store.search()
    expect(store.error).toBeNull()
    expect(store.results).toHaveLength(20)
  })

  it('keeps the list when a later page fails, with its own error to retry', async () => {
    const server = catalogServer()
    const store = useCatalogStore()
    await store.search()
    server.on('GET /api/catalog/search', () => failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.'))
    await store.loadMore()
    expect(store.results).toHaveLength(20)
    expect(store.moreError?.code).toBe('hub-bad-response')
    server.on('GET /api/catalog/search', () => json({ ...page2(), nextCursor: null }))
    await store.loadMore()
    expect(store.moreError).toBeNull()
    expect(store.results).toHaveLength(40)
  })

  it('ignores an answer to a search that was replaced by a newer one', async () => {
    const server = catalogServer()
    const gate: { open?: () => void } = {}
    server.on('GET /api/catalog/search', async () => {
      // Read this request's own query before waiting: by the time it answers, a newer request is the last one.
      const asked = currentQuery(server).get('q')
      if (asked === 'slow') await new Promise<void>((resolve) => (gate.open = resolve))
      return json(asked === 'slow' ? page2() : page1())
    })
    const store = useCatalogStore()
    const slow = store.setQuery({ q: 'slow' })
    await flushPromises()
    await store.setQuery({ q: 'fast' })
    gate.open?.()
    await slow
    expect(store.results[0]?.id).toBe(page1().models[0]?.id)
    expect(store.loading).toBe(false)
  })

  it('ignores the failure of a search that was replaced by a newer one', async () => {
    const server = catalogServer()
    const gate: { open?: () => void } = {}
    server.on('GET /api/catalog/search', async () => {
      const asked = currentQuery(server).get('q')
      if (asked !== 'slow') return json(page1())
      await new Promise<void>((resolve) => (gate.open = resolve))
      return failure(502, 'hub-bad-response', 'The hub sent an answer the manager could not read.')
    })
    const store = useCatalogStore()
    const slow = store.setQuery({ q: 'slow' })
    await flushPromises()
    await store.setQuery({ q: 'fast' })
    gate.open?.()
    await slow
    expect(store.error).toBeNull()
    expect(store.results.map((m) => m.id)).toEqual(page1().models.map((m) => m.id))
  })

  it('drops a next page that arrives after a new search replaced the list', async () => {
    const server = catalogServer()
    const store = useCatalogStore()
    await store.search()
    const gate: { open?: () => void } = {}
    server.on('GET /api/catalog/search', async () => {
      if (currentQuery(server).get('cursor') === null) return json(page1())
      await new Promise<void>((resolve) => (gate.open = resolve))
      return json({ ...page2(), nextCursor: null })
    })
    const more = store.loadMore()
    await flushPromises()
    await store.setQuery({ q: 'fresh' })
    gate.open?.()
    await more
    expect(store.results.map((m) => m.id)).toEqual(page1().models.map((m) => m.id))
    expect(store.hasMore).toBe(true)
  })
})

describe('catalog store offline', () => {
  async function saved(): Promise<void> {
    await savePage(page1())
    await savePage(page2())
  }

  it('searches what this device saved when the browser is offline, without asking the manager', async () => {
    await saved()
    const server = catalogServer()
    goOffline()
    const store = useCatalogStore()
    await store.setQuery({ q: 'qwen3', capability: ['reasoning'], sort: 'likes' })
    expect(server.calls).toEqual([])
    expect(store.source).toBe('device')
    expect(store.offline).toBe(true)
    expect(store.lastSyncedAt).toBe(page2().fetchedAt > page1().fetchedAt ? page2().fetchedAt : page1().fetchedAt)
    expect(store.scanned).toBe(40)
    const ids = store.results.map((m) => m.id)
    expect(ids.length).toBeGreaterThan(3)
    expect(ids.every((id) => id.toLowerCase().includes('qwen3'))).toBe(true)
    expect(store.results.every((m) => m.capabilities.includes('reasoning'))).toBe(true)
    const likes = store.results.map((m) => m.likes)
    expect(likes).toEqual([...likes].sort((a, b) => b - a))
  })

  it('pages through the saved matches 20 at a time', async () => {
    await saved()
    catalogServer()
    goOffline()
    const store = useCatalogStore()
    await store.search()
    expect(store.results).toHaveLength(20)
    expect(store.hasMore).toBe(true)
    await store.loadMore()
    expect(store.results).toHaveLength(40)
    expect(store.hasMore).toBe(false)
    const downloads = store.results.map((m) => m.downloads)
    expect(downloads).toEqual([...downloads].sort((a, b) => b - a))
  })

  it('falls back to this device when the manager cannot be reached, and tells the shell', async () => {
    await saved()
    const server = catalogServer()
    server.offline()
    useAuthStore().user = makeUser({ isAdmin: true })
    const store = useCatalogStore()
    await store.setQuery({ bits: [8] })
    expect(store.source).toBe('device')
    expect(store.offlineReason).toMatch(/cannot be reached/)
    expect(store.results.length).toBeGreaterThan(0)
    expect(store.results.every((m) => m.bits === 8)).toBe(true)
    expect(useAuthStore().offline).toBe(true)
  })

  it('falls back to this device when the manager cannot reach the hub', async () => {
    await saved()
    const server = catalogServer()
    server.on('GET /api/catalog/search', () => failure(502, 'hub-unreachable', 'Could not reach the HuggingFace Hub at https://huggingface.co (HF_ENDPOINT).'))
    const store = useCatalogStore()
    await store.search()
    expect(store.source).toBe('device')
    expect(store.error).toBeNull()
    expect(store.offlineReason).toContain('Could not reach the HuggingFace Hub')
    expect(store.results).toHaveLength(20)
  })

  it('says nothing is saved yet instead of failing', async () => {
    catalogServer()
    goOffline()
    const store = useCatalogStore()
    await store.search()
    expect(store.results).toEqual([])
    expect(store.scanned).toBe(0)
    expect(store.error).toBeNull()
  })

  it('measures saved models against the budget saved last, for the fit filter too', async () => {
    await saved()
    catalogServer()
    goOffline()
    const store = useCatalogStore()
    await store.setQuery({ fits: true })
    expect(store.results.length).toBeGreaterThan(0)
    expect(store.results.every((m) => m.fit !== null && m.fit.state !== 'too-large')).toBe(true)
    expect(store.results.every((m) => m.fit?.budgetBytes === store.budget?.budgetBytes)).toBe(true)
  })

  it('refreshes from the manager quietly when back online', async () => {
    await saved()
    const server = catalogServer()
    server.offline()
    const store = useCatalogStore()
    await store.search()
    expect(store.source).toBe('device')
    server.online()
    const refreshing = store.refreshQuietly()
    expect(store.loading).toBe(false)
    expect(store.results).toHaveLength(20)
    await refreshing
    expect(store.source).toBe('hub')
    expect(store.offlineReason).toBeNull()
  })

  it('a search of this device that ends after a newer search of the manager leaves the newer results', async () => {
    await saved()
    catalogServer()
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const store = useCatalogStore()
    // Reading this device's copy takes a few database turns; the manager's answer comes back first.
    const slow = store.setQuery({ q: 'qwen' })
    onLine.mockReturnValue(true)
    await store.setQuery({ q: '' })
    await slow
    expect(store.source).toBe('hub')
    expect(store.offlineReason).toBeNull()
    expect(store.results.map((m) => m.id)).toEqual(page1().models.map((m) => m.id))
  })

  it('a next page of the device copy that ends after a newer search of the manager is dropped', async () => {
    await saved()
    catalogServer()
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const store = useCatalogStore()
    await store.search()
    expect(store.source).toBe('device')
    const more = store.loadMore()
    onLine.mockReturnValue(true)
    await store.setQuery({ q: '' })
    await more
    expect(store.source).toBe('hub')
    expect(store.results.map((m) => m.id)).toEqual(page1().models.map((m) => m.id))
  })
})

describe('model page', () => {
  it('opens a model from the manager with this machine’s budget and keeps it on this device', async () => {
    catalogServer()
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/Qwen3-8B-4bit')
    expect(store.details?.id).toBe('mlx-community/Qwen3-8B-4bit')
    expect(store.modelSource).toBe('hub')
    expect(store.fitBudget?.explanation).toBe(system().explanation)
    expect(store.context).toBe(8192)
    expect(store.steps).toEqual([1024, 2048, 4096, 8192, 16384, 32768, 40960])
    await vi.waitFor(async () => expect((await readDetails('mlx-community/Qwen3-8B-4bit'))?.details.files).toHaveLength(qwen3Details().files.length))
  })

  it('recomputes the fit as the context slider moves, with the hand-computed KV cache', async () => {
    catalogServer()
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/Qwen3-8B-4bit')
    const budgetBytes = system().budgetBytes
    expect(store.fit?.kvCacheBytes).toBe(147_456 * 8192)
    store.setContext(32768)
    expect(store.context).toBe(32768)
    expect(store.fit?.kvCacheBytes).toBe(147_456 * 32768)
    expect(store.fit?.totalBytes).toBe(4_607_319_040 + 147_456 * 32768)
    expect(store.fit?.budgetBytes).toBe(budgetBytes)
    // Between steps, the slider snaps to the nearest one.
    store.setContext(30000)
    expect(store.context).toBe(32768)
    store.setContext(10 ** 9)
    expect(store.context).toBe(40960)
  })

  it('opens a saved model page offline', async () => {
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    const server = catalogServer()
    goOffline()
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/Qwen3-8B-4bit')
    expect(server.calls).toEqual([])
    expect(store.details?.readme).toContain('mlx-lm')
    expect(store.modelSource).toBe('device')
    expect(store.modelSyncedAt).toBe('2026-03-01T10:00:00.000Z')
    expect(store.fit?.budgetBytes).toBe(system().budgetBytes)
  })

  it('offline, shows what the list saved about a model whose page was never opened', async () => {
    await savePage(page1())
    catalogServer().offline()
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/gemma-3-12b-it-4bit')
    expect(store.details).toBeNull()
    expect(store.model?.id).toBe('mlx-community/gemma-3-12b-it-4bit')
    expect(store.modelSource).toBe('device')
    expect(store.fit?.state).toBe('fits')
  })

  it('offline, says a model was never saved here', async () => {
    catalogServer()
    goOffline()
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/never-seen')
    expect(store.model).toBeNull()
    expect(store.modelError?.code).toBe(NOT_SAVED_CODE)
    expect(store.modelError?.message).toContain('mlx-community/never-seen')
  })

  it('back online, the page and the list it was opened from replace this device’s copies without a loading state', async () => {
    await savePage(page1())
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    const server = catalogServer()
    server.offline()
    const list = useCatalogStore()
    const page = useCatalogModelStore()
    await list.search()
    await page.openModel('mlx-community/Qwen3-8B-4bit')
    expect([list.source, page.modelSource]).toEqual(['device', 'device'])
    server.online()
    const refreshing = page.refreshQuietly()
    expect(page.modelLoading).toBe(false)
    expect(page.details?.id).toBe('mlx-community/Qwen3-8B-4bit')
    await refreshing
    expect([list.source, page.modelSource]).toEqual(['hub', 'hub'])
    expect(page.modelOfflineReason).toBeNull()
    expect(page.query).toBe(list.query)
  })

  it('shows the server’s message for an unknown or gated model', async () => {
    const server = catalogServer()
    server.on('GET /api/catalog/models/mlx-community/nope', () => failure(404, 'model-not-found', 'There is no model mlx-community/nope on the hub.'))
    const store = useCatalogModelStore()
    await store.openModel('mlx-community/nope')
    expect(store.modelError).toEqual({ code: 'model-not-found', message: 'There is no model mlx-community/nope on the hub.', retryAfterSeconds: null })
    expect(store.model).toBeNull()
  })
})
