// The offline catalog with 5,000 models saved on this device: opening it (the first page of results)
// and applying filters, through the real catalog store and IndexedDB repository, against baselines
// measured in this run over the same data. Run: `bun bench/catalog-offline.ts`.
//
// IndexedDB is fake-indexeddb here (an in-process implementation, slower per record than a
// browser's), so the figures are an upper bound for the browser. Baselines:
// - "array": a plain Array.filter + sort over the 5,000 models already in memory (the floor);
// - "rows": reading every saved model row from IndexedDB and filtering those, which is what the
//   compact column index exists to avoid.
import 'fake-indexeddb/auto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createPinia, setActivePinia } from 'pinia'
import { CATALOG_PAGE_SIZE, matchesFilters, type CatalogModel } from '../shared/catalog'
import { CHROMIUM, runInChromium } from './browser'
import { percentile } from './lib'

// The store must see an offline browser; Bun's navigator has no onLine.
Object.defineProperty(globalThis.navigator, 'onLine', { configurable: true, get: () => false })

const { db } = await import('../web/src/db/database')
const { savePage } = await import('../web/src/features/catalog/repository')
const { useCatalogStore } = await import('../web/src/features/catalog/store')
const { filtersOf, defaultQuery } = await import('../web/src/features/catalog/query')
const { recorded: responses } = await import('../tests/web/catalog-responses')

const MODELS = 5000
const RUNS = 25
/** The target for opening the catalog offline and for applying a filter. */
const TARGET_MS = 100

/** 5,000 models shaped like the recorded hub answers, each with its own id, counts, date and size. */
function makeModels(): CatalogModel[] {
  const shapes = [responses.page1, responses.page2].flatMap((page) => page.models)
  const authors = ['mlx-community', 'lmstudio-community', 'unsloth', 'NexVeridian', 'bartowski']
  return Array.from({ length: MODELS }, (_, i) => {
    const shape = shapes[i % shapes.length]
    if (shape === undefined) throw new Error('No recorded models to copy.')
    const author = authors[i % authors.length] ?? 'mlx-community'
    const name = `${shape.name}-v${i}`
    const scale = 0.5 + ((i * 7919) % 1000) / 500
    const weightsBytes = shape.weightsBytes === null ? null : Math.round(shape.weightsBytes * scale)
    return {
      ...structuredClone(shape),
      id: `${author}/${name}`,
      author,
      name,
      downloads: (i * 104729) % 250_000,
      likes: (i * 31) % 900,
      lastModified: new Date(Date.UTC(2024, 0, 1) + ((i * 86_400_000 * 7) % (700 * 86_400_000))).toISOString(),
      weightsBytes,
      fit: shape.fit === null || weightsBytes === null ? null : { ...shape.fit, weightsBytes, totalBytes: weightsBytes + shape.fit.kvCacheBytes },
    }
  })
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: percentile(sorted, 50), p95: percentile(sorted, 95) }
}

async function measure(runs: number, run: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  // Warm-up: the JIT and module state, not IndexedDB caches (there are none to warm).
  for (let i = 0; i < 3; i++) await run()
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    // Garbage left by the previous run (the rows baseline makes plenty) is collected outside the timing.
    Bun.gc(true)
    const start = performance.now()
    await run()
    times.push(performance.now() - start)
  }
  return stats(times)
}

const ms = (value: number) => `${value.toFixed(1).padStart(7)} ms`

const models = makeModels()
const budget = responses.page1.budget
console.log(`Saving ${MODELS} models into IndexedDB (fake-indexeddb) through the catalog repository…`)
const saveStart = performance.now()
for (let i = 0; i < models.length; i += 500) {
  await savePage({ models: models.slice(i, i + 500), budget, fetchedAt: new Date().toISOString() })
}
console.log(`  saved in ${(performance.now() - saveStart).toFixed(0)} ms (${await db.catalogModels.count()} rows)\n`)

const filters = {
  'open (no filter, by downloads)': {},
  'text "qwen3 8b"': { q: 'qwen3 8b' },
  '4-bit + tools': { bits: [4], capability: ['tools'] },
  'fits this machine, by likes': { fits: true, sort: 'likes' },
  'vision, 2 – 8 GB': { capability: ['vision'], minSize: 2 * 1024 ** 3, maxSize: 8 * 1024 ** 3 },
  'rare: 3-bit phi (few matches)': { bits: [3], arch: ['phi'] },
} as const

const baseQuery = defaultQuery()
let failed = false
console.log('first page of results                  store (ours)        array baseline      rows baseline     ours/array  ours/rows')
for (const [label, change] of Object.entries(filters)) {
  const query = { ...baseQuery, ...change } as typeof baseQuery
  const isOpen = Object.keys(change).length === 0

  // Ours: a fresh store each time (nothing cached in memory), as a page opening the catalog offline.
  let shown = 0
  const ours = await measure(RUNS, async () => {
    setActivePinia(createPinia())
    const store = useCatalogStore()
    if (isOpen) await store.search()
    else await store.setQuery(change as Partial<typeof baseQuery>)
    shown = store.results.length
    if (store.source !== 'device') throw new Error('The store did not search this device.')
  })

  // Floor: the same models already in memory, filtered with shared/catalog and sorted.
  const array = await measure(RUNS, () => {
    const words = query.q.toLowerCase().split(/\s+/).filter(Boolean)
    const key = (m: CatalogModel) => (query.sort === 'likes' ? m.likes : m.downloads)
    const page = models
      .filter((m) => words.every((w) => m.id.toLowerCase().includes(w)) && matchesFilters(m, filtersOf(query)))
      .sort((a, b) => key(b) - key(a))
      .slice(0, CATALOG_PAGE_SIZE)
    return Promise.resolve(page)
  })

  // Without the index: every full row out of IndexedDB, then the same filter.
  const rows = await measure(Math.min(RUNS, 8), async () => {
    const all = await db.catalogModels.toArray()
    const words = query.q.toLowerCase().split(/\s+/).filter(Boolean)
    return all
      .map((row) => row.model)
      .filter((m) => words.every((w) => m.id.toLowerCase().includes(w)) && matchesFilters(m, filtersOf(query)))
      .slice(0, CATALOG_PAGE_SIZE)
  })

  const ok = ours.p95 < TARGET_MS
  failed ||= !ok
  console.log(
    `${ok ? 'ok  ' : 'MISS'} ${label.padEnd(34)} ${ms(ours.median)} (p95 ${ms(ours.p95).trim()})  ${ms(array.median)}  ${ms(rows.median)}   ${(ours.median / array.median).toFixed(1).padStart(6)}×   ${(ours.median / rows.median).toFixed(2).padStart(6)}×   ${shown} shown`,
  )
}
console.log(`\nTarget: under ${TARGET_MS} ms each (p95 of ${RUNS} runs, each with a fresh store reading IndexedDB).`)

// The same store and repository bundled for the browser and run in Chromium's own IndexedDB.
if (existsSync(CHROMIUM)) {
  console.log('\nIn Chromium (real IndexedDB), same 5,000 models:')
  const rows = await inChromium(models, budget, filters)
  for (const row of rows) {
    const ok = row.p95 < TARGET_MS
    failed ||= !ok
    console.log(`${ok ? 'ok  ' : 'MISS'} ${row.label.padEnd(34)} ${ms(row.median)} (p95 ${ms(row.p95).trim()})  array ${ms(row.array).trim()}  ours/array ${(row.median / row.array).toFixed(1)}×  ${row.shown} shown`)
  }
} else {
  console.log(`\nNo Chromium at ${CHROMIUM}: the browser run is skipped.`)
}
if (failed) process.exitCode = 1

interface BrowserRow {
  label: string
  median: number
  p95: number
  array: number
  shown: number
}

/**
 * Bundles a small page that saves the models through the repository and times the store's offline
 * search, serves it on loopback, and runs it in headless Chromium.
 */
async function inChromium(data: CatalogModel[], memory: NonNullable<typeof budget>, cases: Record<string, object>): Promise<BrowserRow[]> {
  const web = join(import.meta.dir, '..', 'web', 'src')
  const source = `import { createPinia, setActivePinia } from 'pinia'
import { matchesFilters } from ${JSON.stringify(join(import.meta.dir, '..', 'shared', 'catalog.ts'))}
import { savePage } from ${JSON.stringify(join(web, 'features', 'catalog', 'repository.ts'))}
import { useCatalogStore } from ${JSON.stringify(join(web, 'features', 'catalog', 'store.ts'))}
import { defaultQuery, filtersOf } from ${JSON.stringify(join(web, 'features', 'catalog', 'query.ts'))}
Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false })
const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] }
window.runBench = async ({ models, budget, cases, runs }) => {
  for (let i = 0; i < models.length; i += 500) await savePage({ models: models.slice(i, i + 500), budget, fetchedAt: new Date().toISOString() })
  const out = []
  for (const [label, change] of Object.entries(cases)) {
    const times = []
    let shown = 0
    for (let i = 0; i < runs + 3; i++) {
      const start = performance.now()
      setActivePinia(createPinia())
      const store = useCatalogStore()
      if (Object.keys(change).length === 0) await store.search()
      else await store.setQuery(change)
      shown = store.results.length
      if (i >= 3) times.push(performance.now() - start)
    }
    const query = { ...defaultQuery(), ...change }
    const arrayTimes = []
    for (let i = 0; i < runs; i++) {
      const start = performance.now()
      const words = query.q.toLowerCase().split(/\\s+/).filter(Boolean)
      const key = (m) => (query.sort === 'likes' ? m.likes : m.downloads)
      models.filter((m) => words.every((w) => m.id.toLowerCase().includes(w)) && matchesFilters(m, filtersOf(query))).sort((a, b) => key(b) - key(a)).slice(0, 20)
      arrayTimes.push(performance.now() - start)
    }
    out.push({ label, median: pct(times, 50), p95: pct(times, 95), array: pct(arrayTimes, 50), shown })
  }
  return out
}
`
  const define = { 'process.env.NODE_ENV': '"production"', __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' }
  return runInChromium<{ models: CatalogModel[]; budget: typeof memory; cases: Record<string, object>; runs: number }, BrowserRow[]>(
    'catalog-offline',
    source,
    { models: data, budget: memory, cases, runs: RUNS },
    define,
  )
}
