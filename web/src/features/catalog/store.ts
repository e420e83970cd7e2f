import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { CATALOG_PAGE_SIZE, type CatalogModel, type CatalogPage } from '../../../../shared/catalog'
import type { MemoryBudget } from '../../../../shared/memory-fit'
import { api, request, toApiError } from '../../api/client'
import { guarded } from '../auth/guarded'
import { failureOf, type Failure } from '../auth/store'
import { refit } from './fit'
import { searchEntries } from './local-search'
import { defaultQuery, queryKey, toSearchParams, type CatalogQuery } from './query'
import { lastSynced, readBudget, readIndex, readModels, savePage } from './repository'
import { browserOffline, keepOnDevice, OFFLINE_SENTENCE, unreachable, type Source } from './sources'

/**
 * The catalog list: search, filters and pages of results; online through the manager, offline from
 * IndexedDB. A model's own page is the catalog model store (model-store.ts).
 */
export const useCatalogStore = defineStore('catalog', () => {
  const query = ref<CatalogQuery>(defaultQuery())
  const results = shallowRef<CatalogModel[]>([])
  /** The query the results answer; null before the first search. */
  const resultsKey = ref<string | null>(null)
  const source = ref<Source>('hub')
  const nextCursor = ref<string | null>(null)
  /** Hub results examined for the list so far (online), or models saved on this device (offline). */
  const scanned = ref(0)
  const loading = ref(false)
  const loadingMore = ref(false)
  const error = ref<Failure | null>(null)
  const moreError = ref<Failure | null>(null)
  const budget = shallowRef<MemoryBudget | null>(null)
  const contextTokens = ref<number | null>(null)
  /** When the hub answered the list on screen. */
  const fetchedAt = ref<string | null>(null)
  /** Offline: when this device last saved anything from the catalog. */
  const lastSyncedAt = ref<string | null>(null)
  /** Offline: why the list comes from this device. */
  const offlineReason = ref<string | null>(null)
  /** Window scroll position of the list, restored when coming back from a model page. */
  const scrollY = ref(0)
  /** The quantization each grouped row shows, by group key, kept while this tab lives (back from a model page). */
  const chosenVariants = ref<Record<string, string>>({})
  /** Offline: every saved match of the query in order, and how many are on screen. */
  const deviceIds = shallowRef<string[]>([])
  const deviceOffset = ref(0)
  /** Hub position of the next page's first model, for trending ranks. */
  let hubPosition = 0
  let searchRun = 0

  const hasMore = computed(() => (source.value === 'hub' ? nextCursor.value !== null : deviceOffset.value < deviceIds.value.length))
  const offline = computed(() => source.value === 'device')

  function trendingStart(asked: CatalogQuery, position: number): number | null {
    // Only the whole trending list gives hub-wide positions; a text or author search ranks within itself.
    return asked.sort === 'trending' && asked.q.trim() === '' && asked.author === null ? position : null
  }

  function takeHubPage(page: CatalogPage, asked: CatalogQuery, append: boolean): void {
    const seen = new Set(append ? results.value.map((model) => model.id) : [])
    results.value = append ? [...results.value, ...page.models.filter((model) => !seen.has(model.id))] : page.models
    keepOnDevice(savePage(page, trendingStart(asked, hubPosition)))
    hubPosition += page.scanned
    nextCursor.value = page.nextCursor
    scanned.value = append ? scanned.value + page.scanned : page.scanned
    budget.value = page.budget
    contextTokens.value = page.contextTokens
    fetchedAt.value = page.fetchedAt
    source.value = 'hub'
    offlineReason.value = null
  }

  async function searchDevice(run: number, asked: CatalogQuery, reason: string): Promise<void> {
    const [entries, saved, synced] = await Promise.all([readIndex(), readBudget(), lastSynced()])
    const budgetBytes = saved?.budget.budgetBytes ?? budget.value?.budgetBytes ?? null
    const ids = searchEntries(entries, asked, budgetBytes)
    const first = await readModels(ids.slice(0, CATALOG_PAGE_SIZE))
    if (run !== searchRun) return
    deviceIds.value = ids
    deviceOffset.value = CATALOG_PAGE_SIZE
    results.value = first.map((model) => refit(model, budgetBytes))
    resultsKey.value = queryKey(asked)
    budget.value = saved?.budget ?? budget.value
    scanned.value = entries.length
    nextCursor.value = null
    lastSyncedAt.value = synced
    offlineReason.value = reason
    source.value = 'device'
    error.value = null
  }

  /**
   * The first page for the current query. `quiet` keeps the list on screen until the new one
   * arrives (a refresh after coming back online), instead of showing the loading state.
   */
  async function search(options: { quiet?: boolean } = {}): Promise<void> {
    const run = ++searchRun
    const asked = query.value
    if (!options.quiet) loading.value = true
    moreError.value = null
    try {
      if (browserOffline()) return await searchDevice(run, asked, OFFLINE_SENTENCE)
      const page = await guarded(() => request(api.catalog.search.get({ query: toSearchParams(asked, null) })))
      if (run !== searchRun) return
      hubPosition = 0
      takeHubPage(page, asked, false)
      resultsKey.value = queryKey(asked)
      error.value = null
    } catch (failure) {
      const apiError = toApiError(failure)
      if (run !== searchRun) return
      if (unreachable(apiError)) return await searchDevice(run, asked, apiError.message)
      // A quiet refresh that fails leaves the list as it was.
      if (options.quiet && results.value.length > 0) return
      error.value = failureOf(apiError)
      results.value = []
      resultsKey.value = queryKey(asked)
      nextCursor.value = null
    } finally {
      if (run === searchRun) loading.value = false
    }
  }

  /** The next page: the hub's cursor online, the next slice of matches offline. */
  async function loadMore(): Promise<void> {
    if (loading.value || loadingMore.value || !hasMore.value) return
    const run = searchRun
    const asked = query.value
    loadingMore.value = true
    moreError.value = null
    try {
      if (source.value === 'device') {
        const saved = await readBudget()
        const more = await readModels(deviceIds.value.slice(deviceOffset.value, deviceOffset.value + CATALOG_PAGE_SIZE))
        if (run !== searchRun) return
        deviceOffset.value += CATALOG_PAGE_SIZE
        results.value = [...results.value, ...more.map((model) => refit(model, saved?.budget.budgetBytes ?? null))]
        return
      }
      const page = await guarded(() => request(api.catalog.search.get({ query: toSearchParams(asked, nextCursor.value) })))
      if (run !== searchRun) return
      takeHubPage(page, asked, true)
    } catch (failure) {
      const apiError = toApiError(failure)
      if (run === searchRun) moreError.value = failureOf(apiError)
    } finally {
      loadingMore.value = false
    }
  }

  function setQuery(change: Partial<CatalogQuery>): Promise<void> {
    query.value = { ...query.value, ...change }
    return search()
  }

  /** Searches unless the list on screen already answers the current query (coming back from a model page). */
  function ensureSearched(): Promise<void> {
    if (resultsKey.value === queryKey(query.value) && error.value === null) return Promise.resolve()
    return search()
  }

  /** Back online: replace this device's copy with the manager's answer, without a loading state. */
  async function refreshQuietly(): Promise<void> {
    if (source.value === 'device' || error.value !== null) await search({ quiet: true })
  }

  return {
    query,
    results,
    source,
    offline,
    nextCursor,
    hasMore,
    scanned,
    loading,
    loadingMore,
    error,
    moreError,
    budget,
    contextTokens,
    fetchedAt,
    lastSyncedAt,
    offlineReason,
    scrollY,
    chosenVariants,
    search,
    loadMore,
    setQuery,
    ensureSearched,
    refreshQuietly,
  }
})
