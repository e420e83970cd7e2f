import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { migrate } from '../../server/db/database'
import { footprintPeakReader, linuxPeakReader, parseFootprint, parseHighWaterMark, type PeakReader } from '../../server/features/memory-usage/readers'
import { createMemoryPeakRepository } from '../../server/features/memory-usage/repository'
import type { ModelDetails, CatalogPage, CatalogSystem } from '../../shared/catalog'
import { estimateFit, pickMeasurement, type MemoryMeasurement } from '../../shared/memory-fit'
import type { ServerStatus } from '../../shared/servers'
import { FAST_TIMING, eventually, freePort, standinEnv } from '../fixtures/engine/harness'
import { catalogTestApp } from '../fixtures/hub/with-app'
import { ADMIN, createTestApp } from './helpers'

const GiB = 2 ** 30
const measurement = (overrides: Partial<MemoryMeasurement> = {}): MemoryMeasurement => ({
  modelId: 'mlx-community/Llama-3.2-3B-Instruct-4bit',
  engine: 'mlx-openai-server',
  contextTokens: 8192,
  peakBytes: 3 * GiB,
  source: 'footprint',
  measuredAt: '2026-02-01T10:00:00.000Z',
  ...overrides,
})

function repository() {
  const db = new Database(':memory:', { strict: true })
  migrate(db)
  return createMemoryPeakRepository(db)
}

describe('stored peaks', () => {
  test('keep the largest peak per model, engine and context, with its date; no context is its own key', () => {
    const repo = repository()
    repo.record(measurement())
    repo.record(measurement({ peakBytes: 2 * GiB, measuredAt: '2026-02-02T00:00:00.000Z' }))
    expect(repo.forModel(measurement().modelId)).toEqual([measurement()])
    repo.record(measurement({ peakBytes: 4 * GiB, measuredAt: '2026-02-03T00:00:00.000Z' }))
    repo.record(measurement({ contextTokens: null, engine: 'mlx_lm.server', peakBytes: GiB, source: 'rss' }))
    repo.record(measurement({ modelId: 'other/model' }))
    expect(repo.forModel(measurement().modelId)).toEqual([
      measurement({ peakBytes: 4 * GiB, measuredAt: '2026-02-03T00:00:00.000Z' }),
      measurement({ contextTokens: null, engine: 'mlx_lm.server', peakBytes: GiB, source: 'rss' }),
    ])
    expect(repo.all()).toHaveLength(3)
  })
})

describe('the fit on a measurement', () => {
  const input = { weightsBytes: 2 * GiB, architecture: null, contextTokens: 8192, budgetBytes: 4 * GiB }

  test('a peak at the same context, else one without a context limit, replaces the estimate; the estimate stays beside it', () => {
    const estimate = estimateFit(input)
    expect(estimate).toMatchObject({ basis: 'estimate', measured: null, totalBytes: 2 * GiB, estimatedBytes: 2 * GiB, state: 'fits' })
    const atContext = measurement({ peakBytes: 3.6 * GiB })
    const measured = estimateFit({ ...input, measurements: [atContext, measurement({ contextTokens: null, peakBytes: GiB })] })
    expect(measured).toMatchObject({ basis: 'measured', measured: atContext, totalBytes: 3.6 * GiB, estimatedBytes: 2 * GiB, state: 'tight' })
    expect(measured.headroomBytes).toBeCloseTo(0.4 * GiB)
    const unlimited = measurement({ contextTokens: null, peakBytes: 5 * GiB })
    expect(estimateFit({ ...input, measurements: [measurement({ contextTokens: 4096 }), unlimited] })).toMatchObject({ basis: 'measured', measured: unlimited, state: 'too-large' })
    expect(estimateFit({ ...input, measurements: [measurement({ contextTokens: 4096 })] })).toEqual(estimate)
  })

  test('between engines the larger peak stands', () => {
    const small = measurement({ engine: 'mlx_lm.server', contextTokens: 8192, peakBytes: GiB })
    const large = measurement({ peakBytes: 2 * GiB })
    expect(pickMeasurement([small, large], 8192)).toBe(large)
  })
})

describe('readers', () => {
  test('Linux: the sampled tree, raised to the process’s own high-water mark', async () => {
    expect(parseHighWaterMark('Name:\tpython\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n')).toBe(200 * 2 ** 20)
    const reader = linuxPeakReader()
    const own = await reader.read(process.pid, 0)
    expect(own.source).toBe('rss')
    expect(own.bytes).toBeGreaterThan(10 * 2 ** 20)
    expect((await reader.read(process.pid, 1e15)).bytes).toBe(1e15)
    expect((await reader.read(2 ** 30, 1234)).bytes).toBe(1234)
  })

  test('macOS: footprint of each process in the tree, else the sampled RSS, saying which', async () => {
    // The shape `footprint -f bytes` prints per process (a summary line, when present, is not counted again).
    const text = [
      '======================================================================',
      'python3.12 [501]: 64-bit    Footprint: 4527849472 B (16384 bytes per page)',
      'helper [502]: 64-bit    Footprint: 1048576 B (16384 bytes per page)',
      'Summary Footprint: 4528898048 B',
    ].join('\n')
    expect(parseFootprint(text)).toBe(4527849472 + 1048576)
    expect(parseFootprint('footprint: no process')).toBeNull()
    const table = { read: () => [{ pid: 501, ppid: 1, pgid: 501, cpuSeconds: 0, rssBytes: 0 }, { pid: 502, ppid: 501, pgid: 501, cpuSeconds: 0, rssBytes: 0 }, { pid: 9, ppid: 1, pgid: 9, cpuSeconds: 0, rssBytes: 0 }] }
    const calls: string[][] = []
    const works = footprintPeakReader({ table, run: (argv) => (calls.push(argv), Promise.resolve({ code: 0, stdout: text })) })
    expect(await works.read(501, 100)).toEqual({ bytes: 4527849472 + 1048576, source: 'footprint' })
    expect(calls[0]).toEqual(['/usr/bin/footprint', '-f', 'bytes', '-p', '501', '-p', '502'])
    const missing = footprintPeakReader({ table, run: () => Promise.reject(new Error('ENOENT')) })
    expect(await missing.read(501, 100)).toEqual({ bytes: 100, source: 'rss' })
    const refused = footprintPeakReader({ table, run: () => Promise.resolve({ code: 1, stdout: '' }) })
    expect(await refused.read(501, 100)).toEqual({ bytes: 100, source: 'rss' })
  })
})

describe('recording while servers run', () => {
  const extra = 3 * GiB
  const reader: PeakReader = { source: 'footprint', read: (_pid, rss) => Promise.resolve({ bytes: rss + extra, source: 'footprint' as const }) }
  let app: ReturnType<typeof createTestApp>
  let token = ''
  beforeAll(async () => {
    app = createTestApp({ peakReader: reader, serving: { env: standinEnv(), timing: FAST_TIMING } })
    token = (await app.signUp(ADMIN)).token ?? ''
  })
  afterAll(() => app.serving.supervisor.stopAll())

  test('a ready server’s peak is stored per model, engine and context; running servers hold at least their peak in the budget', async () => {
    const profile = await app.json<{ id: number }>('POST', '/api/profiles', {
      token,
      body: { name: 'Measured', model: 'standin/load-50ms', engine: 'mlx-openai-server', contextLength: 4096, port: await freePort() },
    })
    const started = await app.json<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`, { token })
    expect(started.body.state).toBe('ready')
    // The first sample can come before the process has any resident memory to read; the peak only grows from there.
    await eventually(() => (app.memoryUsage.measurements('standin/load-50ms')[0]?.peakBytes ?? 0) > extra)
    const [stored] = app.memoryUsage.measurements('standin/load-50ms')
    expect(stored).toMatchObject({ engine: 'mlx-openai-server', contextTokens: 4096, source: 'footprint' })
    expect(stored?.peakBytes).toBeGreaterThan(extra)
    expect(Date.parse(stored?.measuredAt ?? '')).toBeGreaterThan(Date.now() - 60_000)

    const listed = await app.json<{ source: string; measurements: MemoryMeasurement[] }>('GET', '/api/memory-usage', { token })
    expect(listed.body.source).toBe('footprint')
    expect(listed.body.measurements.map((item) => item.modelId)).toEqual(['standin/load-50ms'])

    const system = await app.json<CatalogSystem>('GET', '/api/catalog/system', { token })
    expect(system.body.runningServersBytes).toBeGreaterThanOrEqual(stored?.peakBytes ?? Infinity)
    await app.json('POST', `/api/servers/${profile.body.id}/stop`, { token })
    expect((await app.json<CatalogSystem>('GET', '/api/catalog/system', { token })).body.runningServersBytes).toBe(0)
  })

  test('a start that fails before it is ready records nothing', async () => {
    const profile = await app.json<{ id: number }>('POST', '/api/profiles', {
      token,
      body: { name: 'Crashes', model: 'standin/crash-at-start', engine: 'mlx_lm.server', port: await freePort() },
    })
    const started = await app.json<ServerStatus>('POST', `/api/servers/${profile.body.id}/start?wait=true`, { token })
    expect(started.body.state).toBe('failed')
    expect(app.memoryUsage.measurements('standin/crash-at-start')).toEqual([])
  })
})

describe('the catalog uses measured peaks', () => {
  const LLAMA = 'mlx-community/Llama-3.2-3B-Instruct-4bit'
  let catalog: Awaited<ReturnType<typeof catalogTestApp>>
  beforeAll(async () => {
    catalog = await catalogTestApp({ memory: { totalBytes: 32 * GiB, usedBytes: 12 * GiB } })
  })
  afterAll(() => catalog.stop())

  test('the model page and the list show the measurement with its date, and the estimate beside it', async () => {
    const before = (await catalog.get<ModelDetails>(`/api/catalog/models/${LLAMA}?context=8192`)).body
    expect(before.fit).toMatchObject({ basis: 'estimate', measured: null })
    expect(before.measurements).toBeUndefined()
    const estimate = before.fit?.totalBytes ?? 0

    createMemoryPeakRepository(catalog.app.db).record(measurement({ modelId: LLAMA, peakBytes: 19 * GiB }))
    const after = (await catalog.get<ModelDetails>(`/api/catalog/models/${LLAMA}?context=8192`)).body
    expect(after.fit).toMatchObject({ basis: 'measured', totalBytes: 19 * GiB, estimatedBytes: estimate, state: 'tight', measured: { measuredAt: '2026-02-01T10:00:00.000Z', source: 'footprint' } })
    expect(after.measurements).toHaveLength(1)
    // At another context the estimate stands (the measurement is kept for the page's slider).
    expect((await catalog.get<ModelDetails>(`/api/catalog/models/${LLAMA}?context=16384`)).body.fit).toMatchObject({ basis: 'estimate' })

    const page = (await catalog.get<CatalogPage>('/api/catalog/search?q=Llama-3.2-3B')).body
    const listed = page.models.find((model) => model.id === LLAMA)
    expect(listed?.fit).toMatchObject({ basis: 'measured', totalBytes: 19 * GiB, estimatedBytes: estimate })
    expect(page.models.filter((model) => model.id !== LLAMA).every((model) => model.fit === null || model.fit.basis === 'estimate')).toBe(true)
  })
})
