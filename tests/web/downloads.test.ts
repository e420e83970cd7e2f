import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import type { DownloadProgress } from '../../shared/downloads'
import DownloadsPanel from '../../web/src/features/downloads/DownloadsPanel.vue'
import { formatBytes, formatEta, formatSpeed, percentOf } from '../../web/src/features/downloads/format'
import { useDownloadsStore } from '../../web/src/features/downloads/store'
import { useEventsStore } from '../../web/src/features/events/store'
import { useAuthStore } from '../../web/src/features/auth/store'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { failure, fakeServer, FakeEventSource, json, makeDownload, makeUser, useFakeEventSource } from './helpers'


function progress(overrides: Partial<DownloadProgress> = {}): DownloadProgress {
  return {
    id: 1,
    modelId: 'mlx-community/Qwen3-4B-4bit',
    bytesDone: 2 * 1024 * 1024,
    bytesTotal: 4 * 1024 * 1024,
    filesDone: 1,
    filesTotal: 3,
    speedBps: 1024 * 1024,
    etaSeconds: 2,
    files: [{ path: 'model.safetensors', sizeBytes: 4 * 1024 * 1024 - 1000, bytesDone: 2 * 1024 * 1024 - 1000, status: 'downloading', speedBps: 1024 * 1024 }],
    ...overrides,
  }
}

describe('download formatting', () => {
  it('formats bytes, speed, ETA and percent', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(3.5 * 1024 * 1024)).toBe('3.5 MB')
    expect(formatBytes(40 * 1024 ** 3)).toBe('40.0 GB')
    expect(formatSpeed(0)).toBe('0 B/s')
    expect(formatSpeed(-5)).toBe('0 B/s')
    expect(formatSpeed(2 * 1024 * 1024)).toBe('2.0 MB/s')
    expect(formatEta(null)).toBe('—')
    expect(formatEta(42)).toBe('42 s')
    expect(formatEta(150)).toBe('3 min')
    expect(formatEta(3900)).toBe('1 h 05 min')
    expect(percentOf(999, 1000)).toBe(99)
    expect(percentOf(5, 0)).toBe(0)
  })
})

describe('downloads store', () => {
  it('loads the list and calls the right endpoint for each action', async () => {
    const server = fakeServer({
      'GET /api/downloads': () => json([makeDownload()]),
      'POST /api/downloads': ({ body }) => json(makeDownload({ id: 2, modelId: (body as { modelId: string }).modelId, status: 'queued' }), 202),
      'POST /api/downloads/1/pause': () => json(makeDownload({ status: 'paused', speedBps: 0, updatedAt: '2026-01-01T10:00:02.000Z' })),
      'POST /api/downloads/1/resume': () => json(makeDownload({ status: 'queued', updatedAt: '2026-01-01T10:00:03.000Z' })),
      'POST /api/downloads/1/cancel': () => json(makeDownload({ status: 'cancelled', updatedAt: '2026-01-01T10:00:04.000Z' })),
    })
    const store = useDownloadsStore()
    await store.load()
    expect(store.downloads.map((d) => d.id)).toEqual([1])
    await store.start('mlx-community/Llama-3.2-3B-Instruct-4bit')
    expect(server.callsTo('POST /api/downloads')[0]?.body).toEqual({ modelId: 'mlx-community/Llama-3.2-3B-Instruct-4bit' })
    await store.pause(1)
    expect(store.downloads.find((d) => d.id === 1)?.status).toBe('paused')
    await store.resume(1)
    await store.cancel(1)
    expect(server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/downloads',
      'POST /api/downloads',
      'POST /api/downloads/1/pause',
      'POST /api/downloads/1/resume',
      'POST /api/downloads/1/cancel',
    ])
    // Active ones first.
    expect(store.downloads.map((d) => d.status)).toEqual(['queued', 'cancelled'])
  })

  it('starts a download from a model page: busy while it runs, the answer in the list, one request for a double click', async () => {
    const server = fakeServer({
      'POST /api/downloads': ({ body }) => json(makeDownload({ id: 7, modelId: (body as { modelId: string }).modelId, status: 'queued' }), 202),
    })
    const store = useDownloadsStore()
    const first = store.startFromPage('mlx-community/Qwen3-8B-4bit')
    const second = store.startFromPage('mlx-community/Qwen3-8B-4bit')
    expect(store.starting.has('mlx-community/Qwen3-8B-4bit')).toBe(true)
    await Promise.all([first, second])
    expect(server.callsTo('POST /api/downloads')).toEqual([{ method: 'POST', path: '/api/downloads', body: { modelId: 'mlx-community/Qwen3-8B-4bit' } }])
    expect(store.downloads.map((d) => [d.id, d.status])).toEqual([[7, 'queued']])
    expect(store.starting.size).toBe(0)
    expect(store.startError).toBeNull()
  })

  it("keeps why a start from a model page was refused for that model's page, until another model's page opens", async () => {
    fakeServer({
      'POST /api/downloads': () => failure(507, 'disk-space-low', 'Only 1.2 GB is free where models are kept; this model needs 4.3 GB.'),
    })
    const store = useDownloadsStore()
    await store.startFromPage('mlx-community/Qwen3-8B-4bit')
    expect(store.downloads).toEqual([])
    expect(store.startError?.modelId).toBe('mlx-community/Qwen3-8B-4bit')
    expect(store.startError?.failure.message).toContain('Only 1.2 GB is free')
    store.pageOpened('mlx-community/Qwen3-8B-4bit')
    expect(store.startError).not.toBeNull()
    store.pageOpened('mlx-community/gemma-3-4b-it-4bit')
    expect(store.startError).toBeNull()
  })

  it('takes progress and state from the event stream, and shows 0 B/s for files that stopped', async () => {
    useFakeEventSource()
    fakeServer({ 'GET /api/downloads': () => json([makeDownload()]), 'GET /api/models': () => json([]), 'GET /api/auth/me': () => failure(401, 'not-signed-in', 'Sign in.') })
    const store = useDownloadsStore()
    await store.load()
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.emit('downloads.progress', progress())
    expect(store.downloads[0]?.bytesDone).toBe(2 * 1024 * 1024)
    expect(store.downloads[0]?.speedBps).toBe(1024 * 1024)
    // Stalled: the manager sends one more progress with no speed and no file in flight.
    source.emit('downloads.progress', progress({ speedBps: 0, etaSeconds: null, files: [] }))
    expect(store.downloads[0]?.speedBps).toBe(0)
    expect(store.downloads[0]?.files.every((f) => f.speedBps === 0)).toBe(true)
    source.emit('downloads.state', makeDownload({ status: 'failed', error: { code: 'disk-full', message: 'The disk is full.' }, updatedAt: '2026-01-01T10:00:09.000Z' }))
    expect(store.downloads[0]?.status).toBe('failed')
    // An older state never overwrites a newer one.
    source.emit('downloads.state', makeDownload({ status: 'downloading' }))
    expect(store.downloads[0]?.status).toBe('failed')
  })

  it('reloads the list once when the stream reopens', async () => {
    useFakeEventSource()
    const server = fakeServer({ 'GET /api/downloads': () => json([makeDownload()]), 'GET /api/models': () => json([]), 'GET /api/auth/me': () => failure(401, 'not-signed-in', 'Sign in.') })
    await useDownloadsStore().load()
    useEventsStore().connect()
    FakeEventSource.latest().open()
    await flushPromises()
    expect(server.callsTo('GET /api/downloads')).toHaveLength(2)
    expect(server.callsTo('GET /api/models')).toHaveLength(0)
  })
})

describe('downloads panel', () => {
  // Pausing, cancelling and retrying are an administrator's; members see the same rows without them.
  beforeEach(() => {
    useAuthStore().user = makeUser({ isAdmin: true })
  })

  it('shows bytes, percent, speed and ETA, and a stalled download as 0 B/s', async () => {
    fakeServer({ 'GET /api/downloads': () => json([makeDownload()]) })
    const store = useDownloadsStore()
    await store.load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    expect(requireTestId('download-bytes').textContent).toBe('1.0 MB of 4.0 MB')
    expect(requireTestId('download-percent').textContent).toBe('25 %')
    expect(requireTestId('download-speed').textContent).toBe('512 KB/s')
    expect(requireTestId('download-eta').textContent).toBe('6 s left')
    store.applyProgress(progress({ speedBps: 0, etaSeconds: null, files: [] }))
    await flushPromises()
    expect(requireTestId('download-speed').textContent).toBe('0 B/s')
    expect(requireTestId('download-eta').textContent).toContain('stalled')
    await click('download-files-toggle')
    expect(document.querySelectorAll('[data-testid="download-file"]')).toHaveLength(2)
  })

  it('says on the line of a file when several connections carry it, and not for a single stream', async () => {
    const files = [
      { path: 'model.safetensors', sizeBytes: 4 * 1024 * 1024, bytesDone: 1024 * 1024, status: 'downloading' as const, speedBps: 8 * 1024 * 1024, connections: 8 },
      { path: 'tokenizer.json', sizeBytes: 2 * 1024 * 1024, bytesDone: 1024 * 1024, status: 'downloading' as const, speedBps: 1024 * 1024, connections: 1 },
    ]
    fakeServer({ 'GET /api/downloads': () => json([makeDownload({ files })]) })
    await useDownloadsStore().load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    await click('download-files-toggle')
    const line = (path: string) => document.querySelector(`[data-testid="download-file"][data-path="${path}"]`)
    expect(line('model.safetensors')?.querySelector('[data-testid="download-file-connections"]')?.textContent).toBe('8 connections')
    expect(line('model.safetensors')?.textContent).toContain('8.0 MB/s')
    expect(line('tokenizer.json')?.querySelector('[data-testid="download-file-connections"]')).toBeNull()
    // Once the weights are no longer in flight, their line no longer claims connections.
    useDownloadsStore().applyProgress(progress({ files: [files[1] as (typeof files)[number]] }))
    await flushPromises()
    expect(line('model.safetensors')?.querySelector('[data-testid="download-file-connections"]')).toBeNull()
  })

  it('asks before cancelling, and cancels only after the confirmation', async () => {
    const server = fakeServer({
      'GET /api/downloads': () => json([makeDownload()]),
      'POST /api/downloads/1/cancel': () => json(makeDownload({ status: 'cancelled', updatedAt: '2026-01-01T10:00:04.000Z' })),
    })
    await useDownloadsStore().load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    await click('download-cancel')
    expect(requireTestId('confirm-dialog').textContent).toContain('deleted')
    expect(server.callsTo('POST /api/downloads/1/cancel')).toHaveLength(0)
    await click('confirm-ok')
    expect(server.callsTo('POST /api/downloads/1/cancel')).toHaveLength(1)
    expect(requireTestId('download-status').textContent?.trim()).toBe('Cancelled')
  })

  it('shows why a download failed and retries it', async () => {
    const server = fakeServer({
      'GET /api/downloads': () => json([makeDownload({ status: 'failed', speedBps: 0, error: { code: 'hf-token-required', message: 'This repo is gated: add a HuggingFace token.' } })]),
      'POST /api/downloads/1/resume': () => json(makeDownload({ status: 'queued', updatedAt: '2026-01-01T10:00:05.000Z' })),
    })
    await useDownloadsStore().load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    expect(requireTestId('download-error').textContent).toContain('gated')
    await click('download-retry')
    expect(server.callsTo('POST /api/downloads/1/resume')).toHaveLength(1)
    expect(byTestId('download-error')).toBeNull()
  })
})

describe('download rows follow the manager', () => {
  beforeEach(() => {
    useAuthStore().user = makeUser({ isAdmin: true })
  })

  it('keeps the failed state an event brought when the answer to the request arrives after it', async () => {
    const at = '2026-01-01T10:00:00.000Z'
    fakeServer({
      'GET /api/downloads': () => json([]),
      'POST /api/downloads': () => {
        // The manager marked the download failed within milliseconds; its event overtakes the 202.
        useDownloadsStore().applyState(makeDownload({ id: 9, status: 'failed', speedBps: 0, error: { code: 'network-error', message: 'The connection to the hub failed.' }, updatedAt: at }))
        return json(makeDownload({ id: 9, status: 'queued', speedBps: 0, updatedAt: at }), 202)
      },
    })
    const store = useDownloadsStore()
    await store.load()
    mountInApp(DownloadsPanel)
    await store.start('mlx-community/Qwen3-4B-4bit')
    await flushPromises()
    expect(requireTestId('download-status').textContent?.trim()).toBe('Failed')
  })

  it('offers Retry only where retrying can help, and clears a failed row after asking', async () => {
    const server = fakeServer({
      'GET /api/downloads': () =>
        json([
          makeDownload({ id: 1, status: 'failed', speedBps: 0, error: { code: 'network-error', message: 'The connection to the hub failed.' } }),
          makeDownload({ id: 2, modelId: 'mlx-community/typo', status: 'failed', speedBps: 0, files: [], error: { code: 'model-not-found', message: 'The hub has no model mlx-community/typo.' } }),
        ]),
      'DELETE /api/downloads/2': () => new Response(null, { status: 204 }),
    })
    await useDownloadsStore().load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    const row = (id: string) => requireTestId('downloads-list').querySelector<HTMLElement>(`[data-model="${id}"]`) ?? document.body
    expect(byTestId('download-retry', row('mlx-community/Qwen3-4B-4bit'))).not.toBeNull()
    expect(byTestId('download-retry', row('mlx-community/typo'))).toBeNull()
    await click('download-clear', row('mlx-community/typo'))
    expect(requireTestId('confirm-dialog').textContent).toContain('deleted')
    expect(requireTestId('confirm-cancel').textContent?.trim()).toBe('Keep it')
    await click('confirm-ok')
    expect(server.callsTo('DELETE /api/downloads/2')).toHaveLength(1)
    expect(document.querySelectorAll('[data-testid="download-row"]')).toHaveLength(1)
  })

  it('clears finished rows, one or all, and drops rows another tab cleared', async () => {
    useFakeEventSource()
    const server = fakeServer({
      'GET /api/auth/me': () => json(useAuthStore().user),
      'GET /api/downloads': () =>
        json([
          makeDownload({ id: 1, status: 'completed', speedBps: 0 }),
          makeDownload({ id: 2, modelId: 'mlx-community/b', status: 'cancelled', speedBps: 0 }),
          makeDownload({ id: 3, modelId: 'mlx-community/c', status: 'completed', speedBps: 0 }),
          makeDownload({ id: 4, modelId: 'mlx-community/d', status: 'downloading' }),
        ]),
      'DELETE /api/downloads/4': () => failure(409, 'download-active', 'This download is downloading; cancel it before clearing it from the list.'),
      'DELETE /api/downloads': () => json({ ids: [1, 2] }),
    })
    await useDownloadsStore().load()
    useEventsStore().connect()
    FakeEventSource.latest().open()
    mountInApp(DownloadsPanel)
    await flushPromises()
    const active = requireTestId('downloads-list').querySelector<HTMLElement>('[data-model="mlx-community/d"]') ?? document.body
    expect(byTestId('download-clear', active)).toBeNull()
    FakeEventSource.latest().emit('downloads.removed', { ids: [3] })
    await flushPromises()
    expect(document.querySelectorAll('[data-testid="download-row"]')).toHaveLength(3)
    await click('downloads-clear-finished')
    expect(server.callsTo('DELETE /api/downloads')).toHaveLength(1)
    expect([...document.querySelectorAll<HTMLElement>('[data-testid="download-row"]')].map((row) => row.dataset.model)).toEqual(['mlx-community/d'])
  })

  it('the cancel dialog names both choices', async () => {
    fakeServer({ 'GET /api/downloads': () => json([makeDownload()]) })
    await useDownloadsStore().load()
    mountInApp(DownloadsPanel)
    await flushPromises()
    await click('download-cancel')
    expect(requireTestId('confirm-cancel').textContent?.trim()).toBe('Keep downloading')
    expect(requireTestId('confirm-ok').textContent?.trim()).toBe('Cancel download')
  })
})

describe('one way to write a size', () => {
  it('downloads, the library, the catalog, servers and chat attachments read a size alike', async () => {
    const { formatBytes: catalog } = await import('../../web/src/features/catalog/format')
    const { bytes: servers } = await import('../../web/src/features/servers/format')
    const { sizeText: attachments } = await import('../../web/src/features/chat/attachments')
    const size = 4_607_319_040
    expect([formatBytes(size), catalog(size), servers(size), attachments(size)]).toEqual(['4.3 GB', '4.3 GB', '4.3 GB', '4.3 GB'])
  })
})
