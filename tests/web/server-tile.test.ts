import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import type { ServerStatus } from '../../shared/servers'
import { chartTop, clockTime, idleStopText, inWords, niceBytes, niceCeil, sparkPoints } from '../../web/src/features/servers/format'
import ServerTile from '../../web/src/features/servers/ServerTile.vue'
import type { StatsSample } from '../../web/src/features/servers/store'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { makeServerStatus } from './helpers'
import { routerStub } from './servers-router'

const MB = 1024 ** 2
const NOW = Date.parse('2026-01-01T14:20:00.000Z')

function tile(server: Partial<ServerStatus>, samples: StatsSample[] = []) {
  const props = reactive({
    server: makeServerStatus({ state: 'ready', pid: 4242, startedAt: '2026-01-01T14:00:00.000Z', readyAt: '2026-01-01T14:00:02.000Z', ...server }),
    model: null,
    samples,
    totalMemory: 64 * 1024 ** 3,
    now: NOW,
    busy: null,
    chat: null,
    admin: true,
  })
  mountInApp(ServerTile, { props, plugins: [routerStub()] })
  return props
}

/** The y of each point of the line, in the 28-high box (1 is the top, 27 the bottom). */
function lineHeights(index: number): number[] {
  const line = document.querySelectorAll('[data-testid="sparkline-line"]')[index]
  return (line?.getAttribute('points') ?? '').split(' ').map((point) => Number(point.split(',')[1]))
}

describe('idle stop on a server tile', () => {
  it('says when the serving pool stops an idle server, and follows the clock', async () => {
    const props = tile({ idleStopsAt: '2026-01-01T14:32:00.000Z' })
    await flushPromises()
    expect(requireTestId('server-idle-stop').textContent).toBe(`Stops when idle at ${clockTime('2026-01-01T14:32:00.000Z')}, in 12 min`)
    props.now = Date.parse('2026-01-01T14:31:30.000Z')
    await flushPromises()
    expect(requireTestId('server-idle-stop').textContent).toContain('in less than a minute')
    props.now = Date.parse('2026-01-01T14:32:05.000Z')
    await flushPromises()
    expect(requireTestId('server-idle-stop').textContent).toBe('Idle time is up: stopping')
  })

  it('says nothing for a server the pool will not stop, or one not serving', async () => {
    const props = tile({ idleStopsAt: null })
    await flushPromises()
    expect(byTestId('server-idle-stop')).toBeNull()
    props.server = makeServerStatus({ state: 'starting', startedAt: '2026-01-01T14:19:00.000Z', idleStopsAt: '2026-01-01T14:32:00.000Z' })
    await flushPromises()
    expect(byTestId('server-idle-stop')).toBeNull()
  })

  it('writes the time left in minutes and hours', () => {
    expect(inWords(12 * 60_000)).toBe('in 12 min')
    expect(inWords(11 * 60_000 + 1)).toBe('in 12 min')
    expect(inWords(65 * 60_000)).toBe('in 1 h 5 min')
    expect(inWords(120 * 60_000)).toBe('in 2 h')
    expect(idleStopText(null, NOW)).toBeNull()
    expect(idleStopText('not a time', NOW)).toBeNull()
  })
})

describe('server tile charts', () => {
  it('draw the status reading before the first sample instead of a blank box', async () => {
    tile({ cpuPercent: 4, rssBytes: 37 * MB })
    await flushPromises()
    const [cpu, memory] = document.querySelectorAll('[data-testid="sparkline-line"]')
    expect(cpu).toBeDefined()
    expect(memory).toBeDefined()
    expect(byTestId('sparkline-waiting')).toBeNull()
    // One reading is a level line across the whole chart.
    expect(lineHeights(1)).toHaveLength(2)
    expect(new Set(lineHeights(1)).size).toBe(1)
  })

  it('say they are measuring when there is no reading at all', async () => {
    tile({ cpuPercent: null, rssBytes: null })
    await flushPromises()
    expect(document.querySelectorAll('[data-testid="sparkline-waiting"]')).toHaveLength(2)
    expect(document.querySelectorAll('[data-testid="sparkline-line"]')).toHaveLength(0)
  })

  it('scale from 0, so a level 37 MB line is not stretched to the top, and label the scale', async () => {
    const samples = [0, 1, 2, 3].map((i) => ({ at: NOW - (3 - i) * 60_000, cpuPercent: 3, rssBytes: 37 * MB }))
    tile({ cpuPercent: 3, rssBytes: 37 * MB }, samples)
    await flushPromises()
    const tops = [...document.querySelectorAll('[data-testid="sparkline-top"]')].map((el) => el.textContent)
    expect(tops).toEqual(['0–100%', '0–50 MB'])
    const memory = lineHeights(1)
    // 37 of 50 MB: about three quarters up, well below the top edge (y = 1).
    for (const y of memory) expect(y).toBeCloseTo(28 - (37 / 50) * 26 - 1, 1)
    // 3% of one core: near the bottom.
    for (const y of lineHeights(0)) expect(y).toBeGreaterThan(25)
    expect(requireTestId('gauge-memory').textContent).toContain('last 3m 0s')
    expect(requireTestId('gauge-memory').querySelector('svg')?.getAttribute('aria-label')).toBe('Memory over the last minutes, now 37.0 MB, scale 0 to 50 MB')
  })

  it('choose round tops with headroom', () => {
    expect(niceCeil(37)).toBe(50)
    expect(niceCeil(2.1)).toBe(2.5)
    expect(niceCeil(100)).toBe(100)
    expect(niceBytes(44.4 * MB)).toBe(50 * MB)
    expect(niceBytes(1.3 * 1024 ** 3)).toBe(2 * 1024 ** 3)
    expect(chartTop([37 * MB, 37 * MB], 0, niceBytes)).toBe(50 * MB)
    expect(chartTop([5, 12], 100)).toBe(100)
    expect(chartTop([250, 380], 100)).toBe(500)
    expect(sparkPoints([10], 100, 22, 20)).toBe('0.0,11.0 100.0,11.0')
    expect(sparkPoints([0, 50, 100], 100, 22)).toBe('0.0,21.0 50.0,11.0 100.0,1.0')
  })
})

describe('a distributed server on its tile', () => {
  it('lists each rank with its host and state, a killed rank with its signal, and links to that rank’s log lines', async () => {
    const props = tile({
      state: 'failed',
      ranks: [
        { rank: 0, hostId: 1, hostName: 'this mac', address: '192.168.1.10', state: 'stopped', exitCode: null },
        { rank: 1, hostId: 2, hostName: 'studio', address: '192.168.1.20', state: 'exited', exitCode: -9 },
      ],
    })
    await flushPromises()
    const rows = [...document.querySelectorAll('[data-testid="server-rank"]')]
    const parts = (row: Element) => [...row.children].map((child) => child.textContent?.trim())
    expect(rows.map(parts)).toEqual([
      ['Rank 0', 'this mac', 'stopped', 'log'],
      ['Rank 1', 'studio', 'killed (signal 9)', 'log'],
    ])
    expect(rows.map((row) => row.getAttribute('data-state'))).toEqual(['stopped', 'exited'])
    expect(document.querySelectorAll('[data-testid="server-rank-log"]')[1]?.getAttribute('href')).toBe('/servers/1/logs?rank=1')
    props.server = makeServerStatus({ state: 'ready' })
    await flushPromises()
    expect(byTestId('server-ranks')).toBeNull()
  })
})
