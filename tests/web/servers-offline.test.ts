import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { readSnapshot, saveSnapshot } from '../../web/src/db/snapshots'
import { useAuthStore } from '../../web/src/features/auth/store'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeProfile, makeServerStatus, makeUser } from './helpers'
import { routerStub } from './servers-router'

const ready = makeServerStatus({ state: 'ready', pid: 4242, startedAt: '2026-01-01T10:00:00.000Z', readyAt: '2026-01-01T10:00:02.000Z', cpuPercent: 12, rssBytes: 2 * 1024 ** 3 })
const idle = makeServerStatus({ profileId: 2, name: 'Idle one', port: 8002 })
const profiles = [makeProfile({ id: 1, model: 'mlx-community/Qwen3-4B-4bit' }), makeProfile({ id: 2, name: 'Idle one', model: 'mlx-community/idle-4bit' })]

function manager() {
  return fakeServer({
    'GET /api/servers': () => json([ready, idle]),
    'GET /api/profiles': () => json(profiles),
    'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
    'GET /api/metrics/servers': () => json([]),
  })
}

const disabled = (id: string) => (requireTestId(id) as HTMLButtonElement).disabled

describe('servers offline', () => {
  it('keeps the list the manager sent on this device', async () => {
    manager()
    useAuthStore().user = makeUser({ isAdmin: true })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(async () => expect((await readSnapshot<{ name: string }[]>('servers'))?.value.map((s) => s.name)).toEqual(['Qwen3 4B', 'Idle one']))
    expect(byTestId('last-known')).toBeNull()
    expect(disabled('server-stop')).toBe(false)
  })

  it('opens on the last-known copy, read-only, with when it was sent, when the manager cannot be reached', async () => {
    const savedAt = new Date(Date.now() - 5 * 60_000).toISOString()
    await saveSnapshot('servers', [ready, idle], savedAt)
    await saveSnapshot('profiles', profiles, savedAt)
    manager().offline()
    const auth = useAuthStore()
    auth.user = makeUser({ isAdmin: true })
    auth.offline = true
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(() => expect(byTestId('last-known')).not.toBeNull())
    expect(requireTestId('last-known').textContent).toContain('Offline — showing the last-known copy.')
    expect(requireTestId('last-known-updated').textContent).toContain('Last updated')
    expect(requireTestId('last-known-updated').getAttribute('datetime')).toBe(savedAt)
    expect(requireTestId('last-known').textContent).toContain('Starting, stopping, benchmarks and logs need the manager')
    expect(byTestId('servers-error')).toBeNull()
    expect(requireTestId('servers-ready-count').textContent).toContain('1 ready')
    const tile = requireTestId('server-tile')
    // The models come from the profiles' own last-known copy.
    await vi.waitFor(() => expect(tile.textContent).toContain('mlx-community/Qwen3-4B-4bit'))
    expect(requireTestId('gauge-memory-value', tile).textContent).toBe('2.0 GB')
    // What needs the manager is there but disabled.
    for (const id of ['server-stop', 'server-restart', 'server-benchmark', 'server-logs', 'server-start']) expect(disabled(id), id).toBe(true)
    expect(requireTestId('stopped-row').textContent).toContain('mlx-community/idle-4bit')
  })

  it('says the manager cannot be reached when this device has no copy', async () => {
    manager().offline()
    useAuthStore().user = makeUser({ isAdmin: true })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    await vi.waitFor(() => expect(byTestId('servers-error')).not.toBeNull())
    expect(byTestId('server-tile')).toBeNull()
    expect(byTestId('last-known')).toBeNull()
  })
})
