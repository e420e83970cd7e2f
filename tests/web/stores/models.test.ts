import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { readSnapshot } from '../../../web/src/db/snapshots'
import { LIBRARY_RELOAD_DELAY_MS, useLibraryStore } from '../../../web/src/features/models/store'
import { failure, fakeServer, json, makeLocalModel } from '../helpers'

const QWEN = 'mlx-community/Qwen3-4B-4bit'
const GEMMA = 'mlx-community/gemma-3-4b-it-4bit'

function library(ids: string[] = [QWEN, GEMMA]) {
  return fakeServer({
    'GET /api/models': () => json(ids.map((id) => makeLocalModel({ id }))),
    [`DELETE /api/models/${QWEN}`]: () => new Response(null, { status: 204 }),
  })
}

const shown = (store: ReturnType<typeof useLibraryStore>) => store.models.map((model) => model.id)

afterEach(() => {
  vi.useRealTimers()
})

describe('library store: loading', () => {
  it('loads the models in the cache', async () => {
    library()
    const store = useLibraryStore()
    expect(store.models).toEqual([])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(shown(store)).toEqual([QWEN, GEMMA])
  })

  it('offline, a fresh page shows the models last saved on this device as "library"', async () => {
    const server = library([QWEN])
    await useLibraryStore().load()
    await vi.waitFor(async () => expect((await readSnapshot('library'))?.value).toHaveLength(1))
    setActivePinia(createPinia())
    server.offline()
    const store = useLibraryStore()
    await store.load()
    expect(store.fromDevice).toBe(true)
    expect(shown(store)).toEqual([QWEN])
  })

  it('says why the models could not be loaded', async () => {
    fakeServer({ 'GET /api/models': () => failure(500, 'internal', 'The cache cannot be read.') })
    const store = useLibraryStore()
    await store.load()
    expect(store.loaded).toBe(false)
    expect(store.loadError).toBe('The cache cannot be read.')
  })

  it('catches up after the stream reopens only once the list was loaded', async () => {
    const server = library()
    const store = useLibraryStore()
    await store.catchUp()
    expect(server.calls).toEqual([])
    await store.load()
    await store.catchUp()
    expect(server.callsTo('GET /api/models')).toHaveLength(2)
  })
})

describe('library store: reloading on change', () => {
  it('reloads once, after the delay, for a burst of changes', async () => {
    vi.useFakeTimers()
    const server = library([QWEN])
    const store = useLibraryStore()
    await store.load()
    server.on('GET /api/models', () => json([makeLocalModel({ id: QWEN }), makeLocalModel({ id: GEMMA })]))
    store.changed()
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS - 1)
    store.changed()
    expect(server.callsTo('GET /api/models')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await vi.waitFor(() => expect(shown(store)).toEqual([QWEN, GEMMA]))
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS * 2)
    expect(server.callsTo('GET /api/models')).toHaveLength(2)
    // A change after that reload schedules another.
    store.changed()
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS)
    expect(server.callsTo('GET /api/models')).toHaveLength(3)
  })

  it('does not reload a list that was never shown', async () => {
    vi.useFakeTimers()
    const server = library()
    const store = useLibraryStore()
    store.changed()
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS * 2)
    expect(server.calls).toEqual([])
  })

  it('forgets the list and a planned reload on reset', async () => {
    vi.useFakeTimers()
    const server = library()
    const store = useLibraryStore()
    await store.load()
    store.changed()
    store.reset()
    expect(store.models).toEqual([])
    expect(store.loaded).toBe(false)
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS * 2)
    expect(server.callsTo('GET /api/models')).toHaveLength(1)
    // Loaded again, a change reloads as before.
    await store.load()
    store.changed()
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS)
    expect(server.callsTo('GET /api/models')).toHaveLength(3)
  })
})

describe('library store: deleting', () => {
  it('deletes through DELETE /api/models/:org/:name and drops only that model', async () => {
    const server = library()
    const store = useLibraryStore()
    await store.load()
    await store.remove(QWEN)
    expect(server.callsTo(`DELETE /api/models/${QWEN}`)).toHaveLength(1)
    expect(shown(store)).toEqual([GEMMA])
  })

  it('refuses an id that is not org/name without calling the manager', async () => {
    const server = library()
    const store = useLibraryStore()
    for (const id of ['../etc', 'no-slash', 'a/b/c', './x']) {
      await expect(store.remove(id)).rejects.toMatchObject({
        code: 'invalid-model-id',
        message: 'A model id is org/name, such as mlx-community/Qwen3-4B-4bit.',
        status: 400,
      })
    }
    expect(server.calls).toEqual([])
  })

  it('keeps the model when the manager refuses to delete it', async () => {
    const server = library()
    server.on(`DELETE /api/models/${GEMMA}`, () => failure(409, 'model-in-use', 'A running server uses this model.'))
    const store = useLibraryStore()
    await store.load()
    await expect(store.remove(GEMMA)).rejects.toMatchObject({ code: 'model-in-use', message: 'A running server uses this model.' })
    expect(shown(store)).toEqual([QWEN, GEMMA])
  })
})
