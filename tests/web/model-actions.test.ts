import { describe, expect, it, vi } from 'vitest'
import type { Download } from '../../shared/downloads'
import type { LocalModel } from '../../shared/local-models'
import { useAuthStore } from '../../web/src/features/auth/store'
import { useEventsStore } from '../../web/src/features/events/store'
import { LIBRARY_RELOAD_DELAY_MS } from '../../web/src/features/models/store'
import { page1, qwen3Details, system } from './catalog-data'
import { pageShown, showCatalog } from './components/catalog-screens'
import { byTestId, click, requireTestId } from './components/mount'
import { failure, fakeServer, FakeEventSource, json, makeLocalModel, makeProfile, makeServerStatus, makeUser, useFakeEventSource } from './helpers'

const MODEL = 'mlx-community/Qwen3-8B-4bit'

function download(overrides: Partial<Download> = {}): Download {
  return {
    id: 3,
    modelId: MODEL,
    revision: 'main',
    commit: null,
    status: 'queued',
    bytesDone: 0,
    bytesTotal: 0,
    filesDone: 0,
    filesTotal: 0,
    speedBps: 0,
    etaSeconds: null,
    error: null,
    files: [],
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:00.000Z',
    completedAt: null,
    ...overrides,
  }
}

function localModel(overrides: Partial<LocalModel> = {}): LocalModel {
  return makeLocalModel({ id: MODEL, sizeOnDiskBytes: 4.3e9, weightsBytes: 4.3e9, ...overrides })
}

/** A manager with nothing downloaded yet, seen by an administrator with the live stream open. */
function manager(library: LocalModel[] = []) {
  const admin = makeUser({ isAdmin: true })
  useAuthStore().user = admin
  useFakeEventSource()
  const state = { library }
  const server = fakeServer({
    'GET /api/auth/me': () => json(admin),
    'GET /api/catalog/search': () => json(page1()),
    [`GET /api/catalog/models/${MODEL}`]: () => json(qwen3Details()),
    'GET /api/catalog/system': () => json(system()),
    'GET /api/downloads': () => json([]),
    'GET /api/models': () => json(state.library),
    'GET /api/profiles': () => json([]),
    'GET /api/servers': () => json([]),
    'POST /api/downloads': () => json(download(), 202),
  })
  useEventsStore().connect()
  FakeEventSource.latest().open()
  return { server, state }
}

const text = (id: string) => requireTestId(id).textContent?.replace(/\s+/g, ' ').trim() ?? ''

describe('model page follows the manager', () => {
  it('says why the manager refused a download, and offers Download again', async () => {
    const { server } = manager()
    server.on('POST /api/downloads', () => failure(507, 'disk-space-low', 'Only 1.2 GB is free where models are kept; this model needs 4.3 GB.'))
    await showCatalog(`/catalog/${MODEL}`)
    await click('model-download')
    await vi.waitFor(() => expect(text('model-download-error')).toBe('Only 1.2 GB is free where models are kept; this model needs 4.3 GB.'))
    expect(requireTestId('model-download').hasAttribute('disabled')).toBe(false)
    expect(byTestId('model-download-state')).toBeNull()
  })

  it('moves from Download to Downloaded and Create profile when the download finishes, then Start and Chat once a profile exists', async () => {
    const { state } = manager()
    const router = await showCatalog(`/catalog/${MODEL}`)
    await click('model-download')
    await vi.waitFor(() => expect(text('model-download-state')).toBe('Download queued · follow it under Models'))
    expect(requireTestId('model-download').hasAttribute('disabled')).toBe(true)

    const events = FakeEventSource.latest()
    events.emit('downloads.state', download({ status: 'downloading', bytesTotal: 4000, updatedAt: '2026-01-01T10:00:01.000Z' }))
    events.emit('downloads.progress', { id: 3, modelId: MODEL, bytesDone: 1000, bytesTotal: 4000, filesDone: 1, filesTotal: 3, speedBps: 100, etaSeconds: 30, files: [] })
    await vi.waitFor(() => expect(text('model-download-state')).toBe('Downloading · 25 % · follow it under Models'))

    state.library = [localModel()]
    events.emit('downloads.state', download({ status: 'completed', bytesDone: 4000, bytesTotal: 4000, updatedAt: '2026-01-01T10:00:09.000Z' }))
    events.emit('models.changed', { modelId: MODEL, reason: 'downloaded' })
    // The library reloads after LIBRARY_RELOAD_DELAY_MS; wait for what it brings, not for the delay.
    await vi.waitFor(() => expect(byTestId('model-download')).toBeNull(), LIBRARY_RELOAD_DELAY_MS + 2_000)
    expect(text('model-downloaded')).toContain('Downloaded')
    await click('model-create-profile')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe(`/profiles/new?model=${MODEL}`))

    await router.push(`/catalog/${MODEL}`)
    await pageShown(MODEL)
    events.emit('profiles.changed', makeProfile({ id: 5, model: MODEL }))
    events.emit('servers.state', makeServerStatus({ profileId: 5 }))
    await vi.waitFor(() => expect(byTestId('model-start')).not.toBeNull())
    expect(byTestId('model-create-profile')).toBeNull()
    await click('model-chat')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/chat?profile=5'))
  })

  it('reopened after the download, says Downloaded rather than offering Download again', async () => {
    manager([localModel()])
    await showCatalog(`/catalog/${MODEL}`)
    // The library comes with its own call, beside the model page's.
    await vi.waitFor(() => expect(byTestId('model-create-profile')).not.toBeNull())
    expect(byTestId('model-download')).toBeNull()
  })

  it('a running server offers Chat and no Start', async () => {
    const { server } = manager([localModel()])
    server.on('GET /api/profiles', () => json([makeProfile({ id: 5, model: MODEL })]))
    server.on('GET /api/servers', () => json([makeServerStatus({ profileId: 5, state: 'ready' })]))
    await showCatalog(`/catalog/${MODEL}`)
    await vi.waitFor(() => expect(byTestId('model-chat')).not.toBeNull())
    expect(byTestId('model-start')).toBeNull()
  })

  it('catalog rows mark models already in the library', async () => {
    manager([localModel(), localModel({ id: 'mlx-community/Llama-3.2-3B-Instruct-4bit', state: 'downloading' })])
    await showCatalog('/catalog')
    const row = (id: string) => document.querySelector<HTMLElement>(`[data-testid="catalog-result"][data-model-id="${id}"]`)
    await vi.waitFor(() => expect(row(MODEL)?.querySelector('[data-testid="result-local"]')?.textContent).toBe('In library'))
    expect(row('mlx-community/Llama-3.2-3B-Instruct-4bit')?.querySelector('[data-testid="result-local"]')?.textContent).toBe('Downloading')
    expect(row('mlx-community/gemma-3-12b-it-4bit')?.querySelector('[data-testid="result-local"]')).toBeNull()
  })
})
