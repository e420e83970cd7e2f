import { describe, expect, it } from 'vitest'
import { memoryBudget } from '../../shared/memory-fit'
import { formatBytes, formatParameters } from '../../shared/units'

const GiB = 2 ** 30

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
