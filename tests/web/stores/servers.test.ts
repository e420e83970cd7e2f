import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import type { ServerChatMetrics } from '../../../shared/chat'
import { readSnapshot } from '../../../web/src/db/snapshots'
import { HISTORY_LENGTH, LOG_KEEP_LINES, useServersStore } from '../../../web/src/features/servers/store'
import { failure, fakeServer, FakeEventSource, json, makeServerStatus, useFakeEventSource } from '../helpers'

const GiB = 1024 ** 3

function summary(profileId: number, requests: number): ServerChatMetrics {
  return {
    profileId,
    requests,
    errors: 0,
    promptTokens: 100,
    completionTokens: 200,
    medianTokensPerSecond: 40,
    medianTimeToFirstTokenMs: 300,
    lastRequestAt: '2026-01-01T11:00:00.000Z',
    byKey: [],
  }
}

/** Two servers: 1 ready holding 2 GiB, 2 stopped. */
function twoServers() {
  const store = useServersStore()
  store.applyState(makeServerStatus({ profileId: 1, name: 'One', state: 'ready', rssBytes: 2 * GiB }))
  store.applyState(makeServerStatus({ profileId: 2, name: 'Two', state: 'stopped', port: 8001 }))
  return store
}

function stats(at: string, ...samples: [profileId: number, cpuPercent: number, rssBytes: number][]) {
  return { at, servers: samples.map(([profileId, cpuPercent, rssBytes]) => ({ profileId, cpuPercent, rssBytes })) }
}

describe('servers store: the list', () => {
  it('loads every server from GET /api/servers', async () => {
    fakeServer({ 'GET /api/servers': () => json([makeServerStatus({ profileId: 3 }), makeServerStatus({ profileId: 4 })]) })
    const store = useServersStore()
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.loadError).toBeNull()
    expect(store.servers.map((server) => server.profileId)).toEqual([3, 4])
  })

  it('offline, a fresh page shows the list last saved on this device as "servers"', async () => {
    const server = fakeServer({ 'GET /api/servers': () => json([makeServerStatus({ profileId: 3 })]) })
    await useServersStore().load()
    await vi.waitFor(async () => expect((await readSnapshot('servers'))?.value).toHaveLength(1))
    setActivePinia(createPinia())
    server.offline()
    const store = useServersStore()
    await store.load()
    expect(store.fromDevice).toBe(true)
    expect(store.loadError).toBeNull()
    expect(store.servers.map((status) => status.profileId)).toEqual([3])
  })

  it('says why the list could not be loaded', async () => {
    fakeServer({ 'GET /api/servers': () => failure(500, 'internal', 'The manager failed.') })
    const store = useServersStore()
    await store.load()
    expect(store.loaded).toBe(false)
    expect(store.loadError).toBe('The manager failed.')
  })

  it('counts starting, ready and stopping servers as running, and adds up the memory they hold', () => {
    const store = useServersStore()
    store.applyState(makeServerStatus({ profileId: 1, state: 'starting', rssBytes: GiB }))
    store.applyState(makeServerStatus({ profileId: 2, state: 'ready', rssBytes: 2 * GiB }))
    store.applyState(makeServerStatus({ profileId: 3, state: 'stopping', rssBytes: null }))
    store.applyState(makeServerStatus({ profileId: 4, state: 'stopped', rssBytes: 8 * GiB }))
    store.applyState(makeServerStatus({ profileId: 5, state: 'failed', rssBytes: 8 * GiB }))
    expect(store.running.map((server) => server.profileId)).toEqual([1, 2, 3])
    expect(store.heldBytes).toBe(3 * GiB)
    expect(store.byId.get(4)?.state).toBe('stopped')
    expect(store.byId.get(6)).toBeUndefined()
  })

  it('replaces a known server where it stands and adds a new one at the end', () => {
    const store = twoServers()
    store.applyState(makeServerStatus({ profileId: 1, name: 'One', state: 'stopping' }))
    store.applyState(makeServerStatus({ profileId: 7, name: 'Seven' }))
    expect(store.servers.map((server) => [server.profileId, server.state])).toEqual([
      [1, 'stopping'],
      [2, 'stopped'],
      [7, 'stopped'],
    ])
  })

  it('forgets a removed profile: its server, its chart and its chat figures, and nothing else', () => {
    const store = twoServers()
    store.applyStats(stats('2026-01-01T10:00:00.000Z', [1, 10, GiB], [2, 20, GiB]))
    store.chatMetricsChanged(summary(1, 5))
    store.chatMetricsChanged(summary(2, 6))
    store.forget(1)
    expect(store.servers.map((server) => server.profileId)).toEqual([2])
    expect(Object.keys(store.history)).toEqual(['2'])
    expect(Object.keys(store.chatSummaries)).toEqual(['2'])
  })
})

describe('servers store: stats', () => {
  it('puts each sample on its server and on its chart, at the event time', () => {
    const store = twoServers()
    store.applyStats(stats('2026-01-01T10:00:00.000Z', [1, 12.5, 3 * GiB]))
    store.applyStats(stats('2026-01-01T10:00:02.000Z', [1, 30, 4 * GiB]))
    expect(store.byId.get(1)).toMatchObject({ cpuPercent: 30, rssBytes: 4 * GiB, state: 'ready' })
    expect(store.history[1]).toEqual([
      { at: Date.parse('2026-01-01T10:00:00.000Z'), cpuPercent: 12.5, rssBytes: 3 * GiB },
      { at: Date.parse('2026-01-01T10:00:02.000Z'), cpuPercent: 30, rssBytes: 4 * GiB },
    ])
    expect(store.history[2]).toBeUndefined()
  })

  it('charts a sample for a server not listed yet without inventing the server', () => {
    const store = useServersStore()
    store.applyStats(stats('2026-01-01T10:00:00.000Z', [9, 1, GiB]))
    expect(store.servers).toEqual([])
    expect(store.history[9]).toHaveLength(1)
  })

  it(`keeps the newest ${HISTORY_LENGTH} samples per chart`, () => {
    const store = twoServers()
    for (let second = 0; second < HISTORY_LENGTH + 5; second += 1) {
      store.applyStats(stats(new Date(Date.UTC(2026, 0, 1, 10, 0, second)).toISOString(), [1, second, GiB]))
    }
    const chart = store.history[1] ?? []
    expect(chart).toHaveLength(HISTORY_LENGTH)
    expect(chart[0]?.cpuPercent).toBe(5)
    expect(chart.at(-1)?.cpuPercent).toBe(HISTORY_LENGTH + 4)
  })

  it('starts a new chart when a server starts, stops or fails, and keeps it while it runs or stops', () => {
    const store = twoServers()
    const chartAfter = (state: 'starting' | 'ready' | 'stopping' | 'stopped' | 'failed') => {
      store.applyStats(stats('2026-01-01T10:00:00.000Z', [1, 10, GiB]))
      store.applyState(makeServerStatus({ profileId: 1, state }))
      return store.history[1]?.length ?? 0
    }
    expect(chartAfter('ready')).toBe(1)
    expect(chartAfter('stopping')).toBe(2)
    expect(chartAfter('stopped')).toBe(0)
    expect(chartAfter('starting')).toBe(0)
    expect(chartAfter('failed')).toBe(0)
    // Other servers' charts stay.
    store.applyStats(stats('2026-01-01T10:00:00.000Z', [2, 10, GiB]))
    store.applyState(makeServerStatus({ profileId: 1, state: 'stopped' }))
    expect(store.history[2]).toHaveLength(1)
  })
})

describe('servers store: start, stop and restart', () => {
  for (const action of ['start', 'stop', 'restart'] as const) {
    it(`${action} posts to /api/servers/:id/${action}, shows it busy meanwhile and applies the answer`, async () => {
      const server = fakeServer()
      const store = twoServers()
      let busyMeanwhile: unknown
      const answer = makeServerStatus({ profileId: 2, name: 'Two', state: 'starting', startedAt: '2026-01-01T10:00:00.000Z' })
      server.on(`POST /api/servers/2/${action}`, () => {
        busyMeanwhile = { ...store.busy }
        return json(answer)
      })
      const returned = await store[action](2)
      expect(server.calls.map((call) => `${call.method} ${call.path}`)).toEqual([`POST /api/servers/2/${action}`])
      expect(busyMeanwhile).toEqual({ 2: action })
      expect(store.busy).toEqual({})
      expect(returned).toEqual(answer)
      expect(store.byId.get(2)?.state).toBe('starting')
    })
  }

  it('clears only its own busy mark when the call fails, and passes the refusal on', async () => {
    const server = fakeServer()
    const store = twoServers()
    let finishFirst: (response: Response) => void = () => undefined
    server.on('POST /api/servers/1/stop', () => new Promise<Response>((resolve) => (finishFirst = resolve)))
    server.on('POST /api/servers/2/start', () => failure(409, 'port-in-use', 'Port 8001 is taken.'))
    const stopping = store.stop(1)
    await expect(store.start(2)).rejects.toMatchObject({ code: 'port-in-use', message: 'Port 8001 is taken.' })
    expect(store.busy).toEqual({ 1: 'stop' })
    expect(store.byId.get(2)?.state).toBe('stopped')
    finishFirst(json(makeServerStatus({ profileId: 1, state: 'stopped' })))
    await stopping
    expect(store.busy).toEqual({})
  })
})

describe('servers store: chat summaries', () => {
  it('keys every server’s chat summary by profile, and an event replaces one row', async () => {
    fakeServer({ 'GET /api/metrics/servers': () => json([summary(1, 5), summary(2, 6)]) })
    const store = useServersStore()
    await store.loadChatSummaries()
    expect(store.chatSummaries[1]?.requests).toBe(5)
    expect(store.chatSummaries[2]?.requests).toBe(6)
    store.chatMetricsChanged(summary(2, 7))
    store.chatMetricsChanged(summary(3, 1))
    expect(Object.values(store.chatSummaries).map((row) => [row.profileId, row.requests])).toEqual([
      [1, 5],
      [2, 7],
      [3, 1],
    ])
  })

  it('keeps the last figures when they cannot be fetched', async () => {
    const server = fakeServer({ 'GET /api/metrics/servers': () => json([summary(1, 5)]) })
    const store = useServersStore()
    await store.loadChatSummaries()
    server.offline()
    await expect(store.loadChatSummaries()).resolves.toBeUndefined()
    expect(store.chatSummaries[1]?.requests).toBe(5)
  })
})

describe('servers store: the open log', () => {
  it('follows one server’s log: the tail, then new lines, counting every line received', () => {
    useFakeEventSource()
    const store = useServersStore()
    expect([store.logProfileId, store.logState, store.logLines]).toEqual([null, 'idle', []])
    store.openLog(4)
    const source = FakeEventSource.latest()
    expect(new URL(source.url).pathname).toBe('/api/servers/4/logs')
    expect(source.withCredentials).toBe(true)
    expect(store.logProfileId).toBe(4)
    expect(store.logState).toBe('connecting')
    source.emit('tail', { lines: ['a', 'b'] })
    expect(store.logState).toBe('open')
    expect(store.logLines).toEqual(['a', 'b'])
    expect(store.logReceived).toBe(0)
    source.emit('lines', { lines: ['c', 'd'] })
    source.emit('lines', { lines: ['e'] })
    expect(store.logLines).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(store.logReceived).toBe(3)
  })

  it(`keeps only the last ${LOG_KEEP_LINES} lines, from the tail and from new output`, () => {
    useFakeEventSource()
    const store = useServersStore()
    store.openLog(1)
    const source = FakeEventSource.latest()
    const many = Array.from({ length: LOG_KEEP_LINES + 10 }, (_, index) => `line ${index}`)
    source.emit('tail', { lines: many })
    expect(store.logLines).toHaveLength(LOG_KEEP_LINES)
    expect(store.logLines[0]).toBe('line 10')
    source.emit('lines', { lines: ['new 1', 'new 2'] })
    expect(store.logLines).toHaveLength(LOG_KEEP_LINES)
    expect(store.logLines[0]).toBe('line 12')
    expect(store.logLines.at(-1)).toBe('new 2')
    expect(store.logReceived).toBe(2)
  })

  it('says when the log stream drops or is refused', () => {
    useFakeEventSource()
    const store = useServersStore()
    store.openLog(1)
    FakeEventSource.latest().drop()
    expect(store.logState).toBe('reconnecting')
    FakeEventSource.latest().refuse()
    expect(store.logState).toBe('closed')
  })

  it('opening another log closes the first and starts empty; closing leaves no log open', () => {
    useFakeEventSource()
    const store = useServersStore()
    store.openLog(1)
    const first = FakeEventSource.latest()
    first.emit('tail', { lines: ['old'] })
    first.emit('lines', { lines: ['older'] })
    store.openLog(2)
    const second = FakeEventSource.latest()
    expect(first.readyState).toBe(FakeEventSource.CLOSED)
    expect(second).not.toBe(first)
    expect(store.logProfileId).toBe(2)
    expect(store.logLines).toEqual([])
    expect(store.logReceived).toBe(0)
    expect(store.logState).toBe('connecting')
    store.closeLog()
    expect(second.readyState).toBe(FakeEventSource.CLOSED)
    expect(store.logProfileId).toBeNull()
    expect(store.logState).toBe('idle')
    // Closing twice is harmless.
    store.closeLog()
    expect(store.logState).toBe('idle')
  })
})
