import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { useEventsStore } from '../../web/src/features/events/store'
import { sparkPoints, duration, bytes } from '../../web/src/features/servers/format'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { HISTORY_LENGTH, useServersStore } from '../../web/src/features/servers/store'
import { useAuthStore } from '../../web/src/features/auth/store'
import { routerStub } from './servers-router'
import { mountInApp, byTestId, requireTestId } from './components/mount'
import { fakeServer, FakeEventSource, json, makeServerStatus, makeUser, useFakeEventSource } from './helpers'

const status = makeServerStatus

const ready = status({ state: 'ready', pid: 4242, startedAt: '2026-01-01T10:00:00.000Z', readyAt: '2026-01-01T10:00:02.000Z', cpuPercent: 12, rssBytes: 2 * 1024 ** 3 })

describe('servers store', () => {
  it('loads the list and starts a server with the answer the manager gives', async () => {
    const server = fakeServer({
      'GET /api/servers': () => json([status()]),
      'POST /api/servers/1/start': () => json(status({ state: 'starting', pid: 99, startedAt: '2026-01-01T10:00:00.000Z' }), 202),
    })
    const store = useServersStore()
    await store.load()
    expect(store.servers.map((s) => s.state)).toEqual(['stopped'])
    await store.start(1)
    expect(server.callsTo('POST /api/servers/1/start')).toHaveLength(1)
    expect(store.byId.get(1)?.state).toBe('starting')
    expect(store.running).toHaveLength(1)
  })

  it('follows servers.state and servers.stats events, keeping a bounded history', async () => {
    useFakeEventSource()
    fakeServer({ 'GET /api/servers': () => json([status()]), 'GET /api/auth/me': () => json(makeUser()) })
    const store = useServersStore()
    await store.load()
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.open()
    source.emit('servers.state', ready)
    expect(store.byId.get(1)?.state).toBe('ready')
    for (let i = 0; i < HISTORY_LENGTH + 5; i++) {
      source.emit('servers.stats', { at: new Date(Date.UTC(2026, 0, 1, 10, 0, i)).toISOString(), servers: [{ profileId: 1, cpuPercent: i, rssBytes: 1000 + i }] })
    }
    expect(store.history[1]).toHaveLength(HISTORY_LENGTH)
    expect(store.history[1]?.at(-1)?.cpuPercent).toBe(HISTORY_LENGTH + 4)
    expect(store.byId.get(1)?.rssBytes).toBe(1000 + HISTORY_LENGTH + 4)
    expect(store.heldBytes).toBe(1000 + HISTORY_LENGTH + 4)
    // A stop ends the run and its chart.
    source.emit('servers.state', { ...ready, state: 'stopped', pid: null })
    expect(store.history[1]).toBeUndefined()
    expect(store.heldBytes).toBe(0)
    // A deleted profile takes its server with it.
    source.emit('profiles.deleted', { id: 1 })
    expect(store.servers).toHaveLength(0)
  })

  it('ignores events that do not have the expected shape', async () => {
    useFakeEventSource()
    fakeServer({ 'GET /api/servers': () => json([status()]), 'GET /api/auth/me': () => json(makeUser()) })
    const store = useServersStore()
    await store.load()
    useEventsStore().connect()
    FakeEventSource.latest().emit('servers.state', { state: 'ready' })
    FakeEventSource.latest().emit('servers.stats', 'not json')
    expect(store.byId.get(1)?.state).toBe('stopped')
  })

  it('streams a log: the tail first, then new lines', () => {
    useFakeEventSource()
    const store = useServersStore()
    store.openLog(3)
    const source = FakeEventSource.latest()
    expect(source.url).toContain('/api/servers/3/logs')
    source.emit('tail', { lines: ['one', 'two'] })
    source.emit('lines', { lines: ['three'] })
    expect(store.logLines).toEqual(['one', 'two', 'three'])
    expect(store.logState).toBe('open')
    store.closeLog()
    expect(source.readyState).toBe(FakeEventSource.CLOSED)
  })
})

describe('servers formatting', () => {
  it('formats durations, memory and sparkline points', () => {
    expect(duration(75_000)).toBe('1m 15s')
    expect(duration(2 * 3600_000 + 60_000)).toBe('2h 1m')
    expect(bytes(512 * 1024 ** 2)).toBe('512 MB')
    expect(bytes(3.4 * 1024 ** 3)).toBe('3.4 GB')
    expect(sparkPoints([0, 50, 100], 100, 22)).toBe('0.0,21.0 50.0,11.0 100.0,1.0')
    expect(sparkPoints([], 100, 22)).toBe('')
  })
})

describe('servers screen', () => {
  it('shows a ready tile with gauges, a failed tile with its reason and log tail, and what servers hold', async () => {
    const failed = status({
      profileId: 2,
      name: 'Broken',
      state: 'failed',
      exitCode: 1,
      failure: { reason: 'exited', message: 'The server exited with code 1 before it was ready.', logTail: ['Loading…', 'ValueError: bad model'] },
    })
    fakeServer({
      'GET /api/servers': () => json([ready, failed, status({ profileId: 3, name: 'Idle' })]),
      'GET /api/profiles': () => json([]),
      'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
    })
    useAuthStore().user = makeUser({ isAdmin: true })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    const tiles = [...document.querySelectorAll<HTMLElement>('[data-testid="server-tile"]')]
    expect(tiles.map((tile) => tile.dataset.name)).toEqual(['Qwen3 4B', 'Broken'])
    const [readyTile, failedTile] = tiles as [HTMLElement, HTMLElement]
    expect(requireTestId('server-pid', readyTile).textContent).toBe('4242')
    expect(requireTestId('gauge-cpu-value', readyTile).textContent).toBe('12%')
    expect(requireTestId('gauge-memory-value', readyTile).textContent).toBe('2.0 GB')
    expect(requireTestId('server-chat', readyTile).getAttribute('href')).toBe('/chat?profile=1')
    expect(requireTestId('server-exit', failedTile).textContent).toBe('exit code 1')
    expect(requireTestId('server-failure-message', failedTile).textContent).toContain('exited with code 1')
    expect(requireTestId('server-log-tail', failedTile).textContent).toContain('ValueError: bad model')
    expect(byTestId('server-retry', failedTile)).not.toBeNull()
    expect(requireTestId('servers-held').textContent).toBe('2.0 GB')
    expect(document.querySelectorAll('[data-testid="stopped-row"]')).toHaveLength(1)
  })
})
