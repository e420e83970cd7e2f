import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { BenchmarkRun } from '../../shared/benchmarks'
import { estimateFit, type MemoryMeasurement } from '../../shared/memory-fit'
import type { ServerStatus } from '../../shared/servers'
import { useAuthStore } from '../../web/src/features/auth/store'
import { useBenchmarksStore } from '../../web/src/features/benchmarks/store'
import { sizeColumns } from '../../web/src/features/benchmarks/format'
import FitBadge from '../../web/src/features/catalog/components/FitBadge.vue'
import { fitAt } from '../../web/src/features/catalog/fit'
import { useEventsStore } from '../../web/src/features/events/store'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { FakeEventSource, fakeServer, json, makeUser, useFakeEventSource } from './helpers'
import { routerStub } from './servers-router'

const GiB = 2 ** 30

const ready: ServerStatus = {
  profileId: 1,
  name: 'Qwen3 4B',
  engine: 'mlx_lm.server',
  state: 'ready',
  pid: 4242,
  host: '127.0.0.1',
  port: 8000,
  baseUrl: 'http://127.0.0.1:8000/v1',
  startedAt: '2026-01-01T10:00:00.000Z',
  readyAt: '2026-01-01T10:00:02.000Z',
  stoppedAt: null,
  idleStopsAt: null,
  exitCode: null,
  signal: null,
  failure: null,
  cpuPercent: 12,
  rssBytes: 2 * GiB,
  command: null,
  adopted: false,
  restarts: 0,
  nextRestartAt: null,
  needsRestart: false,
}

function run(overrides: Partial<BenchmarkRun> = {}): BenchmarkRun {
  return {
    id: 1,
    profileId: 1,
    profileName: 'Qwen3 4B',
    modelId: 'mlx-community/Qwen3-4B-4bit',
    engine: 'mlx_lm.server',
    settings: { contextLength: null, modelType: 'lm', trustRemoteCode: false, extraArgs: [] },
    machine: { hostname: 'studio', os: 'darwin 24.1.0 arm64', cpu: 'Apple M2 Max', cpuCores: 12, memoryBytes: 64 * GiB },
    status: 'completed',
    error: null,
    promptSizes: [128, 1024],
    generatedTokens: 128,
    results: [
      { targetPromptTokens: 128, promptTokens: 129, generatedTokens: 128, timeToFirstTokenMs: 95, promptTokensPerSecond: 1357.9, generationTokensPerSecond: 88.4, peakBytes: 2.6 * GiB, totalMs: 1540 },
      { targetPromptTokens: 1024, promptTokens: 1020, generatedTokens: 128, timeToFirstTokenMs: 610, promptTokensPerSecond: 1672.1, generationTokensPerSecond: 84.2, peakBytes: 2.9 * GiB, totalMs: 2150 },
    ],
    peakBytes: 2.9 * GiB,
    memorySource: 'footprint',
    startedAt: '2026-01-02T10:00:00.000Z',
    finishedAt: '2026-01-02T10:00:09.000Z',
    phase: null,
    ...overrides,
  }
}

function screen(runs: BenchmarkRun[], admin: boolean) {
  const server = fakeServer({
    'GET /api/servers': () => json([ready]),
    'GET /api/profiles': () => json([]),
    'GET /api/system/memory': () => json({ totalBytes: 32 * GiB, usedBytes: 12 * GiB }),
    'GET /api/metrics/servers': () => json([]),
    'GET /api/benchmarks': () => json(runs),
    'POST /api/benchmarks': () => json(run({ id: 2, status: 'running', results: [], peakBytes: null, memorySource: null, finishedAt: null, phase: 'warming up' }), 202),
    'GET /api/auth/me': () => json(makeUser({ isAdmin: admin })),
  })
  useAuthStore().user = makeUser({ isAdmin: admin })
  mountInApp(ServersView, { plugins: [routerStub()] })
  return server
}

describe('benchmarks on the servers screen', () => {
  it('an admin benchmarks a ready server with one click and follows it to the result', async () => {
    useFakeEventSource()
    const server = screen([run()], true)
    await flushPromises()
    useEventsStore().connect()
    const source = FakeEventSource.latest()
    source.open()
    await flushPromises()

    const rows = document.querySelectorAll('[data-testid="benchmark-row"]')
    expect(rows).toHaveLength(1)
    const table = requireTestId('benchmarks-table')
    expect(table.textContent).toContain('128 prompt')
    expect(table.textContent).toContain('1K prompt')
    expect(table.textContent).toContain('1,358')
    expect(table.textContent).toContain('88.4')
    expect(table.textContent).toContain('first token 610 ms')
    expect(table.textContent).toContain('2.9 GB')
    expect(table.textContent).toContain('studio · 64 GB')
    expect(table.textContent).toContain('Apple M2 Max')

    await click('server-benchmark')
    expect(server.callsTo('POST /api/benchmarks')[0]?.body).toEqual({ profileId: 1 })
    expect(requireTestId('benchmark-running').textContent).toContain('warming up')

    source.emit('benchmarks.progress', run({ id: 2, status: 'running', results: run().results.slice(0, 1), phase: 'measuring 1024 prompt tokens' }))
    await flushPromises()
    expect(requireTestId('benchmark-running').textContent).toContain('1 of 2 sizes')
    source.emit('benchmarks.progress', run({ id: 2, status: 'failed', error: 'The benchmark failed: the engine answered 500: boom.', results: [] }))
    await flushPromises()
    expect(byTestId('benchmark-running')).toBeNull()
    expect(requireTestId('benchmark-error').textContent).toContain('the engine answered 500')
    expect(useBenchmarksStore().runs.map((item) => item.id)).toEqual([2, 1])
  })

  it('members see the results but no Benchmark button', async () => {
    screen([run()], false)
    await flushPromises()
    expect(document.querySelectorAll('[data-testid="benchmark-row"]')).toHaveLength(1)
    expect(byTestId('server-benchmark')).toBeNull()
  })

  it('lines up the prompt sizes of every run as columns', () => {
    expect(sizeColumns([run(), run({ results: [{ ...run().results[0]!, targetPromptTokens: 4096 }] })])).toEqual([128, 1024, 4096])
  })
})

describe('a measured fit', () => {
  const model = { weightsBytes: 2 * GiB, architecture: null }
  const peak: MemoryMeasurement = { modelId: 'm/x', engine: 'mlx_lm.server', contextTokens: null, peakBytes: 3 * GiB, source: 'footprint', measuredAt: '2026-02-03T10:00:00.000Z' }

  it('the page’s fit at any context uses the peak when one applies', () => {
    expect(fitAt({ ...model, measurements: [peak] }, 8192, 4 * GiB)).toMatchObject({ basis: 'measured', totalBytes: 3 * GiB, estimatedBytes: 2 * GiB })
    expect(fitAt({ ...model, measurements: [{ ...peak, contextTokens: 4096 }] }, 8192, 4 * GiB)).toMatchObject({ basis: 'estimate', totalBytes: 2 * GiB })
    expect(fitAt(model, 8192, 4 * GiB)?.basis).toBe('estimate')
  })

  it('the badge says measured, and when, beside the estimate', () => {
    const fit = estimateFit({ ...model, contextTokens: 8192, budgetBytes: 4 * GiB, measurements: [peak] })
    const badge = mount(FitBadge, { props: { fit } })
    const element = badge.get('[data-testid="fit-badge"]').element
    expect(badge.find('[data-testid="fit-measured"]').exists()).toBe(true)
    expect(element.getAttribute('aria-label')).toContain('took 3.0 GB at its peak (measured 3 Feb 2026 with mlx_lm.server (physical footprint))')
    const estimate = mount(FitBadge, { props: { fit: estimateFit({ ...model, contextTokens: 8192, budgetBytes: 4 * GiB }) } })
    expect(estimate.find('[data-testid="fit-measured"]').exists()).toBe(false)
  })
})
