import { describe, expect, it } from 'vitest'
import type { BenchmarkRun } from '../../../shared/benchmarks'
import { useBenchmarksStore } from '../../../web/src/features/benchmarks/store'
import { failure, fakeServer, json } from '../helpers'

function makeRun(id: number, status: BenchmarkRun['status'], profileId = 1): BenchmarkRun {
  return {
    id,
    profileId,
    profileName: 'Qwen3 4B',
    modelId: 'mlx-community/Qwen3-4B-4bit',
    engine: 'mlx_lm.server',
    settings: { contextLength: null, modelType: 'lm', trustRemoteCode: false, extraArgs: [] },
    machine: { hostname: 'studio', os: 'darwin 24.1.0 arm64', cpu: 'Apple M2 Max', cpuCores: 12, memoryBytes: 64 * 1024 ** 3 },
    status,
    error: null,
    promptSizes: [128],
    generatedTokens: 128,
    results: [],
    peakBytes: null,
    memorySource: null,
    startedAt: '2026-01-02T10:00:00.000Z',
    finishedAt: status === 'running' ? null : '2026-01-02T10:00:09.000Z',
    phase: status === 'running' ? 'warming up' : null,
  }
}

const ids = (runs: readonly BenchmarkRun[]) => runs.map((run) => run.id)

function manager(runs: BenchmarkRun[] = [makeRun(2, 'completed'), makeRun(1, 'failed')]) {
  return fakeServer({ 'GET /api/benchmarks': () => json(runs) })
}

describe('benchmarks store', () => {
  it('lists no run until the manager’s list arrives, then every run, none of them going on', async () => {
    manager()
    const store = useBenchmarksStore()
    expect(store.runs).toEqual([])
    await store.load()
    expect(store.loaded).toBe(true)
    expect(ids(store.runs)).toEqual([2, 1])
    expect(store.running).toBeNull()
    expect(ids(store.finished)).toEqual([2, 1])
  })

  it('tells the run going on from the finished ones', async () => {
    manager([makeRun(3, 'running'), makeRun(2, 'completed'), makeRun(1, 'failed')])
    const store = useBenchmarksStore()
    await store.load()
    expect(store.running?.id).toBe(3)
    expect(ids(store.finished)).toEqual([2, 1])
  })

  it('puts a new run first and replaces a known one where it is as its progress comes in', async () => {
    manager()
    const store = useBenchmarksStore()
    await store.load()
    store.apply(makeRun(3, 'running'))
    expect(ids(store.runs)).toEqual([3, 2, 1])
    expect(store.running?.id).toBe(3)
    store.apply({ ...makeRun(3, 'running'), phase: 'measuring 128 prompt tokens' })
    expect(store.running?.phase).toBe('measuring 128 prompt tokens')
    store.apply(makeRun(3, 'completed'))
    store.apply({ ...makeRun(1, 'failed'), error: 'The engine answered 500.' })
    expect(ids(store.runs)).toEqual([3, 2, 1])
    expect(store.runs.map((run) => run.status)).toEqual(['completed', 'completed', 'failed'])
    expect(store.runs[2]?.error).toBe('The engine answered 500.')
    expect(store.running).toBeNull()
  })

  it('starts a benchmark of a profile, says which one is starting until the manager answers, and lists the run', async () => {
    const server = manager()
    const store = useBenchmarksStore()
    await store.load()
    const whileStarting: (number | null)[] = []
    server.on('POST /api/benchmarks', () => {
      whileStarting.push(store.starting)
      return json(makeRun(3, 'running', 5))
    })
    expect(store.starting).toBeNull()
    await expect(store.start(5)).resolves.toMatchObject({ id: 3, profileId: 5 })
    expect(server.callsTo('POST /api/benchmarks').map((call) => call.body)).toEqual([{ profileId: 5 }])
    expect(whileStarting).toEqual([5])
    expect(store.starting).toBeNull()
    expect(ids(store.runs)).toEqual([3, 2, 1])
    expect(store.running?.profileId).toBe(5)
  })

  it('passes on a refused start and stops saying it is starting', async () => {
    const server = manager()
    server.on('POST /api/benchmarks', () => failure(409, 'benchmark-running', 'A benchmark is already running.'))
    const store = useBenchmarksStore()
    await store.load()
    await expect(store.start(5)).rejects.toMatchObject({ message: 'A benchmark is already running.' })
    expect(store.starting).toBeNull()
    expect(ids(store.runs)).toEqual([2, 1])
  })

  it('forgets that the list was loaded, for the next user', async () => {
    manager()
    const store = useBenchmarksStore()
    await store.load()
    store.forget()
    expect(store.loaded).toBe(false)
  })
})
