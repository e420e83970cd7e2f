import { CAPABILITIES, type Capability, type CatalogModel, type CatalogSort } from '../../../../shared/catalog'
import { fitState, type FitState } from '../../../../shared/memory-fit'
import type { CatalogIndexRow } from '../../db/database'
import { cleanText, type CatalogQuery } from './query'

/**
 * The offline catalog's search. Each saved model is one small entry with only what search, the
 * filters and the sorts read; the entries live in IndexedDB as one row of parallel columns
 * (typed arrays), which the browser reads in one go, where thousands of rows would each cost a
 * round of the database's cursor. The full models are read only for the page on screen.
 */
export interface IndexEntry {
  id: string
  /** Lower-case id: author and name, which is what the hub's search matches too. */
  text: string
  family: string | null
  bits: number | null
  /** One bit per CAPABILITIES entry. */
  capabilities: number
  weightsBytes: number | null
  /** KV cache at the context of the listing; null when the model has no fit (no weight files). */
  kvCacheBytes: number | null
  downloads: number
  likes: number
  /** lastModified in ms; 0 when unknown. */
  modified: number
  /** Position in the hub's trending list; Infinity when never seen there. */
  trendingRank: number
}

export function capabilityMask(capabilities: readonly Capability[]): number {
  return CAPABILITIES.reduce((mask, capability, bit) => (capabilities.includes(capability) ? mask | (1 << bit) : mask), 0)
}

export function entryOf(model: CatalogModel, trendingRank: number | null): IndexEntry {
  const modified = model.lastModified === null ? 0 : Date.parse(model.lastModified)
  return {
    id: model.id,
    text: model.id.toLowerCase(),
    family: model.family,
    bits: model.bits,
    capabilities: capabilityMask(model.capabilities),
    weightsBytes: model.weightsBytes,
    kvCacheBytes: model.fit === null ? null : model.fit.kvCacheBytes,
    downloads: model.downloads,
    likes: model.likes,
    modified: Number.isNaN(modified) ? 0 : modified,
    trendingRank: trendingRank ?? Number.POSITIVE_INFINITY,
  }
}

export type IndexColumns = Omit<CatalogIndexRow, 'key'>

export function encodeIndex(entries: readonly IndexEntry[]): IndexColumns {
  const n = entries.length
  const columns: IndexColumns = {
    ids: new Array<string>(n),
    families: new Array<string>(n),
    bits: new Int8Array(n),
    capabilities: new Uint8Array(n),
    weightsBytes: new Float64Array(n),
    kvCacheBytes: new Float64Array(n),
    downloads: new Float64Array(n),
    likes: new Float64Array(n),
    modified: new Float64Array(n),
    trendingRanks: new Float64Array(n),
  }
  entries.forEach((entry, i) => {
    columns.ids[i] = entry.id
    columns.families[i] = entry.family ?? ''
    columns.bits[i] = entry.bits ?? 0
    columns.capabilities[i] = entry.capabilities
    // NaN stands for "unknown" in the number columns.
    columns.weightsBytes[i] = entry.weightsBytes ?? Number.NaN
    columns.kvCacheBytes[i] = entry.kvCacheBytes ?? Number.NaN
    columns.downloads[i] = entry.downloads
    columns.likes[i] = entry.likes
    columns.modified[i] = entry.modified
    columns.trendingRanks[i] = entry.trendingRank
  })
  return columns
}

const known = (value: number | undefined): number | null => (value === undefined || Number.isNaN(value) ? null : value)

export function decodeIndex(columns: IndexColumns): IndexEntry[] {
  return columns.ids.map((id, i) => ({
    id,
    text: id.toLowerCase(),
    family: columns.families[i] || null,
    bits: columns.bits[i] || null,
    capabilities: columns.capabilities[i] ?? 0,
    weightsBytes: known(columns.weightsBytes[i]),
    kvCacheBytes: known(columns.kvCacheBytes[i]),
    downloads: columns.downloads[i] ?? 0,
    likes: columns.likes[i] ?? 0,
    modified: columns.modified[i] ?? 0,
    trendingRank: columns.trendingRanks[i] ?? Number.POSITIVE_INFINITY,
  }))
}

/** Adds or replaces entries by id. A trending rank is kept when the update has none. */
export function mergeEntries(entries: readonly IndexEntry[], updates: readonly IndexEntry[]): IndexEntry[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]))
  for (const update of updates) {
    const previous = byId.get(update.id)
    const trendingRank = update.trendingRank === Number.POSITIVE_INFINITY && previous !== undefined ? previous.trendingRank : update.trendingRank
    byId.set(update.id, { ...update, trendingRank })
  }
  return [...byId.values()]
}

/** The fit state against this machine's budget, as shared/memory-fit decides it; null when unknown. */
export function entryFit(entry: IndexEntry, budgetBytes: number | null): FitState | null {
  if (entry.weightsBytes === null || entry.kvCacheBytes === null || budgetBytes === null) return null
  return fitState(entry.weightsBytes + entry.kvCacheBytes, budgetBytes)
}

/**
 * The same rules as shared/catalog's `matchesFilters` (tests hold the two to agreeing), over an
 * index entry: every word of the text in the id, the author, and each filter.
 */
export function entryMatches(entry: IndexEntry, query: CatalogQuery, budgetBytes: number | null, words: readonly string[] = textWords(query.q)): boolean {
  if (query.author !== null && !entry.text.startsWith(`${query.author.toLowerCase()}/`)) return false
  for (const word of words) if (!entry.text.includes(word)) return false
  if (query.arch.length > 0 && (entry.family === null || !(query.arch as readonly string[]).includes(entry.family))) return false
  if (query.bits.length > 0 && (entry.bits === null || !(query.bits as readonly number[]).includes(entry.bits))) return false
  if (query.capability.length > 0) {
    const wanted = capabilityMask(query.capability)
    if ((entry.capabilities & wanted) !== wanted) return false
  }
  if (query.minSize !== null && (entry.weightsBytes === null || entry.weightsBytes < query.minSize)) return false
  if (query.maxSize !== null && (entry.weightsBytes === null || entry.weightsBytes > query.maxSize)) return false
  if (query.fits) {
    const state = entryFit(entry, budgetBytes)
    if (state === null || state === 'too-large') return false
  }
  return true
}

export function textWords(q: string): string[] {
  return cleanText(q)
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '')
}

type Compare = (a: IndexEntry, b: IndexEntry) => number

const byId: Compare = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const descending =
  (key: 'downloads' | 'likes' | 'modified'): Compare =>
  (a, b) =>
    b[key] - a[key] || byId(a, b)

/**
 * The hub's orders: downloads, likes, last change, newest first. Trending follows the ranks seen in
 * the hub's trending lists; models never seen there come after, by downloads.
 */
export const COMPARE: Record<CatalogSort, Compare> = {
  downloads: descending('downloads'),
  likes: descending('likes'),
  updated: descending('modified'),
  trending: (a, b) => {
    if (a.trendingRank !== b.trendingRank) {
      if (a.trendingRank === Number.POSITIVE_INFINITY) return 1
      if (b.trendingRank === Number.POSITIVE_INFINITY) return -1
      return a.trendingRank - b.trendingRank
    }
    return descending('downloads')(a, b)
  },
}

/** The ids that answer a query, in the query's order. */
export function searchEntries(entries: readonly IndexEntry[], query: CatalogQuery, budgetBytes: number | null): string[] {
  const words = textWords(query.q)
  return entries
    .filter((entry) => entryMatches(entry, query, budgetBytes, words))
    .sort(COMPARE[query.sort])
    .map((entry) => entry.id)
}
