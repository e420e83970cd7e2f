import { describe, expect, test } from 'bun:test'
import { LoginThrottle } from '../../server/features/auth/throttle'
import { readSystemMemory } from '../../server/features/system/memory'
import { emailProblem, normalizeEmail } from '../../shared/email'
import { isValidModelId } from '../../shared/model-id'
import { passwordProblem } from '../../shared/password'

describe('login throttle', () => {
  test('blocks after the limit inside the window and forgives after it', () => {
    let now = 0
    const throttle = new LoginThrottle(() => now, 3, 60_000)
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterSeconds('k')).toBe(0)
      throttle.recordFailure('k')
      now += 1000
    }
    expect(throttle.retryAfterSeconds('k')).toBe(57)
    expect(throttle.retryAfterSeconds('other')).toBe(0)
    now = 60_001
    expect(throttle.retryAfterSeconds('k')).toBe(0)
  })

  test('a success resets the count', () => {
    const throttle = new LoginThrottle(() => 0, 2, 60_000)
    throttle.recordFailure('k')
    throttle.reset('k')
    throttle.recordFailure('k')
    expect(throttle.retryAfterSeconds('k')).toBe(0)
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

  test('passwords count characters as people do', () => {
    expect(passwordProblem('1234567')).toContain('at least 8')
    expect(passwordProblem('12345678')).toBeNull()
    expect(passwordProblem('😀😀😀😀😀😀😀')).toContain('at least 8')
    expect(passwordProblem('x'.repeat(257))).toContain('at most 256')
  })

  test('model ids', () => {
    for (const good of ['mlx-community/Qwen3-8B-4bit', 'a/b', 'Org_1/model.v2']) expect(isValidModelId(good)).toBe(true)
    for (const bad of ['', 'noslash', '../etc/passwd', 'org/..', 'org/name/extra', '/abs/path', 'org/na me', '-org/name', 'org/']) {
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
    sampler.start()
    await Bun.sleep(40)
    expect(reads).toBe(0)
    const seen: unknown[] = []
    const unsubscribe = bus.subscribe(({ event }) => seen.push(event), { client: true })
    await Bun.sleep(40)
    expect(seen.length).toBeGreaterThan(0)
    unsubscribe()
    const afterClose = reads
    await Bun.sleep(40)
    expect(reads).toBe(afterClose)
    sampler.stop()
  })
})
