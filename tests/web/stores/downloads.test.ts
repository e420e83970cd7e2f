import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import type { Download, DownloadFile } from '../../../shared/downloads'
import { readSnapshot } from '../../../web/src/db/snapshots'
import { orderDownloads, useDownloadsStore } from '../../../web/src/features/downloads/store'
import { failure, fakeServer, json, makeDownload } from '../helpers'

const MODEL = 'mlx-community/Qwen3-4B-4bit'

/** A download updated at 10:00:<second>. */
function at(second: number, overrides: Partial<Download> = {}): Download {
  return makeDownload({ updatedAt: `2026-01-01T10:00:${String(second).padStart(2, '0')}.000Z`, ...overrides })
}

function file(path: string, overrides: Partial<DownloadFile> = {}): DownloadFile {
  return { path, sizeBytes: 1000, bytesDone: 0, status: 'pending', speedBps: 0, ...overrides }
}

const ids = (list: Download[]) => list.map((download) => download.id)

describe('download order', () => {
  it('puts queued, downloading and paused first, oldest id first, then the rest newest first', () => {
    const list = [
      at(1, { id: 1, status: 'completed' }),
      at(2, { id: 6, status: 'downloading' }),
      at(3, { id: 3, status: 'failed' }),
      at(9, { id: 4, status: 'queued' }),
      at(3, { id: 5, status: 'cancelled' }),
      at(5, { id: 2, status: 'paused' }),
    ]
    expect(ids(orderDownloads(list))).toEqual([2, 4, 6, 5, 3, 1])
    // The input stays as it was.
    expect(ids(list)).toEqual([1, 6, 3, 4, 5, 2])
  })
})

describe('downloads store: the list', () => {
  it('loads the list once and fetches it again on catch-up only after a first load', async () => {
    const server = fakeServer({ 'GET /api/downloads': () => json([at(1, { id: 1, status: 'completed' }), at(1, { id: 2 })]) })
    const store = useDownloadsStore()
    await store.catchUp()
    expect(server.calls).toEqual([])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(ids(store.downloads)).toEqual([2, 1])
    expect(ids(store.active)).toEqual([2])
    server.on('GET /api/downloads', () => json([at(2, { id: 2, status: 'completed' })]))
    await store.catchUp()
    expect(server.callsTo('GET /api/downloads')).toHaveLength(2)
    expect(ids(store.downloads)).toEqual([2])
    expect(store.active).toEqual([])
  })

  it('offline, a fresh page shows the list last saved on this device as "downloads"', async () => {
    const server = fakeServer({ 'GET /api/downloads': () => json([at(1, { id: 9, status: 'completed' })]) })
    await useDownloadsStore().load()
    await vi.waitFor(async () => expect((await readSnapshot('downloads'))?.value).toHaveLength(1))
    setActivePinia(createPinia())
    server.offline()
    const store = useDownloadsStore()
    await store.load()
    expect(store.fromDevice).toBe(true)
    expect(ids(store.downloads)).toEqual([9])
  })

  it('says why the list could not be loaded', async () => {
    fakeServer({ 'GET /api/downloads': () => failure(500, 'internal', 'The manager failed.') })
    const store = useDownloadsStore()
    await store.load()
    expect(store.loadError).toBe('The manager failed.')
  })

  it('takes a newer or equally new state from an event, never an older one', () => {
    const store = useDownloadsStore()
    store.applyState(at(5, { id: 1, bytesDone: 50 }))
    store.applyState(at(4, { id: 1, bytesDone: 40 }))
    expect(store.downloads[0]?.bytesDone).toBe(50)
    store.applyState(at(5, { id: 1, bytesDone: 55 }))
    expect(store.downloads[0]?.bytesDone).toBe(55)
    store.applyState(at(6, { id: 1, status: 'completed' }))
    expect(store.downloads.map((download) => download.status)).toEqual(['completed'])
  })

  it('drops removed rows, and forgets everything on reset', async () => {
    fakeServer({ 'GET /api/downloads': () => json([at(1, { id: 1 })]) })
    const store = useDownloadsStore()
    await store.load()
    store.applyState(at(1, { id: 2 }))
    store.applyState(at(1, { id: 3 }))
    store.drop([1, 3, 99])
    expect(ids(store.downloads)).toEqual([2])
    // Rows it does not hold: nothing changes, so nothing on screen is redrawn.
    const before = store.downloads
    store.drop([99])
    expect(store.downloads).toBe(before)
    store.reset()
    expect(store.downloads).toEqual([])
    expect(store.loaded).toBe(false)
  })
})

describe('downloads store: progress', () => {
  it('updates the figures and the files in flight; stopped files lose their speed and connections', () => {
    const store = useDownloadsStore()
    store.applyState(
      at(1, {
        id: 1,
        files: [
          file('a', { status: 'downloading', speedBps: 100, connections: 2 }),
          file('b', { status: 'downloading', speedBps: 100 }),
          file('c', { status: 'done', bytesDone: 1000 }),
          file('d', { status: 'pending', connections: 1 }),
          file('f', { status: 'verifying', speedBps: 50 }),
        ],
      }),
    )
    store.applyProgress({
      id: 1,
      modelId: MODEL,
      bytesDone: 3000,
      bytesTotal: 8000,
      filesDone: 2,
      filesTotal: 5,
      speedBps: 700,
      etaSeconds: 7,
      files: [file('b', { status: 'downloading', bytesDone: 600, speedBps: 300, connections: 3 }), file('e', { status: 'downloading', speedBps: 400 })],
    })
    const download = store.downloads[0]
    expect(download).toMatchObject({ bytesDone: 3000, bytesTotal: 8000, filesDone: 2, filesTotal: 5, speedBps: 700, etaSeconds: 7 })
    expect(download?.files).toEqual([
      file('a', { status: 'downloading', speedBps: 0, connections: 0 }),
      file('b', { status: 'downloading', bytesDone: 600, speedBps: 300, connections: 3 }),
      file('c', { status: 'done', bytesDone: 1000 }),
      file('d', { status: 'pending', speedBps: 0, connections: 0 }),
      file('f', { status: 'verifying', speedBps: 0, connections: 0 }),
      file('e', { status: 'downloading', speedBps: 400 }),
    ])
  })

  it('leaves a still file as it is and ignores progress for an unknown download', () => {
    const store = useDownloadsStore()
    const still = file('c', { status: 'done', bytesDone: 1000 })
    store.applyState(at(1, { id: 1, files: [still] }))
    const progress = { id: 1, modelId: MODEL, bytesDone: 1, bytesTotal: 2, filesDone: 1, filesTotal: 1, speedBps: 0, etaSeconds: null, files: [] }
    store.applyProgress(progress)
    expect(store.downloads[0]?.files).toEqual([still])
    store.applyProgress({ ...progress, id: 2 })
    expect(ids(store.downloads)).toEqual([1])
  })
})

describe('downloads store: actions', () => {
  it('starts a download with the revision trimmed, or none when it is blank', async () => {
    const server = fakeServer({ 'POST /api/downloads': () => json(at(1, { id: 8, status: 'queued' }), 202) })
    const store = useDownloadsStore()
    const started = await store.start(MODEL, '  v2  ')
    await store.start(MODEL, '   ')
    await store.start(MODEL)
    expect(server.callsTo('POST /api/downloads').map((call) => call.body)).toEqual([
      { modelId: MODEL, revision: 'v2' },
      { modelId: MODEL },
      { modelId: MODEL },
    ])
    expect(started.id).toBe(8)
    expect(ids(store.downloads)).toEqual([8])
  })

  it('keeps an event that overtook the answer, even one as new as the answer', async () => {
    const server = fakeServer()
    const store = useDownloadsStore()
    server.on('POST /api/downloads', () => {
      store.applyState(at(3, { id: 8, status: 'failed' }))
      return json(at(3, { id: 8, status: 'queued' }), 202)
    })
    const shown = await store.start(MODEL)
    expect(shown.status).toBe('failed')
    expect(store.downloads.map((download) => download.status)).toEqual(['failed'])
    // A newer answer does replace it.
    server.on('POST /api/downloads/8/resume', () => json(at(4, { id: 8, status: 'queued' })))
    expect((await store.resume(8)).status).toBe('queued')
    expect(store.downloads.map((download) => download.status)).toEqual(['queued'])
  })

  it('pauses, resumes and cancels through their own endpoints and shows each answer', async () => {
    const server = fakeServer({
      'POST /api/downloads/1/pause': () => json(at(2, { id: 1, status: 'paused' })),
      'POST /api/downloads/1/resume': () => json(at(3, { id: 1, status: 'downloading' })),
      'POST /api/downloads/1/cancel': () => json(at(4, { id: 1, status: 'cancelled' })),
    })
    const store = useDownloadsStore()
    store.applyState(at(1, { id: 1 }))
    expect((await store.pause(1)).status).toBe('paused')
    expect(store.downloads[0]?.status).toBe('paused')
    expect((await store.resume(1)).status).toBe('downloading')
    expect(store.downloads[0]?.status).toBe('downloading')
    expect((await store.cancel(1)).status).toBe('cancelled')
    expect(store.downloads[0]?.status).toBe('cancelled')
    expect(server.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'POST /api/downloads/1/pause',
      'POST /api/downloads/1/resume',
      'POST /api/downloads/1/cancel',
    ])
  })

  it('clears one download, or every finished one as the manager lists them', async () => {
    const server = fakeServer({
      'DELETE /api/downloads/1': () => new Response(null, { status: 204 }),
      'DELETE /api/downloads': () => json({ ids: [2, 3] }),
    })
    const store = useDownloadsStore()
    for (const id of [1, 2, 3, 4]) store.applyState(at(1, { id, status: 'completed' }))
    await store.clear(1)
    expect(ids(store.downloads)).toEqual([4, 3, 2])
    await store.clearFinished()
    expect(ids(store.downloads)).toEqual([4])
    expect(server.calls.map((call) => `${call.method} ${call.path}`)).toEqual(['DELETE /api/downloads/1', 'DELETE /api/downloads'])
  })

  it('keeps the row when the manager refuses to clear it', async () => {
    fakeServer({ 'DELETE /api/downloads/1': () => failure(409, 'download-active', 'Cancel it first.') })
    const store = useDownloadsStore()
    store.applyState(at(1, { id: 1 }))
    await expect(store.clear(1)).rejects.toMatchObject({ code: 'download-active' })
    expect(ids(store.downloads)).toEqual([1])
  })
})

describe('downloads store: starting from a model page', () => {
  it('marks the model as starting until the answer lands, and starts nothing twice meanwhile', async () => {
    const server = fakeServer()
    let answer: (response: Response) => void = () => undefined
    server.on('POST /api/downloads', () => new Promise<Response>((resolve) => (answer = resolve)))
    const store = useDownloadsStore()
    const first = store.startFromPage(MODEL)
    expect([...store.starting]).toEqual([MODEL])
    await store.startFromPage(MODEL)
    await waitForCalls(server.calls, 1)
    answer(json(at(1, { id: 5, modelId: MODEL, status: 'queued' }), 202))
    await first
    expect(server.callsTo('POST /api/downloads')).toHaveLength(1)
    expect([...store.starting]).toEqual([])
    expect(store.startError).toBeNull()
    expect(ids(store.downloads)).toEqual([5])
  })

  it('keeps a refusal for that model’s page until another model’s page opens', async () => {
    const server = fakeServer({ 'POST /api/downloads': () => failure(507, 'disk-full', 'Not enough disk space.') })
    const store = useDownloadsStore()
    // Opening a page with no refusal kept is harmless.
    store.pageOpened(MODEL)
    expect(store.startError).toBeNull()
    await store.startFromPage(MODEL)
    expect(store.startError).toEqual({ modelId: MODEL, failure: { code: 'disk-full', message: 'Not enough disk space.', retryAfterSeconds: null } })
    expect([...store.starting]).toEqual([])
    store.pageOpened(MODEL)
    expect(store.startError?.modelId).toBe(MODEL)
    store.pageOpened('other/model')
    expect(store.startError).toBeNull()
    // A new try clears the old refusal before asking.
    await store.startFromPage(MODEL)
    server.on('POST /api/downloads', () => json(at(1, { id: 5 }), 202))
    expect(store.startError).not.toBeNull()
    await store.startFromPage(MODEL)
    expect(store.startError).toBeNull()
  })

  it('lets two models start at once, each clearing only its own mark', async () => {
    const server = fakeServer()
    const answers: ((response: Response) => void)[] = []
    server.on('POST /api/downloads', () => new Promise<Response>((resolve) => answers.push(resolve)))
    const store = useDownloadsStore()
    const first = store.startFromPage('a/one')
    const second = store.startFromPage('b/two')
    expect([...store.starting]).toEqual(['a/one', 'b/two'])
    await waitForCalls(server.calls, 2)
    answers[0]?.(json(at(1, { id: 1, modelId: 'a/one' }), 202))
    await first
    expect([...store.starting]).toEqual(['b/two'])
    answers[1]?.(json(at(1, { id: 2, modelId: 'b/two' }), 202))
    await second
    expect([...store.starting]).toEqual([])
  })
})

/** Waits until the fake manager has seen `count` calls (they are sent after a microtask). */
async function waitForCalls(calls: unknown[], count: number): Promise<void> {
  await vi.waitFor(() => {
    if (calls.length < count) throw new Error(`${calls.length} of ${count} calls so far`)
  })
}
