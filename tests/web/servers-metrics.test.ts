import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { ServerChatMetrics } from '../../shared/chat'
import type { ServerStatus } from '../../shared/servers'
import { parseServerEvent } from '../../web/src/api/client'
import { useAuthStore } from '../../web/src/features/auth/store'
import { count, latency, tokenRate } from '../../web/src/features/servers/format'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { useServersStore } from '../../web/src/features/servers/store'
import { mountInApp, byTestId, requireTestId } from './components/mount'
import { useEventsStore } from '../../web/src/features/events/store'
import { fakeServer, FakeEventSource, json, makeUser, useFakeEventSource } from './helpers'
import { routerStub } from './servers-router'

function server(profileId: number, name: string): ServerStatus {
  return {
    profileId,
    name,
    engine: 'mlx-openai-server',
    state: 'ready',
    pid: 4000 + profileId,
    host: '127.0.0.1',
    port: 8000 + profileId,
    baseUrl: `http://127.0.0.1:${8000 + profileId}/v1`,
    startedAt: '2026-01-01T10:00:00.000Z',
    readyAt: '2026-01-01T10:00:02.000Z',
    stoppedAt: null,
    idleStopsAt: null,
    exitCode: null,
    signal: null,
    failure: null,
    cpuPercent: 5,
    rssBytes: 1024 ** 3,
    command: null,
    adopted: false,
    restarts: 0,
    nextRestartAt: null,
    needsRestart: false,
  }
}

function summary(overrides: Partial<ServerChatMetrics> = {}): ServerChatMetrics {
  return {
    profileId: 1,
    requests: 12,
    errors: 1,
    promptTokens: 1200,
    completionTokens: 2345,
    medianTokensPerSecond: 42.46,
    medianTimeToFirstTokenMs: 318.2,
    lastRequestAt: '2026-01-01T11:00:00.000Z',
    byKey: [],
    ...overrides,
  }
}

describe('chat summary formatting', () => {
  it('keeps counts, speeds and latencies short', () => {
    expect([count(950), count(3545), count(12_345), count(4_500_000)]).toEqual(['950', '3.5k', '12k', '4.5M'])
    expect([tokenRate(42.46), tokenRate(312.4), tokenRate(null)]).toEqual(['42.5 tok/s', '312 tok/s', '–'])
    expect([latency(318.2), latency(1420), latency(null)]).toEqual(['318 ms', '1.4 s', '–'])
  })
})

describe('chat.metrics events', () => {
  it('are parsed when they carry a summary row, dropped otherwise', () => {
    expect(parseServerEvent('chat.metrics', JSON.stringify(summary()))).toEqual({ type: 'chat.metrics', data: summary() })
    expect(parseServerEvent('chat.metrics', JSON.stringify({ requests: 3 }))).toBeNull()
    expect(parseServerEvent('chat.metrics', 'not json')).toBeNull()
  })
})

describe('chat summaries in the servers store', () => {
  it('takes each server\'s figures from the chat.metrics event, without asking the manager again', async () => {
    const api = fakeServer({ 'GET /api/metrics/servers': () => json([summary({ profileId: 1, requests: 12 }), summary({ profileId: 2, requests: 4 })]) })
    const store = useServersStore()
    await store.loadChatSummaries()
    expect(store.chatSummaries[1]?.requests).toBe(12)
    for (let requests = 13; requests <= 15; requests++) store.chatMetricsChanged(summary({ profileId: 1, requests }))
    expect(store.chatSummaries[1]).toEqual(summary({ profileId: 1, requests: 15 }))
    // The other server's row stays as it was.
    expect(store.chatSummaries[2]?.requests).toBe(4)
    expect(api.callsTo('GET /api/metrics/servers')).toHaveLength(1)
  })

  it('applies a chat.metrics event that arrives on the live stream', async () => {
    useFakeEventSource()
    const api = fakeServer({ 'GET /api/metrics/servers': () => json([summary({ requests: 1 })]), 'GET /api/auth/me': () => json(makeUser()) })
    const store = useServersStore()
    await store.loadChatSummaries()
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.open()
    source.emit('chat.metrics', summary({ requests: 2 }))
    await flushPromises()
    expect(store.chatSummaries[1]?.requests).toBe(2)
    expect(api.callsTo('GET /api/metrics/servers')).toHaveLength(1)
  })

  it('keeps the last figures when a refetch fails, and forgets a deleted server', async () => {
    const api = fakeServer({ 'GET /api/metrics/servers': () => json([summary()]) })
    const store = useServersStore()
    await store.loadChatSummaries()
    api.offline()
    await store.loadChatSummaries()
    expect(store.chatSummaries[1]?.requests).toBe(12)
    store.forget(1)
    expect(store.chatSummaries[1]).toBeUndefined()
  })
})

describe('servers screen chat summary', () => {
  it('shows messages, tokens and medians on a tile that chatted, and "no chats yet" on one that did not', async () => {
    fakeServer({
      'GET /api/servers': () => json([server(1, 'Chatty'), server(2, 'Quiet')]),
      'GET /api/metrics/servers': () => json([summary()]),
      'GET /api/profiles': () => json([]),
      'GET /api/system/memory': () => json({ totalBytes: 32 * 1024 ** 3, usedBytes: 12 * 1024 ** 3 }),
    })
    useAuthStore().user = makeUser()
    mountInApp(ServersView, { plugins: [routerStub()] })
    await flushPromises()
    const [chatty, quiet] = [...document.querySelectorAll<HTMLElement>('[data-testid="server-tile"]')] as [HTMLElement, HTMLElement]
    expect(requireTestId('chat-requests', chatty).textContent).toBe('12')
    // The count opens the request log narrowed to this server.
    expect(requireTestId('server-requests', chatty).getAttribute('href')).toBe('/requests?profileId=1')
    expect(requireTestId('chat-tokens', chatty).textContent).toBe('3.5k')
    expect(requireTestId('chat-speed', chatty).textContent).toBe('42.5 tok/s')
    expect(requireTestId('chat-ttft', chatty).textContent).toBe('318 ms')
    expect(byTestId('server-chat-none', chatty)).toBeNull()
    expect(byTestId('server-chat-summary', quiet)).toBeNull()
    expect(requireTestId('server-chat-none', quiet).textContent).toBe('No chats yet')
    // A reply later: the figures follow once the store refetches.
    useServersStore().chatSummaries = { 2: summary({ profileId: 2, requests: 1, promptTokens: 5, completionTokens: 20, medianTokensPerSecond: 30, medianTimeToFirstTokenMs: 1500 }) }
    await flushPromises()
    expect(requireTestId('chat-requests', quiet).textContent).toBe('1')
    expect(requireTestId('chat-ttft', quiet).textContent).toBe('1.5 s')
    expect(byTestId('server-chat-summary', chatty)).toBeNull()
  })
})
