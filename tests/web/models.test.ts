import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { useEventsStore } from '../../web/src/features/events/store'
import LibraryPanel from '../../web/src/features/models/LibraryPanel.vue'
import { LIBRARY_RELOAD_DELAY_MS, useLibraryStore } from '../../web/src/features/models/store'
import { useAuthStore } from '../../web/src/features/auth/store'
import { useServersStore } from '../../web/src/features/servers/store'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { failure, fakeServer, FakeEventSource, json, makeLocalModel, makeProfile, makeServerStatus, makeUser, useFakeEventSource } from './helpers'


const partial = makeLocalModel({ id: 'other-tool/half-done', state: 'partial', quantization: null, capabilities: [] })
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

describe('library store', () => {
  it('loads the cache and reloads once on models.changed and when the stream reopens', async () => {
    vi.useFakeTimers()
    useFakeEventSource()
    const server = fakeServer({ 'GET /api/models': () => json([makeLocalModel()]), 'GET /api/downloads': () => json([]), 'GET /api/auth/me': () => failure(401, 'not-signed-in', 'Sign in.') })
    const store = useLibraryStore()
    await store.load()
    expect(store.models.map((m) => m.id)).toEqual(['mlx-community/Qwen3-4B-4bit'])
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.emit('models.changed', { modelId: 'a/b', reason: 'downloaded' })
    source.emit('models.changed', { modelId: 'a/c', reason: 'deleted' })
    await vi.advanceTimersByTimeAsync(LIBRARY_RELOAD_DELAY_MS + 10)
    expect(server.callsTo('GET /api/models')).toHaveLength(2)
    source.open()
    await vi.advanceTimersByTimeAsync(10)
    expect(server.callsTo('GET /api/models')).toHaveLength(3)
    vi.useRealTimers()
  })

  it('deletes through DELETE /api/models/:org/:name and refuses a bad id without calling', async () => {
    const server = fakeServer({ 'GET /api/models': () => json([makeLocalModel()]), 'DELETE /api/models/mlx-community/Qwen3-4B-4bit': () => new Response(null, { status: 204 }) })
    const store = useLibraryStore()
    await store.load()
    await store.remove('mlx-community/Qwen3-4B-4bit')
    expect(store.models).toEqual([])
    await expect(store.remove('../etc')).rejects.toMatchObject({ code: 'invalid-model-id' })
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
  })
})

describe('library panel', () => {
  async function open(extra: Record<string, () => Response> = {}) {
    const server = fakeServer({ 'GET /api/models': () => json([makeLocalModel(), partial]), ...extra })
    await useLibraryStore().load()
    useAuthStore().user = makeUser({ isAdmin: true })
    mountInApp(LibraryPanel)
    await flushPromises()
    return server
  }

  const row = (id: string) => {
    const found = document.querySelector<HTMLElement>(`[data-testid="library-row"][data-model="${id}"]`)
    if (found === null) throw new Error(`No row for ${id}`)
    return found
  }

  it('shows size, quantization, revision, last used, capabilities, partial models and Use', async () => {
    await open()
    const qwen = row('mlx-community/Qwen3-4B-4bit')
    expect(requireTestId('library-size', qwen).textContent).toBe('2.5 GB on disk')
    expect(requireTestId('library-quantization', qwen).textContent).toBe('4-bit · group 64')
    expect(requireTestId('library-revision', qwen).textContent).toBe('rev bbbbbbb')
    expect(requireTestId('library-last-used', qwen).textContent).toBe('never served')
    expect([...qwen.querySelectorAll('[data-testid="library-capability"]')].map((e) => e.textContent?.trim())).toEqual(['Tools', 'Reasoning'])
    expect(requireTestId('library-use', qwen).getAttribute('href')).toBe('/profiles/new?model=mlx-community%2FQwen3-4B-4bit')
    const half = row('other-tool/half-done')
    expect(requireTestId('library-state', half).textContent?.trim()).toBe('Partial')
    expect(byTestId('library-use', half)).toBeNull()
  })

  it('says "never served" for a model no server loaded, though downloading it read its files just now', async () => {
    fakeServer({
      'GET /api/models': () =>
        json([
          makeLocalModel({ id: 'mlx-community/fresh-4bit', lastUsedAt: minutesAgo(10), lastServedAt: null }),
          makeLocalModel({ id: 'mlx-community/served-4bit', lastUsedAt: minutesAgo(3), lastServedAt: minutesAgo(12) }),
        ]),
    })
    await useLibraryStore().load()
    useAuthStore().user = makeUser({ isAdmin: true })
    mountInApp(LibraryPanel)
    await flushPromises()
    expect(requireTestId('library-last-used', row('mlx-community/fresh-4bit')).textContent).toBe('never served')
    expect(requireTestId('library-last-used', row('mlx-community/served-4bit')).textContent).toBe('served 12 min ago')
  })

  it('marks a model a running server uses as in use, offering no Delete until that server stops', async () => {
    await open({
      'GET /api/profiles': () => json([makeProfile({ id: 5, name: 'Qwen3 4B', model: 'mlx-community/Qwen3-4B-4bit' })]),
      'GET /api/servers': () => json([makeServerStatus({ profileId: 5, state: 'ready' })]),
    })
    await flushPromises()
    const qwen = row('mlx-community/Qwen3-4B-4bit')
    expect(requireTestId('library-in-use', qwen).textContent?.trim()).toBe('In use')
    expect(byTestId('library-delete', qwen)).toBeNull()
    expect(requireTestId('library-delete-blocked', qwen).textContent).toBe('Stop Qwen3 4B to delete it')
    expect(byTestId('library-delete', row('other-tool/half-done'))).not.toBeNull()
    useServersStore().applyState(makeServerStatus({ profileId: 5, state: 'stopped', stoppedAt: '2026-01-01T11:00:00.000Z' }))
    await flushPromises()
    expect(byTestId('library-in-use', qwen)).toBeNull()
    expect(byTestId('library-delete', qwen)).not.toBeNull()
  })

  it('asks before deleting and shows the refusal when a running server uses the model', async () => {
    const server = await open({
      'DELETE /api/models/mlx-community/Qwen3-4B-4bit': () =>
        failure(409, 'model-in-use', 'mlx-community/Qwen3-4B-4bit is loaded by a running server. Stop that server first, then delete the model.'),
    })
    await click('library-delete', row('mlx-community/Qwen3-4B-4bit'))
    expect(requireTestId('confirm-dialog').textContent).toContain('mlx-community/Qwen3-4B-4bit')
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
    await click('confirm-ok')
    expect(server.calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
    expect(requireTestId('confirm-error').textContent).toContain('Stop that server first')
    expect(row('mlx-community/Qwen3-4B-4bit')).not.toBeNull()
  })
})
