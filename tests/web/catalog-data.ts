import type { CatalogModel, CatalogPage, CatalogSystem, ModelDetails } from '../../shared/catalog'
import { recorded } from './catalog-responses'

/*
 * Real answers of the manager's catalog routes, recorded against the local hub fixture
 * (tests/fixtures/hub) by scripts/record-catalog-fixtures.ts: two pages of `GET /api/catalog/search`,
 * a filtered search that matched nothing, the trending list, model pages and `GET /api/catalog/system`.
 */

/** A fresh copy each time, so a test that changes one cannot leak into another. */
function copy<T>(value: T): T {
  return structuredClone(value)
}

export const page1 = (): CatalogPage => copy(recorded.page1)
export const page2 = (): CatalogPage => copy(recorded.page2)
export const emptyFiltered = (): CatalogPage => copy(recorded.emptyFiltered)
export const trending = (): CatalogPage => copy(recorded.trending)
export const qwen3Details = (): ModelDetails => copy(recorded.qwen3Details)
export const gemma3Details = (): ModelDetails => copy(recorded.gemma3Details)
export const unsafeCardDetails = (): ModelDetails => copy(recorded.unsafeCardDetails)
export const system = (): CatalogSystem => copy(recorded.system)

/** Every distinct model of the recorded lists. */
export function allModels(): CatalogModel[] {
  const byId = new Map<string, CatalogModel>()
  for (const page of [page1(), page2(), trending()]) for (const model of page.models) byId.set(model.id, model)
  return [...byId.values()]
}

export function model(id: string): CatalogModel {
  const found = allModels().find((candidate) => candidate.id === id)
  if (found === undefined) throw new Error(`${id} is not in the recorded lists.`)
  return found
}
