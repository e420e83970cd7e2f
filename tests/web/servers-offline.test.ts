import { flushPromises } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { db } from '../../web/src/db/database'
import { useAuthStore } from '../../web/src/features/auth/store'
import { clockTime } from '../../web/src/features/servers/format'
import { readServersCopy, saveServersCopy } from '../../web/src/features/servers/repository'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeProfile, makeServerStatus, makeUser } from './helpers'
import { routerStub } from './servers-router'

const ready = makeServerStatus({ state: 'ready', pid: 4242, startedAt: '2026-01-01T10:00:00.000Z', readyAt: '2026-01-01T10:00:02.000Z', cpuPercent: 12, rssBytes: 2 * 1024 ** 3 })
const idle = makeServerStatus({ profileId: 2, name: 'Idle one', port: 8002 })

afterEach(() => {
  vi.useRealTimers()
})

function online() {
  return fakeServer({
    'GET /api/servers': () => json([ready, idle]),
    'GET /api/profiles': () => json([makeProfile({ id: 1, model: 'mlx-community/Qwen3-4B-4bit' }), makeProfile({ id: 2, name: 'Idle one', model: 'mlx-community/idle-4bit' })]),
    'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
    'GET /api/metrics/servers': () => json([]),
  })
}

describe('servers offline', () => {
  it('saves what it showed, per user, a moment after it settles', async () => {
    online()
    useAuthStore().user = makeUser({ id: 7, isAdmin: true })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(async () => expect(await readServersCopy(7)).not.toBeNull(), { timeout: 3000 })
    const copy = await readServersCopy(7)
    expect(copy?.servers.map((s) => s.name)).toEqual(['Qwen3 4B', 'Idle one'])
    expect(copy?.models).toEqual({ 1: 'mlx-community/Qwen3-4B-4bit', 2: 'mlx-community/idle-4bit' })
    expect(Date.parse(copy?.savedAt ?? '')).toBeGreaterThan(Date.now() - 60_000)
    // Another user on this device does not see it.
    expect(await readServersCopy(8)).toBeNull()
  })

  it('opens on the saved copy, read-only, with its time, when the manager cannot be reached', async () => {
    const savedAt = new Date(Date.now() - 5 * 60_000).toISOString()
    await saveServersCopy({ userId: 7, savedAt, servers: [ready, idle], models: { 1: 'mlx-community/Qwen3-4B-4bit', 2: 'mlx-community/idle-4bit' } })
    online().offline()
    const auth = useAuthStore()
    auth.user = makeUser({ id: 7, isAdmin: true })
    auth.offline = true
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(() => expect(byTestId('servers-offline')).not.toBeNull())
    expect(requireTestId('servers-offline-title').textContent).toBe(`Offline — showing the servers as last seen at ${clockTime(savedAt)} (5m 0s ago).`)
    expect(byTestId('servers-error')).toBeNull()
    expect(requireTestId('servers-ready-count').textContent).toContain('1 ready')
    const tile = requireTestId('server-tile')
    expect(tile.textContent).toContain('mlx-community/Qwen3-4B-4bit')
    expect(requireTestId('gauge-memory-value', tile).textContent).toBe('2.0 GB')
    // Nothing to act on: no start, stop, restart, logs or chat.
    for (const id of ['server-stop', 'server-restart', 'server-logs', 'server-chat', 'server-start', 'server-benchmark']) expect(byTestId(id), id).toBeNull()
    expect(requireTestId('stopped-row').textContent).toContain('mlx-community/idle-4bit')
  })

  it('says there is no saved copy yet when it has none', async () => {
    online().offline()
    useAuthStore().user = makeUser({ id: 9, isAdmin: true })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(() => expect(byTestId('servers-error')).not.toBeNull())
    expect(requireTestId('servers-error').textContent).toContain('No copy of this list is saved on this device yet.')
    expect(byTestId('server-tile')).toBeNull()
    expect(await db.settings.count()).toBe(0)
  })
})
