import { describe, expect, it, vi } from 'vitest'
import { db } from '../../web/src/db/database'
import { contextSteps, defaultContextFor } from '../../web/src/features/catalog/fit'
import { NOT_SAVED_CODE, useCatalogModelStore } from '../../web/src/features/catalog/model-store'
import { readDetails, saveDetails, savePage } from '../../web/src/features/catalog/repository'
import { OFFLINE_SENTENCE } from '../../web/src/features/catalog/sources'
import { gemma3Details, page1, qwen3Details, system } from './catalog-data'
import { handAnsweredFetch } from './hand-answered-fetch'
import { failure, fakeServer, json } from './helpers'

const QWEN3 = 'mlx-community/Qwen3-8B-4bit'
const GEMMA3 = gemma3Details().id
const LISTED_ONLY = 'mlx-community/gemma-3-12b-it-4bit'
const pageOf = (id: string) => `/api/catalog/models/${id}`
const SYSTEM = '/api/catalog/system'
const rateLimited = () => failure(429, 'hub-rate-limited', 'The HuggingFace Hub is limiting requests from this machine; try again in 30 s.', { 'retry-after': '30' })

/** The manager's model routes for Qwen3 and Gemma 3, and this machine's budget. */
function modelServer() {
  return fakeServer({
    [`GET ${pageOf(QWEN3)}`]: () => json(qwen3Details()),
    [`GET ${pageOf(GEMMA3)}`]: () => json(gemma3Details()),
    [`GET ${SYSTEM}`]: () => json(system()),
  })
}

function goOffline(): void {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
}

describe('model page before a model opens', () => {
  it('has no model and no fit, offers the slider for an unknown maximum at 8K, and loads nothing', () => {
    const store = useCatalogModelStore()
    expect(store.model).toBeNull()
    expect(store.fit).toBeNull()
    expect(store.steps).toEqual(contextSteps(null))
    expect(store.context).toBe(8192)
    expect(store.modelLoading).toBe(false)
    expect(store.modelSource).toBe('hub')
  })
})

describe('model page fit', () => {
  it('measures against the budget the model came with when this machine’s is unknown', async () => {
    const server = modelServer()
    server.on(`GET ${SYSTEM}`, () => failure(500, 'internal', 'Something went wrong.'))
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    expect(store.fitBudget).toBeNull()
    expect(store.fit?.budgetBytes).toBe(qwen3Details().fit?.budgetBytes)
    expect(store.fit?.budgetBytes).not.toBe(system().budgetBytes)
  })

  it('has no fit when no budget is known at all', async () => {
    const server = modelServer()
    server.on(`GET ${pageOf(QWEN3)}`, () => json({ ...qwen3Details(), fit: null }))
    server.on(`GET ${SYSTEM}`, () => failure(500, 'internal', 'Something went wrong.'))
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    expect(store.model?.id).toBe(QWEN3)
    expect(store.fit).toBeNull()
  })

  it('keeps the budget it had when this machine’s cannot be read for the next model', async () => {
    const server = modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    server.on(`GET ${SYSTEM}`, () => failure(500, 'internal', 'Something went wrong.'))
    await store.openModel(GEMMA3)
    expect(store.fitBudget?.budgetBytes).toBe(system().budgetBytes)
    expect(store.fit?.budgetBytes).toBe(system().budgetBytes)
  })

  it('keeps the slider where it was when the same model opens again, and starts another model at its own default', async () => {
    modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    store.setContext(32768)
    await store.openModel(QWEN3)
    expect(store.context).toBe(32768)
    await store.openModel(GEMMA3)
    expect(store.context).toBe(defaultContextFor(gemma3Details().contextLength))
    expect(store.context).not.toBe(32768)
  })
})

describe('model page while the manager answers', () => {
  it('shows loading, and not the model it showed before', async () => {
    modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    const hub = handAnsweredFetch()
    const opening = store.openModel(GEMMA3)
    expect(store.modelLoading).toBe(true)
    expect(store.model).toBeNull()
    expect(store.modelSyncedAt).toBeNull()
    // The budget is known from the model before, but there is nothing to measure yet.
    expect(store.fitBudget?.budgetBytes).toBe(system().budgetBytes)
    expect(store.fit).toBeNull()
    await (await hub.waiting(pageOf(GEMMA3))).answer(json(gemma3Details()))
    await (await hub.waiting(SYSTEM)).answer(json(system()))
    await opening
    expect(store.model?.id).toBe(GEMMA3)
    expect(store.modelLoading).toBe(false)
  })

  it('shows this device’s copy at once, as the page (no offline notice), then the manager’s answer', async () => {
    await saveDetails({ ...qwen3Details(), readme: 'The card as it was.' }, '2026-03-01T10:00:00.000Z', system())
    const hub = handAnsweredFetch()
    const store = useCatalogModelStore()
    const opening = store.openModel(QWEN3)
    const request = await hub.waiting(pageOf(QWEN3))
    expect(store.details?.readme).toBe('The card as it was.')
    expect(store.modelSyncedAt).toBe('2026-03-01T10:00:00.000Z')
    expect(store.modelSource).toBe('hub')
    expect(store.modelLoading).toBe(true)
    await request.answer(json(qwen3Details()))
    await (await hub.waiting(SYSTEM)).answer(json(system()))
    await opening
    expect(store.details?.readme).toBe(qwen3Details().readme)
    expect(store.modelSyncedAt).not.toBe('2026-03-01T10:00:00.000Z')
  })

  it('a quiet open keeps the loading state off', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogModelStore()
    const opening = store.openModel(QWEN3, { quiet: true })
    expect(store.modelLoading).toBe(false)
    await (await hub.waiting(pageOf(QWEN3))).answer(json(qwen3Details()))
    await (await hub.waiting(SYSTEM)).answer(json(system()))
    await opening
    expect(store.model?.id).toBe(QWEN3)
  })
})

describe('model page when the person moves on', () => {
  it('does not show this device’s copy of a model the person already left', async () => {
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    const hub = handAnsweredFetch()
    const store = useCatalogModelStore()
    const left = store.openModel(QWEN3)
    const opening = store.openModel(GEMMA3)
    const request = await hub.waiting(pageOf(GEMMA3))
    // Checked before awaiting the first open: had it gone on, it would wait for an answer that never comes.
    expect(store.model).toBeNull()
    expect(hub.to(pageOf(QWEN3))).toEqual([])
    await left
    await request.answer(json(gemma3Details()))
    await (await hub.waiting(SYSTEM)).answer(json(system()))
    await opening
    expect(store.model?.id).toBe(GEMMA3)
  })

  it('drops the manager’s answer for a model the person left, and stays loading for the newer one', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogModelStore()
    const left = store.openModel(QWEN3)
    const leftPage = await hub.waiting(pageOf(QWEN3))
    const leftSystem = await hub.waiting(SYSTEM)
    const opening = store.openModel(GEMMA3)
    const page = await hub.waiting(pageOf(GEMMA3))
    await leftPage.answer(json(qwen3Details()))
    await leftSystem.answer(json(system()))
    await left
    expect(store.model).toBeNull()
    expect(store.modelLoading).toBe(true)
    await page.answer(json(gemma3Details()))
    await (await hub.waiting(SYSTEM)).answer(json(system()))
    await opening
    expect(store.model?.id).toBe(GEMMA3)
    expect(store.modelLoading).toBe(false)
  })

  it('shows no error for a model the person left', async () => {
    const hub = handAnsweredFetch()
    const store = useCatalogModelStore()
    const left = store.openModel('mlx-community/nope')
    const leftPage = await hub.waiting(pageOf('mlx-community/nope'))
    const opening = store.openModel(QWEN3)
    await (await hub.waiting(pageOf(QWEN3))).answer(json(qwen3Details()))
    await leftPage.answer(failure(404, 'model-not-found', 'There is no model mlx-community/nope on the hub.'))
    await left
    for (const request of hub.requests.filter((held) => held.path === SYSTEM)) await request.answer(json(system()))
    await opening
    expect(store.modelError).toBeNull()
    expect(store.model?.id).toBe(QWEN3)
  })

  it('offline, a model never saved says so even when the model before it was being reread from this device', async () => {
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    fakeServer()
    goOffline()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    expect(store.details?.id).toBe(QWEN3)
    const rereading = store.openModel(QWEN3)
    const opening = store.openModel('mlx-community/never-seen')
    await Promise.all([rereading, opening])
    expect(store.model).toBeNull()
    expect(store.modelError?.code).toBe(NOT_SAVED_CODE)
  })
})

describe('model page failures', () => {
  it('replaces the page with the manager’s error when opening it again fails', async () => {
    const server = modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    server.on(`GET ${pageOf(QWEN3)}`, rateLimited)
    await store.openModel(QWEN3)
    expect(store.model).toBeNull()
    expect(store.modelError).toEqual({ code: 'hub-rate-limited', message: expect.stringContaining('30 s') as string, retryAfterSeconds: 30 })
  })

  it('offline, keeps the page on screen when this device has no copy of it', async () => {
    modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    await vi.waitFor(async () => expect(await readDetails(QWEN3)).not.toBeNull())
    // The copy is gone (a full or cleared IndexedDB), but the page on screen is still right.
    await Promise.all([db.catalogDetails.clear(), db.catalogModels.clear()])
    goOffline()
    await store.openModel(QWEN3)
    expect(store.details?.id).toBe(QWEN3)
    expect(store.modelError).toBeNull()
    expect(store.modelOfflineReason).toBe(OFFLINE_SENTENCE)
  })
})

describe('model page refreshed quietly', () => {
  it('asks nothing when the page is the manager’s own answer', async () => {
    const server = modelServer()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    await store.refreshQuietly()
    expect(server.callsTo(`GET ${pageOf(QWEN3)}`)).toHaveLength(1)
  })

  it('keeps this device’s page, with no error, when the refresh fails for another reason than being offline', async () => {
    await saveDetails(qwen3Details(), '2026-03-01T10:00:00.000Z', system())
    const server = modelServer()
    server.offline()
    const store = useCatalogModelStore()
    await store.openModel(QWEN3)
    expect(store.modelSource).toBe('device')
    server.online()
    server.on(`GET ${pageOf(QWEN3)}`, rateLimited)
    await store.refreshQuietly()
    expect(server.callsTo(`GET ${pageOf(QWEN3)}`)).toHaveLength(2)
    expect(store.details?.id).toBe(QWEN3)
    expect(store.modelSource).toBe('device')
    expect(store.modelError).toBeNull()
  })

  it('shows the failure of a refresh of a page known only from the list', async () => {
    await savePage(page1())
    const server = modelServer()
    server.offline()
    const store = useCatalogModelStore()
    await store.openModel(LISTED_ONLY)
    expect([store.details, store.model?.id, store.modelSource]).toEqual([null, LISTED_ONLY, 'device'])
    server.online()
    server.on(`GET ${pageOf(LISTED_ONLY)}`, rateLimited)
    await store.refreshQuietly()
    expect(store.modelError?.code).toBe('hub-rate-limited')
  })
})
