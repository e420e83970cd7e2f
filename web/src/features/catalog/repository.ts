import type { CatalogModel, ModelDetails } from '../../../../shared/catalog'
import type { MemoryBudget } from '../../../../shared/memory-fit'
import { db, type CatalogModelRow } from '../../db/database'
import { decodeIndex, encodeIndex, entryOf, mergeEntries, type IndexEntry } from './local-search'

/**
 * What this device keeps of the catalog: every model listed (with a compact search index over
 * them), every model page opened, and the last memory budget, each with when it was synced.
 */

const INDEX_KEY = 'models'
const BUDGET_KEY = 'budget'
/** Model pages carry a README each, so only the most recently opened are kept. */
export const MAX_SAVED_PAGES = 200

export interface SavedBudget {
  budget: MemoryBudget
  syncedAt: string
}

/** The search-result part of a model page, without its files and README. */
export function summaryOf(d: ModelDetails): CatalogModel {
  return {
    id: d.id,
    author: d.author,
    name: d.name,
    sha: d.sha,
    downloads: d.downloads,
    likes: d.likes,
    lastModified: d.lastModified,
    gated: d.gated,
    pipelineTag: d.pipelineTag,
    tags: d.tags,
    license: d.license,
    family: d.family,
    modelType: d.modelType,
    bits: d.bits,
    groupSize: d.groupSize,
    capabilities: d.capabilities,
    parameters: d.parameters,
    weightsBytes: d.weightsBytes,
    contextLength: d.contextLength,
    architecture: d.architecture,
    fit: d.fit,
    guessed: d.guessed,
    guessedFields: d.guessedFields,
  }
}

const later = (a: string | undefined, b: string): string => (a !== undefined && a > b ? a : b)

/** Saves listed models and adds them to the search index, in one transaction so saves never lose each other's entries. */
async function saveModels(models: readonly CatalogModel[], syncedAt: string, trendingStart: number | null, budget: MemoryBudget | null): Promise<void> {
  await db.transaction('rw', db.catalogModels, db.catalogIndex, db.catalogMeta, async () => {
    const existing = new Map((await db.catalogModels.bulkGet(models.map((model) => model.id))).flatMap((row) => (row === undefined ? [] : [[row.id, row] as const])))
    const rows: CatalogModelRow[] = models.map((model, i) => ({
      id: model.id,
      model,
      syncedAt,
      trendingRank: trendingStart === null ? (existing.get(model.id)?.trendingRank ?? null) : trendingStart + i,
    }))
    await db.catalogModels.bulkPut(rows)
    const index = await db.catalogIndex.get(INDEX_KEY)
    const merged = mergeEntries(index === undefined ? [] : decodeIndex(index), rows.map((row) => entryOf(row.model, row.trendingRank)))
    await db.catalogIndex.put({ key: INDEX_KEY, ...encodeIndex(merged) })
    if (budget !== null) {
      const saved = await db.catalogMeta.get(BUDGET_KEY)
      // A slow answer that arrives late must not replace a newer budget.
      if (saved === undefined || saved.syncedAt <= syncedAt) await db.catalogMeta.put({ key: BUDGET_KEY, budget, syncedAt })
    }
  })
}

/**
 * One page of search results. `trendingStart` is the hub position of its first model when the page
 * comes from the trending list, so the offline catalog can sort by trend as the hub did.
 */
export function savePage(page: { models: CatalogModel[]; budget: MemoryBudget; fetchedAt: string }, trendingStart: number | null = null): Promise<void> {
  return saveModels(page.models, page.fetchedAt, trendingStart, page.budget)
}

export async function saveDetails(details: ModelDetails, syncedAt: string, budget: MemoryBudget | null = null): Promise<void> {
  await db.catalogDetails.put({ id: details.id, details, syncedAt })
  await saveModels([summaryOf(details)], syncedAt, null, budget)
  const extra = (await db.catalogDetails.count()) - MAX_SAVED_PAGES
  if (extra > 0) {
    const oldest = await db.catalogDetails.orderBy('syncedAt').limit(extra).primaryKeys()
    await db.catalogDetails.bulkDelete(oldest)
  }
}

export async function readDetails(id: string): Promise<{ details: ModelDetails; syncedAt: string } | null> {
  const row = await db.catalogDetails.get(id)
  return row === undefined ? null : { details: row.details, syncedAt: row.syncedAt }
}

export async function readSummary(id: string): Promise<{ model: CatalogModel; syncedAt: string } | null> {
  const row = await db.catalogModels.get(id)
  return row === undefined ? null : { model: row.model, syncedAt: row.syncedAt }
}

/** Full models for ids, in the order asked; ids no longer saved are skipped. */
export async function readModels(ids: readonly string[]): Promise<CatalogModel[]> {
  const rows = await db.catalogModels.bulkGet([...ids])
  return rows.flatMap((row) => (row === undefined ? [] : [row.model]))
}

export async function readIndex(): Promise<IndexEntry[]> {
  const row = await db.catalogIndex.get(INDEX_KEY)
  return row === undefined ? [] : decodeIndex(row)
}

export async function readBudget(): Promise<SavedBudget | null> {
  const row = await db.catalogMeta.get(BUDGET_KEY)
  return row === undefined || row.budget === null ? null : { budget: row.budget, syncedAt: row.syncedAt }
}

/** When the newest thing this device saved from the catalog was fetched; null when nothing was. */
export async function lastSynced(): Promise<string | null> {
  const [budget, newestModel, newestPage] = await Promise.all([
    db.catalogMeta.get(BUDGET_KEY),
    db.catalogModels.orderBy('syncedAt').last(),
    db.catalogDetails.orderBy('syncedAt').last(),
  ])
  const times = [budget?.syncedAt, newestModel?.syncedAt, newestPage?.syncedAt].filter((time): time is string => time !== undefined)
  return times.length === 0 ? null : times.reduce((a, b) => later(a, b))
}
