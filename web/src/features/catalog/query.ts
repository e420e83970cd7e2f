import {
  ARCH_FAMILIES,
  CAPABILITIES,
  CATALOG_QUERY_MAX_LENGTH,
  CATALOG_SORTS,
  QUANT_BITS,
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

// --- The query in the address bar ------------------------------------------------------------------

/** What a route's query holds, as vue-router hands it over. */
export type RouteQuery = Record<string, string | null | (string | null)[] | undefined>

const GIB = 1024 ** 3
/** The parameter names the catalog owns in its address; anything else in the URL is left alone. */
const URL_KEYS = ['q', 'sort', 'author', 'arch', 'bits', 'capability', 'min', 'max', 'fits'] as const

/** Sizes are typed in GB, so the address carries GB too ("min=4&max=8.5"), not byte counts. */
const toGb = (bytes: number) => String(Math.round((bytes / GIB) * 10) / 10)

/**
 * The query as address parameters, to share, bookmark or come back to: only what differs from the
 * defaults, lists comma-joined in their fixed order, e.g. `?q=qwen3&bits=4,8&fits=1`.
 */
export function toRouteQuery(query: CatalogQuery): Record<string, string> {
  const out: Record<string, string> = {}
  const q = query.q.slice(0, CATALOG_QUERY_MAX_LENGTH)
  if (q.trim() !== '') out.q = q
  if (query.sort !== defaultQuery().sort) out.sort = query.sort
  if (query.author !== null) out.author = query.author
  if (query.arch.length > 0) out.arch = query.arch.join(',')
  if (query.bits.length > 0) out.bits = query.bits.join(',')
  if (query.capability.length > 0) out.capability = query.capability.join(',')
  if (query.minSize !== null) out.min = toGb(query.minSize)
  if (query.maxSize !== null) out.max = toGb(query.maxSize)
  if (query.fits) out.fits = '1'
  return out
}

function first(value: RouteQuery[string]): string | null {
  const one = Array.isArray(value) ? value[0] : value
  return typeof one === 'string' ? one : null
}

/** The known values of a comma list, in the list's fixed order; unknown ones (a mistyped link) are dropped. */
function listOf<T extends string | number>(value: RouteQuery[string], allowed: readonly T[]): T[] {
  const given = new Set((first(value) ?? '').split(',').map((part) => part.trim()))
  return allowed.filter((item) => given.has(String(item)))
}

function sizeOf(value: RouteQuery[string]): number | null {
  const text = first(value)
  if (text === null || text.trim() === '') return null
  const gb = Number(text)
  return Number.isFinite(gb) && gb >= 0 ? Math.round(gb * GIB) : null
}

/** Reads a query back from the address; what is missing or not understood takes its default. */
export function fromRouteQuery(route: RouteQuery): CatalogQuery {
  const defaults = defaultQuery()
  const sort = first(route.sort)
  const author = first(route.author)?.trim() ?? ''
  const validAuthor = /^[A-Za-z0-9][\w.-]{0,95}$/.test(author)
  const fits = first(route.fits)
  let minSize = sizeOf(route.min)
  let maxSize = sizeOf(route.max)
  if (minSize !== null && maxSize !== null && minSize > maxSize) [minSize, maxSize] = [maxSize, minSize]
  return {
    q: (first(route.q) ?? '').slice(0, CATALOG_QUERY_MAX_LENGTH),
    sort: (CATALOG_SORTS as readonly string[]).includes(sort ?? '') ? (sort as CatalogSort) : defaults.sort,
    author: validAuthor ? author : null,
    arch: listOf(route.arch, ARCH_FAMILIES),
    bits: listOf(route.bits, QUANT_BITS),
    capability: listOf(route.capability, CAPABILITIES),
    minSize,
    maxSize,
    fits: fits === '1' || fits === 'true',
  }
}

/** Whether the address says anything about the catalog query (a bare /catalog does not). */
export function routeHasQuery(route: RouteQuery): boolean {
  return URL_KEYS.some((key) => route[key] !== undefined)
}

/** Whether two queries would show the same address. */
export function sameRouteQuery(a: CatalogQuery, b: CatalogQuery): boolean {
  return JSON.stringify(toRouteQuery(a)) === JSON.stringify(toRouteQuery(b))
}
