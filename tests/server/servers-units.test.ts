import { describe, expect, jest, test } from 'bun:test'
import { PROFILE_DEFAULTS, type Profile } from '../../shared/profiles'
import { PortRegistry } from '../../server/features/profiles/port-registry'
import type { PortCheck } from '../../server/features/profiles/ports'
import { classifyExit, type ExitFacts } from '../../server/features/servers/exit'
import { planRestart, type RestartTiming } from '../../server/features/servers/restart-policy'
import { newEntry, newRun } from '../../server/features/servers/run'
import { SamplingTimer } from '../../server/features/servers/sampling'
import { buildStatus } from '../../server/features/servers/status'

describe('classifyExit', () => {
  const facts = (over: Partial<ExitFacts>): ExitFacts => ({
    name: 'Qwen',
    previous: 'ready',
    stopRequested: false,
    failure: null,
    exit: { code: 1, signal: null },
    logTail: ['loading', 'ValueError: bad config'],
    ...over,
  })

  test('a failure the manager recorded wins, with the log tail attached', () => {
    const failure = { reason: 'readiness-timeout', message: 'not ready' } as const
    const outcome = classifyExit(facts({ failure, stopRequested: true, previous: 'starting' }))
    expect(outcome).toEqual({ kind: 'ended-as-failed', state: 'failed', failure: { ...failure, logTail: ['loading', 'ValueError: bad config'] } })
  })

  test('an exit that was asked for is a stop, whatever the code', () => {
    expect(classifyExit(facts({ stopRequested: true, exit: { code: null, signal: 'SIGKILL' } }))).toEqual({ kind: 'stopped', state: 'stopped', failure: null })
  })

  test('exit code 0 during startup with an error in the log fails as error-in-log', () => {
    const outcome = classifyExit(facts({ previous: 'starting', exit: { code: 0, signal: null } }))
    expect(outcome.kind).toBe('error-in-log')
    expect(outcome.failure).toMatchObject({ reason: 'error-in-log', message: '"Qwen" exited during startup with an error in its log: ValueError: bad config' })
  })

  test('exit code 0 during startup with a clean log still failed to start', () => {
    const outcome = classifyExit(facts({ previous: 'starting', exit: { code: 0, signal: null }, logTail: ['bye'] }))
    expect(outcome).toMatchObject({ kind: 'failed-starting', state: 'failed', failure: { reason: 'exited', message: '"Qwen" exited with code 0 before it was ready.' } })
  })

  test('a non-zero exit during startup names the error line', () => {
    const outcome = classifyExit(facts({ previous: 'starting' }))
    expect(outcome).toMatchObject({ kind: 'failed-starting', failure: { reason: 'exited', message: '"Qwen" exited with code 1 before it was ready: ValueError: bad config' } })
  })

  test('an exit nobody asked for after ready is a crash', () => {
    const outcome = classifyExit(facts({ exit: { code: null, signal: 'SIGSEGV' }, logTail: [] }))
    expect(outcome).toEqual({
      kind: 'crashed',
      state: 'failed',
      failure: { reason: 'crashed', message: '"Qwen" stopped unexpectedly: it was killed by SIGSEGV.', logTail: [] },
    })
  })
})

describe('planRestart', () => {
  const timing: RestartTiming = { restartBaseMs: 1_000, restartMaxMs: 5_000, maxRestarts: 3, stableAfterMs: 60_000 }
  const now = Date.parse('2025-01-01T12:00:00Z')
  const readyAgo = (ms: number) => new Date(now - ms).toISOString()

  test('backs off exponentially up to the cap', () => {
    expect([0, 1, 2].map((restarts) => planRestart(restarts, readyAgo(1_000), now, { ...timing, maxRestarts: 10 }).waitMs)).toEqual([1_000, 2_000, 4_000])
    expect(planRestart(5, readyAgo(1_000), now, { ...timing, maxRestarts: 10 }).waitMs).toBe(5_000)
    expect(planRestart(1, null, now, timing).note).toBe(' Restarting in 2 s.')
  })

  test('gives up after maxRestarts crashes in a row', () => {
    const plan = planRestart(3, readyAgo(1_000), now, timing)
    expect(plan.waitMs).toBeNull()
    expect(plan.restarts).toBe(3)
    expect(plan.note).toContain('crashed 4 times in a row')
  })

  test('a run that was stable before the crash starts the count afresh', () => {
    expect(planRestart(3, readyAgo(60_000), now, timing)).toMatchObject({ restarts: 0, waitMs: 1_000 })
    expect(planRestart(3, readyAgo(59_999), now, timing)).toMatchObject({ restarts: 3, waitMs: null })
  })

  test('a server that never got ready keeps its count', () => {
    expect(planRestart(2, null, now, timing)).toMatchObject({ restarts: 2, waitMs: 4_000 })
  })
})

describe('buildStatus', () => {
  const profile: Profile = {
    ...PROFILE_DEFAULTS,
    extraArgs: [],
    id: 7,
    name: 'Qwen',
    model: 'mlx-community/Qwen3-0.6B-4bit',
    port: 8123,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-02T00:00:00.000Z',
  }

  test('a stopped server shows the profile’s values and its last command', () => {
    const entry = { ...newEntry(7), lastCommand: ['mlx-openai-server', 'launch'], restarts: 2 }
    expect(buildStatus(entry, profile)).toMatchObject({
      profileId: 7,
      name: 'Qwen',
      engine: 'mlx-openai-server',
      state: 'stopped',
      pid: null,
      port: 8123,
      baseUrl: 'http://127.0.0.1:8123/v1',
      command: ['mlx-openai-server', 'launch'],
      restarts: 2,
      needsRestart: false,
    })
  })

  test('a running server shows what it runs with, and whether the profile changed since', () => {
    const run = newRun(4321, 'mlx_lm.server', '0.0.0.0', 9000, ['mlx_lm.server', '--port', '9000'], '2025-01-01T00:00:00.000Z', () => undefined)
    const entry = { ...newEntry(7), run, state: 'ready' as const }
    expect(buildStatus(entry, profile)).toMatchObject({
      engine: 'mlx_lm.server',
      state: 'ready',
      pid: 4321,
      host: '0.0.0.0',
      port: 9000,
      baseUrl: 'http://127.0.0.1:9000/v1',
      command: ['mlx_lm.server', '--port', '9000'],
      needsRestart: true,
    })
    expect(buildStatus(entry, { ...profile, updatedAt: '2025-01-01T00:00:00.000Z' }).needsRestart).toBe(false)
  })
})

describe('SamplingTimer', () => {
  test('samples at once and on its interval while anything runs, and stops when nothing does', () => {
    jest.useFakeTimers()
    try {
      let calls = 0
      const timer = new SamplingTimer(() => calls++, 5)
      timer.update(true)
      expect(calls).toBe(1)
      timer.update(true)
      expect(calls).toBe(1)
      jest.advanceTimersByTime(30)
      expect(calls).toBe(7)
      timer.update(false)
      expect(timer.active).toBe(false)
      jest.advanceTimersByTime(30)
      expect(calls).toBe(7)
    } finally {
      jest.useRealTimers()
    }
  })
})

describe('PortRegistry', () => {
  const saved = { id: 1, name: 'Qwen', port: 8100 } as Profile
  const registry = (answer: (port: number) => PortCheck = () => 'free') =>
    new PortRegistry({
      probe: { check: (_host, port) => Promise.resolve(answer(port)) },
      profiles: { list: () => [saved], find: (id) => (id === saved.id ? saved : null) },
      reservedPorts: [8080],
    })
  const refusal = (attempt: Promise<void>) => attempt.then(() => null, (error: unknown) => error)

  test('a running server holds its port until it is released', async () => {
    const ports = registry()
    ports.hold(1, 8200)
    expect(ports.holderOf(8200)).toEqual({ profileId: 1, name: 'Qwen' })
    await ports.assertFree('127.0.0.1', 8200, 1)
    expect(await refusal(ports.assertFree('127.0.0.1', 8200, 2))).toMatchObject({ code: 'port-in-use' })
    ports.release(1)
    expect(ports.holderOf(8200)).toBeNull()
  })

  test('suggestions skip reserved, saved and held ports and what the OS says is in use', async () => {
    const ports = registry((port) => (port === 8102 ? 'in-use' : 'free'))
    ports.hold(2, 8101)
    expect(await ports.suggest('127.0.0.1', 8099)).toBe(8099)
    expect(await ports.suggest('127.0.0.1', 8100)).toBe(8103)
    expect(await ports.suggest('127.0.0.1', 8080)).toBe(8081)
  })

  test('a port another program holds is refused with the next free one named', async () => {
    const ports = registry((port) => (port === 8300 ? 'in-use' : 'free'))
    const error = await refusal(ports.assertFree('127.0.0.1', 8300, null))
    expect(error).toMatchObject({ code: 'port-in-use' })
    expect(String(error)).toContain('Port 8301 is free.')
    expect(() => ports.assertNotReserved(8080)).toThrow('MLX Manager itself')
  })
})
