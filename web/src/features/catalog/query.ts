import {
  CATALOG_QUERY_MAX_LENGTH,
  filtersToQuery,
  hasFilters,
  type ArchFamily,
  type Capability,
  type CatalogFilters,
  type CatalogSort,
  type QuantBits,
} from '../../../../shared/catalog'

/** Everything the person chose on the catalog screen. */
export interface CatalogQuery {
  q: string
  sort: CatalogSort
  /** null: any author. */
  author: string | null
  arch: ArchFamily[]
  bits: QuantBits[]
  capability: Capability[]
  /** Bounds on the weight size, in bytes. */
  minSize: number | null
  maxSize: number | null
  fits: boolean
}

/** The publishers of MLX conversions most people look for, offered as one-tap author chips. */
export const AUTHORS = ['mlx-community', 'lmstudio-community'] as const

export const SORT_LABELS: Record<CatalogSort, string> = {
  downloads: 'Most downloads',
  likes: 'Most likes',
  updated: 'Recently updated',
  trending: 'Trending',
}

export function defaultQuery(): CatalogQuery {
  return { q: '', sort: 'downloads', author: null, arch: [], bits: [], capability: [], minSize: null, maxSize: null, fits: false }
}

export function filtersOf(query: CatalogQuery): CatalogFilters {
  return {
    arch: query.arch,
    bits: query.bits,
    capability: query.capability,
    minSize: query.minSize ?? undefined,
    maxSize: query.maxSize ?? undefined,
    fits: query.fits ? true : undefined,
  }
}

/** How many filters are on (each list counts once), for the Filters button's badge. */
export function activeFilterCount(query: CatalogQuery): number {
  return [query.arch.length > 0, query.bits.length > 0, query.capability.length > 0, query.minSize !== null || query.maxSize !== null, query.fits].filter(Boolean).length
}

export function queryHasFilters(query: CatalogQuery): boolean {
  return hasFilters(filtersOf(query))
}

export function withoutFilters(query: CatalogQuery): CatalogQuery {
  return { ...query, arch: [], bits: [], capability: [], minSize: null, maxSize: null, fits: false }
}

/** The search text as the server accepts it. */
export function cleanText(q: string): string {
  return q.trim().slice(0, CATALOG_QUERY_MAX_LENGTH)
}

/** `GET /api/catalog/search` parameters; empty values are left out so equal searches share the server's cache. */
export function toSearchParams(query: CatalogQuery, cursor: string | null): Record<string, string> {
  const params: Record<string, string> = { sort: query.sort, ...filtersToQuery(filtersOf(query)) }
  const q = cleanText(query.q)
  if (q !== '') params.q = q
  if (query.author !== null) params.author = query.author
  if (cursor !== null) params.cursor = cursor
  return params
}

/** A stable key for a query, to tell whether results on screen still answer it. */
export function queryKey(query: CatalogQuery): string {
  return JSON.stringify(toSearchParams(query, null))
}

/** Lists are kept in a fixed order so that toggling chips in any order gives the same search. */
export function toggle<T>(list: readonly T[], value: T, order: readonly T[]): T[] {
  const next = list.includes(value) ? list.filter((item) => item !== value) : [...list, value]
  return order.filter((item) => next.includes(item))
}
