import { describe, expect, jest, test } from 'bun:test'
import { FailureDelays } from '../../server/features/auth/throttle'
import { readSystemMemory } from '../../server/features/system/memory'
import { emailProblem, normalizeEmail } from '../../shared/email'
import { isValidModelId } from '../../shared/model-id'
import { passwordProblem } from '../../shared/password'

describe('login throttle', () => {
  test('failures past the free ones cost a delay that doubles up to the cap, and are forgotten after a quiet spell', () => {
    let now = 0
    const delays = new FailureDelays(() => now, { free: 2, baseMs: 1000, maxMs: 4000, forgetMs: 60_000 })
    delays.recordFailure('k')
    expect(delays.retryAfterSeconds('k')).toBe(0)
    const waits: number[] = []
    for (let i = 0; i < 4; i++) {
      delays.recordFailure('k')
      waits.push(delays.retryAfterSeconds('k'))
    }
    expect(waits).toEqual([1, 2, 4, 4])
    expect(delays.retryAfterSeconds('other')).toBe(0)
    now = 60_000
    expect(delays.retryAfterSeconds('k')).toBe(0)
  })

  test('a reset clears the count; forgiving takes back one failure only', () => {
    const delays = new FailureDelays(() => 0, { free: 1, baseMs: 1000 })
    delays.recordFailure('k')
    delays.recordFailure('k')
    delays.forgiveOne('k')
    expect(delays.retryAfterSeconds('k')).toBe(1)
    delays.reset('k')
    expect(delays.retryAfterSeconds('k')).toBe(0)
  })
})

describe('system memory', () => {
  test('Linux counts reclaimable cache as available', () => {
    const meminfo = 'MemTotal:       25165824 kB\nMemFree:         1000000 kB\nMemAvailable:   20971520 kB\n'
    expect(readSystemMemory(() => meminfo)).toEqual({ totalBytes: 25165824 * 1024, usedBytes: (25165824 - 20971520) * 1024 })
  })

  test('falls back to the OS figures without /proc/meminfo', () => {
    const memory = readSystemMemory(() => null)
    expect(memory.totalBytes).toBeGreaterThan(0)
    expect(memory.usedBytes).toBeGreaterThan(0)
    expect(memory.usedBytes).toBeLessThanOrEqual(memory.totalBytes)
  })
})

describe('shared validation', () => {
  test('emails', () => {
    expect(normalizeEmail(' A\u0301nn@Example.COM ')).toBe('\u00e1nn@example.com')
    expect(emailProblem('ann@example.com')).toBeNull()
    for (const bad of ['', 'ann', 'ann@', '@example.com', 'a b@example.com', 'a@b', 'a\u0000@example.com', `${'a'.repeat(250)}@example.com`]) {
      expect(emailProblem(bad)).not.toBeNull()
    }
  })

  test('each email problem says what to fix, and 254 characters is still allowed', () => {
    expect(emailProblem('')).toBe('Enter an email address.')
    expect(emailProblem('ann')).toBe('That does not look like an email address (name@example.com).')
    const longest = `${'a'.repeat(254 - '@example.com'.length)}@example.com`
    expect(emailProblem(longest)).toBeNull()
    expect(emailProblem(`a${longest}`)).toBe('An email address has at most 254 characters.')
  })

  test('passwords count characters as people do', () => {
    expect(passwordProblem('1234567')).toContain('at least 8')
    expect(passwordProblem('12345678')).toBeNull()
    expect(passwordProblem('😀😀😀😀😀😀😀')).toContain('at least 8')
    expect(passwordProblem('x'.repeat(257))).toContain('at most 256')
    expect(passwordProblem('x'.repeat(256))).toBeNull()
  })

  test('model ids', () => {
    for (const good of ['mlx-community/Qwen3-8B-4bit', 'a/b', 'Org_1/model.v2']) expect(isValidModelId(good)).toBe(true)
    for (const bad of ['', 'noslash', '../etc/passwd', 'org/..', 'org/name/extra', '/abs/path', 'org/na me', '-org/name', 'org/', 'org/.', './name', '../name']) {
      expect(isValidModelId(bad)).toBe(false)
    }
  })
})

describe('memory sampler', () => {
  test('samples only while a client stream listens', async () => {
    const { EventBus } = await import('../../server/features/events/bus')
    const { MemorySampler } = await import('../../server/features/system/sampler')
    const bus = new EventBus()
    let reads = 0
    const sampler = new MemorySampler(bus, () => ({ totalBytes: 2, usedBytes: ++reads }), 5)
    const internal: unknown[] = []
    bus.subscribe(({ event }) => internal.push(event))
    jest.useFakeTimers()
    try {
      sampler.start()
      jest.advanceTimersByTime(40)
      expect(reads).toBe(0)
      const seen: unknown[] = []
      const unsubscribe = bus.subscribe(({ event }) => seen.push(event), { client: true })
      jest.advanceTimersByTime(40)
      expect(seen).toHaveLength(8)
      expect(reads).toBe(8)
      unsubscribe()
      jest.advanceTimersByTime(40)
      expect(reads).toBe(8)
      sampler.stop()
    } finally {
      jest.useRealTimers()
    }
  })
})
