import { describe, expect, it } from 'vitest'
import { memoryBudget } from '../../shared/memory-fit'
import { formatBytes, formatParameters } from '../../shared/units'

const GiB = 2 ** 30

describe('sizes', () => {
  it.each([
    [0, '0 B'],
    [612, '612 B'],
    [1023, '1023 B'],
    [1024, '1.0 KB'],
    [3.5 * 1024 ** 2, '3.5 MB'],
    [99.94 * 1024, '99.9 KB'],
    [100 * 1024, '100 KB'],
    [512 * 1024, '512 KB'],
    [4_607_319_040, '4.3 GB'],
    [2 * 1024 ** 4, '2.0 TB'],
    [1024 ** 5, '1024 TB'],
  ])('%d bytes read %s', (bytes, written) => {
    expect(formatBytes(bytes)).toBe(written)
  })

  it('writes a dash for an unknown size and nothing below zero', () => {
    expect(formatBytes(null)).toBe('—')
    expect(formatBytes(Number.NaN)).toBe('—')
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('—')
    expect(formatBytes(-5)).toBe('0 B')
  })
})

describe('parameter counts', () => {
  it.each([
    [999_885_952, '1B'],
    [1_000_000_000, '1B'],
    [1_543_714_304, '1.5B'],
    [268_098_176, '268M'],
    [270_000_000, '270M'],
    [7_615_616_512, '7.6B'],
    [8_190_735_362, '8.2B'],
    [494_032_768, '494M'],
    [30_532_122_624, '30.5B'],
    [235_093_634_560, '235B'],
    [999_600, '1M'],
    [1_200_000_000_000, '1.2T'],
    [12_345, '12K'],
  ])('%d reads %s', (count, written) => {
    expect(formatParameters(count)).toBe(written)
  })

  it('writes a dash for an unknown count', () => {
    expect(formatParameters(null)).toBe('—')
    expect(formatParameters(0)).toBe('—')
    expect(formatParameters(Number.NaN)).toBe('—')
    expect(formatParameters(-7_000_000_000)).toBe('—')
  })

  it('moves up a unit exactly where the lower one would round to 1000', () => {
    expect(formatParameters(999_500_000)).toBe('1B')
    expect(formatParameters(999_499_999)).toBe('999M')
  })
})

describe('the memory budget’s sentence', () => {
  it('uses the same units as every other size in the app', () => {
    const apple = memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 24 * GiB, availableBytes: 10 * GiB, runningServersBytes: 2 * GiB })
    expect(apple.explanation).toBe(`75% of ${formatBytes(24 * GiB)} unified memory is available to the GPU (${formatBytes(18 * GiB)}); running model servers hold ${formatBytes(2 * GiB)}.`)
    expect(apple.explanation).toContain('24.0 GB')
    const linux = memoryBudget({ platform: 'linux', arch: 'x64', totalBytes: 32 * GiB, availableBytes: 20 * GiB, runningServersBytes: 0 })
    for (const budget of [apple, linux]) expect(budget.explanation).not.toMatch(/GiB/)
  })
})
