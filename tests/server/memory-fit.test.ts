import { describe, expect, test } from 'bun:test'
import {
  estimateFit,
  kvCacheBytes,
  memoryBudget,
  pickMeasurement,
  readArchitecture,
  withMeasurement,
  type MemoryMeasurement,
  type ModelArchitecture,
} from '../../shared/memory-fit'
import { FILLER_REPOS, gemma3_12b, llama32_3b, phi35mini, qwen25_vl_7b, qwen3_8b } from '../fixtures/hub/repos'
import type { RepoSpec } from '../fixtures/hub/types'

/**
 * The fit against figures worked out by hand from the real config.json shapes (the fixture repos
 * carry them verbatim). Every expected number below is derived in the comment next to it.
 */

const GiB = 2 ** 30

function architectureOf(repo: RepoSpec): ModelArchitecture {
  const architecture = readArchitecture(repo.config)
  if (architecture === null) throw new Error(`${repo.id}: config.json has no architecture`)
  return architecture
}

function weightsOf(repo: RepoSpec): number {
  return repo.files.reduce((sum, file) => sum + ('size' in file && file.path.endsWith('.safetensors') && !file.path.includes('/') ? file.size : 0), 0)
}

/** A Mac's budget: 75% of unified memory, minus running servers. */
const mac = (totalGiB: number, runningServersBytes = 0) =>
  memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: totalGiB * GiB, availableBytes: totalGiB * GiB * 0.5, runningServersBytes }).budgetBytes

describe('Llama-3.2-3B-Instruct 4-bit', () => {
  const architecture = architectureOf(llama32_3b)
  const weights = weightsOf(llama32_3b)

  test('reads the shape from config.json', () => {
    expect(architecture).toEqual({
      modelType: 'llama',
      layers: 28,
      attentionHeads: 24,
      kvHeads: 8,
      headDim: 128,
      hiddenSize: 3072,
      maxContext: 131072,
      slidingWindow: null,
      slidingLayers: 0,
    })
    // One shard, model.safetensors, as the hub lists it.
    expect(weights).toBe(1_807_970_112)
  })

  test('fits an 8 GB Mac at 8K context', () => {
    // KV per token = 2 × 28 layers × 8 kv heads × 128 head_dim × 2 bytes = 114,688 B
    // KV at 8,192 tokens = 114,688 × 8,192 = 939,524,096 B (896 MiB)
    // total = 1,807,970,112 + 939,524,096 = 2,747,494,208 B
    // budget (8 GiB Mac) = 0.75 × 8,589,934,592 = 6,442,450,944 B; tight above 85% = 5,476,083,302 B
    const fit = estimateFit({ weightsBytes: weights, architecture, contextTokens: 8192, budgetBytes: mac(8) })
    expect(fit.kvCacheBytes).toBe(939_524_096)
    expect(fit.totalBytes).toBe(2_747_494_208)
    expect(fit.budgetBytes).toBe(6_442_450_944)
    expect(fit.state).toBe('fits')
    expect(fit.budgetShare).toBeCloseTo(2_747_494_208 / 6_442_450_944, 10)
  })

  test('at its full 128K context it no longer fits 8 GB, but fits 32 GB', () => {
    // KV at 131,072 tokens = 114,688 × 131,072 = 15,032,385,536 B (14 GiB)
    // total = 1,807,970,112 + 15,032,385,536 = 16,840,355,648 B
    // 8 GiB Mac budget 6,442,450,944 → too large; 32 GiB Mac budget 25,769,803,776 (85% = 21,904,333,210) → fits
    const full = estimateFit({ weightsBytes: weights, architecture, contextTokens: 131072, budgetBytes: mac(8) })
    expect(full.kvCacheBytes).toBe(15_032_385_536)
    expect(full.totalBytes).toBe(16_840_355_648)
    expect(full.state).toBe('too-large')
    expect(full.headroomBytes).toBe(6_442_450_944 - 16_840_355_648)
    expect(estimateFit({ weightsBytes: weights, architecture, contextTokens: 131072, budgetBytes: mac(32) }).state).toBe('fits')
  })
})

describe('Qwen3-8B 4-bit', () => {
  const architecture = architectureOf(qwen3_8b)
  const weights = weightsOf(qwen3_8b)

  test('fits a 16 GB Mac at 32K context, and is tight once another server holds 2 GiB', () => {
    // KV per token = 2 × 36 layers × 8 kv heads × 128 head_dim × 2 bytes = 147,456 B
    // KV at 32,768 tokens = 147,456 × 32,768 = 4,831,838,208 B (4.5 GiB)
    // total = 4,607,319,040 + 4,831,838,208 = 9,439,157,248 B
    // 16 GiB Mac: budget 12,884,901,888, 85% = 10,952,166,605 → fits (73.3%)
    // with a running server of 2 GiB: budget 10,737,418,240, 85% = 9,126,805,504 → tight (87.9%)
    expect(architecture.headDim).toBe(128)
    expect(weights).toBe(4_607_319_040)
    const alone = estimateFit({ weightsBytes: weights, architecture, contextTokens: 32768, budgetBytes: mac(16) })
    expect(alone.kvCacheBytes).toBe(4_831_838_208)
    expect(alone.totalBytes).toBe(9_439_157_248)
    expect(alone.state).toBe('fits')
    const shared = estimateFit({ weightsBytes: weights, architecture, contextTokens: 32768, budgetBytes: mac(16, 2 * GiB) })
    expect(shared.budgetBytes).toBe(10_737_418_240)
    expect(shared.state).toBe('tight')
  })

  test('a context beyond max_position_embeddings is capped at it', () => {
    // max_position_embeddings = 40,960 → KV = 147,456 × 40,960 = 6,039,797,760 B
    const fit = estimateFit({ weightsBytes: weights, architecture, contextTokens: 65536, budgetBytes: mac(64) })
    expect(fit.contextTokens).toBe(40960)
    expect(fit.kvCacheBytes).toBe(6_039_797_760)
  })
})

describe('Gemma-3-12B-it 4-bit: sliding-window layers', () => {
  const architecture = architectureOf(gemma3_12b)
  const weights = weightsOf(gemma3_12b)

  test('reads the language model from text_config, with 40 of 48 layers on a 1,024-token window', () => {
    expect(architecture).toMatchObject({ modelType: 'gemma3_text', layers: 48, kvHeads: 8, headDim: 256, slidingWindow: 1024, slidingLayers: 40, maxContext: 131072 })
    // Two shards: 5,364,385,280 + 2,720,270,081
    expect(weights).toBe(8_084_655_361)
  })

  test('caps the window layers, which is what makes it fit a 16 GB Mac at 32K', () => {
    // per layer per token = 2 × 8 kv heads × 256 head_dim × 2 bytes = 8,192 B
    // 8 global layers × 32,768 tokens = 262,144; 40 window layers × 1,024 tokens = 40,960; sum 303,104
    // KV = 303,104 × 8,192 = 2,483,027,968 B (vs 48 × 32,768 × 8,192 = 12,884,901,888 B without the window)
    // total = 8,084,655,361 + 2,483,027,968 = 10,567,683,329 B
    // 16 GiB Mac: budget 12,884,901,888, 85% = 10,952,166,605 → fits (82.0%)
    const fit = estimateFit({ weightsBytes: weights, architecture, contextTokens: 32768, budgetBytes: mac(16) })
    expect(fit.kvCacheBytes).toBe(2_483_027_968)
    expect(fit.totalBytes).toBe(10_567_683_329)
    expect(fit.state).toBe('fits')
    const naive = { ...architecture, slidingWindow: null, slidingLayers: 0 }
    expect(kvCacheBytes(naive, 32768)).toBe(12_884_901_888)
    expect(estimateFit({ weightsBytes: weights, architecture: naive, contextTokens: 32768, budgetBytes: mac(16) }).state).toBe('too-large')
  })

  test('below the window every layer holds the whole context', () => {
    // 48 layers × 512 tokens × 8,192 B = 201,326,592 B
    expect(kvCacheBytes(architecture, 512)).toBe(201_326_592)
  })

  test('sliding_window_pattern alone (older conversions without layer_types) gives the same count', () => {
    const textConfig = gemma3_12b.config.text_config as Record<string, unknown>
    const { layer_types: _dropped, ...rest } = textConfig
    const older = readArchitecture({ ...gemma3_12b.config, text_config: rest })
    // 48 layers, every 6th global: 48 - floor(48 / 6) = 40 window layers
    expect(older?.slidingLayers).toBe(40)
    expect(older?.slidingWindow).toBe(1024)
  })
})

describe('Qwen2.5-VL-7B-Instruct 4-bit: a vision model', () => {
  const architecture = architectureOf(qwen25_vl_7b)
  const weights = weightsOf(qwen25_vl_7b)

  test('derives head_dim from hidden_size and ignores a window that is switched off', () => {
    // no head_dim in config.json: 3,584 hidden / 28 heads = 128; sliding_window 32,768 with use_sliding_window false
    expect(architecture).toMatchObject({ layers: 28, attentionHeads: 28, kvHeads: 4, headDim: 128, slidingWindow: null, slidingLayers: 0, maxContext: 128000 })
    expect(weights).toBe(5_640_014_432)
  })

  test('on a Linux machine with 8 GiB available: fits at 8K, tight at 32K', () => {
    // KV per token = 2 × 28 × 4 × 128 × 2 = 57,344 B
    // 8,192 tokens: 469,762,048 B; total 5,640,014,432 + 469,762,048 = 6,109,776,480 → 71.1% of 8,589,934,592 → fits
    // 32,768 tokens: 1,879,048,192 B; total 7,519,062,624 → 87.5% (> 85% = 7,301,444,403) → tight
    const budget = memoryBudget({ platform: 'linux', arch: 'x64', totalBytes: 16 * GiB, availableBytes: 8 * GiB, runningServersBytes: GiB }).budgetBytes
    // Available memory already leaves out what running servers hold, so it is not subtracted twice.
    expect(budget).toBe(8_589_934_592)
    const at8k = estimateFit({ weightsBytes: weights, architecture, contextTokens: 8192, budgetBytes: budget })
    expect(at8k.kvCacheBytes).toBe(469_762_048)
    expect(at8k.totalBytes).toBe(6_109_776_480)
    expect(at8k.state).toBe('fits')
    const at32k = estimateFit({ weightsBytes: weights, architecture, contextTokens: 32768, budgetBytes: budget })
    expect(at32k.kvCacheBytes).toBe(1_879_048_192)
    expect(at32k.totalBytes).toBe(7_519_062_624)
    expect(at32k.state).toBe('tight')
  })
})

describe('other shapes', () => {
  test('Phi-3.5-mini: full multi-head attention, and a window on every layer is not a saving', () => {
    // 32 kv heads (= attention heads), head_dim 3,072 / 32 = 96; sliding_window 262,144 on all layers → ignored
    // KV per token = 2 × 32 × 32 × 96 × 2 = 393,216 B; at 8,192 tokens = 3,221,225,472 B
    const architecture = architectureOf(phi35mini)
    expect(architecture).toMatchObject({ kvHeads: 32, headDim: 96, slidingWindow: null })
    expect(kvCacheBytes(architecture, 8192)).toBe(3_221_225_472)
  })

  test('gpt-oss-20b: alternating 128-token window layers from layer_types', () => {
    // 24 layers, 12 sliding (window 128), 8 kv heads, head_dim 64 → 2 × 8 × 64 × 2 = 2,048 B per layer-token
    // 12 × 8,192 + 12 × 128 = 99,840 layer-tokens × 2,048 = 204,472,320 B
    const repo = FILLER_REPOS.find((r) => r.id === 'mlx-community/gpt-oss-20b-MXFP4-Q8')
    if (repo === undefined) throw new Error('gpt-oss filler missing')
    const architecture = architectureOf(repo)
    expect(architecture.slidingLayers).toBe(12)
    expect(kvCacheBytes(architecture, 8192)).toBe(204_472_320)
  })

  test('an unreadable config counts weights only and says so', () => {
    const fit = estimateFit({ weightsBytes: 4 * GiB, architecture: null, contextTokens: 8192, budgetBytes: 12 * GiB })
    expect(fit).toMatchObject({ kvCacheBytes: 0, totalBytes: 4 * GiB, kvCacheKnown: false, state: 'fits', contextTokens: 8192 })
    expect(readArchitecture({ model_type: 'llama' })).toBeNull()
    expect(readArchitecture('not a config')).toBeNull()
  })

  test('the state boundaries: 85% is still fits, above is tight, above 100% is too large', () => {
    const budget = 1000
    expect(estimateFit({ weightsBytes: 850, architecture: null, contextTokens: 1, budgetBytes: budget }).state).toBe('fits')
    expect(estimateFit({ weightsBytes: 851, architecture: null, contextTokens: 1, budgetBytes: budget }).state).toBe('tight')
    expect(estimateFit({ weightsBytes: 1000, architecture: null, contextTokens: 1, budgetBytes: budget }).state).toBe('tight')
    expect(estimateFit({ weightsBytes: 1001, architecture: null, contextTokens: 1, budgetBytes: budget }).state).toBe('too-large')
  })
})

describe('memory budget', () => {
  test('Apple silicon: 75% of unified memory minus running servers, never below zero', () => {
    const budget = memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 36 * GiB, availableBytes: 10 * GiB, runningServersBytes: 5 * GiB })
    // 0.75 × 36 GiB = 27 GiB; minus 5 GiB of running servers = 22 GiB
    expect(budget).toMatchObject({ appleSilicon: true, rule: 'apple-silicon-working-set', usableBytes: 27 * GiB, budgetBytes: 22 * GiB })
    expect(budget.explanation).toContain('75%')
    expect(memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 8 * GiB, availableBytes: 0, runningServersBytes: 20 * GiB }).budgetBytes).toBe(0)
  })

  test('Apple silicon with a GPU wired limit set: that limit, capped at the memory there is', () => {
    const limited = memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 32 * GiB, availableBytes: 4 * GiB, runningServersBytes: 2 * GiB, gpuLimitBytes: 28 * GiB })
    expect(limited).toMatchObject({ rule: 'gpu-wired-limit', usableBytes: 28 * GiB, budgetBytes: 26 * GiB })
    expect(limited.explanation).toContain('sysctl iogpu.wired_limit_mb')
    const beyond = memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 16 * GiB, availableBytes: 4 * GiB, runningServersBytes: 0, gpuLimitBytes: 64 * GiB })
    expect(beyond).toMatchObject({ rule: 'gpu-wired-limit', usableBytes: 16 * GiB })
    const unset = memoryBudget({ platform: 'darwin', arch: 'arm64', totalBytes: 16 * GiB, availableBytes: 4 * GiB, runningServersBytes: 0, gpuLimitBytes: 0 })
    expect(unset.rule).toBe('apple-silicon-working-set')
    const linux = memoryBudget({ platform: 'linux', arch: 'arm64', totalBytes: 16 * GiB, availableBytes: 4 * GiB, runningServersBytes: 0, gpuLimitBytes: 12 * GiB })
    expect(linux.rule).toBe('available-memory')
  })

  test('elsewhere (Linux, Intel Macs): the memory available now', () => {
    const budget = memoryBudget({ platform: 'darwin', arch: 'x64', totalBytes: 16 * GiB, availableBytes: 6 * GiB, runningServersBytes: 0 })
    expect(budget).toMatchObject({ appleSilicon: false, rule: 'available-memory', budgetBytes: 6 * GiB })
  })
})

describe('measured peaks', () => {
  const measured = (contextTokens: number | null, peakGiB: number, engine = 'mlx_lm.server'): MemoryMeasurement => ({
    modelId: 'mlx-community/Qwen3-8B-4bit',
    engine,
    contextTokens,
    peakBytes: peakGiB * GiB,
    source: 'rss',
    measuredAt: '2026-01-01T00:00:00.000Z',
  })

  test('a peak at that very context wins, else one without a limit; between engines the larger', () => {
    const at8k = measured(8192, 6)
    const at8kOther = measured(8192, 7, 'mlx-openai-server')
    const unlimited = measured(null, 9)
    expect(pickMeasurement([unlimited, at8k, at8kOther, measured(32768, 12)], 8192)).toBe(at8kOther)
    expect(pickMeasurement([at8k, unlimited, measured(null, 5)], 4096)).toBe(unlimited)
    expect(pickMeasurement([at8k], 4096)).toBeNull()
    expect(pickMeasurement([], 8192)).toBeNull()
  })

  test('a measured peak replaces the estimate in the fit, which keeps the estimate beside it', () => {
    const fit = estimateFit({ architecture: architectureOf(qwen3_8b), weightsBytes: 4.6 * GiB, contextTokens: 8192, budgetBytes: 12 * GiB })
    const peak = measured(8192, 11.5)
    const replaced = withMeasurement(fit, peak)
    expect(replaced).toMatchObject({ basis: 'measured', measured: peak, totalBytes: 11.5 * GiB, headroomBytes: 0.5 * GiB, state: 'tight', estimatedBytes: fit.estimatedBytes })
    expect(replaced.budgetShare).toBeCloseTo(11.5 / 12)
    expect(withMeasurement(fit, null)).toMatchObject({ basis: 'estimate', measured: null, totalBytes: fit.estimatedBytes })
    expect(withMeasurement({ ...fit, budgetBytes: 0 }, peak)).toMatchObject({ state: 'too-large', budgetShare: Number.POSITIVE_INFINITY })
  })
})

describe('reading config.json', () => {
  const base = { model_type: 'llama', num_hidden_layers: 16, num_attention_heads: 32, hidden_size: 2048 }

  test('anything but an object with layers, heads and hidden size gives no shape', () => {
    for (const config of [null, 'llama', [base], {}]) expect(readArchitecture(config)).toBeNull()
    for (const missing of ['num_hidden_layers', 'num_attention_heads', 'hidden_size']) {
      expect(readArchitecture({ ...base, [missing]: undefined })).toBeNull()
    }
  })

  test('counts are whole and positive: zero, negative, fractional or quoted ones are not read', () => {
    for (const bad of [0, -16, 16.5, '16']) expect(readArchitecture({ ...base, num_hidden_layers: bad })).toBeNull()
    expect(readArchitecture({ ...base, num_hidden_layers: 1 })?.layers).toBe(1)
  })

  test('the model type only when it is text; a nested language config wins over the wrapper', () => {
    expect(readArchitecture({ ...base, model_type: 7 })?.modelType).toBeNull()
    expect(readArchitecture({ ...base, text_config: { model_type: 'qwen2', num_hidden_layers: 28 } })).toMatchObject({ modelType: 'qwen2', layers: 28, attentionHeads: 32 })
    expect(readArchitecture({ ...base, text_config: 'not an object' })).toMatchObject({ modelType: 'llama', layers: 16 })
  })

  test('a window only where window and global layers mix, and not when switched off', () => {
    const gemma2 = readArchitecture({ ...base, model_type: 'gemma2', sliding_window: 4096 })
    expect(gemma2).toMatchObject({ slidingWindow: 4096, slidingLayers: 8 })
    expect(readArchitecture({ ...base, sliding_window: 4096 })).toMatchObject({ slidingWindow: null, slidingLayers: 0 })
    expect(readArchitecture({ ...base, model_type: 'gemma2', sliding_window: 4096, use_sliding_window: false })).toMatchObject({ slidingWindow: null, slidingLayers: 0 })
    const typed = readArchitecture({ ...base, sliding_window: 128, layer_types: ['sliding_attention', 'full_attention', 'sliding_attention', 'full_attention'] })
    expect(typed).toMatchObject({ slidingWindow: 128, slidingLayers: 2 })
    expect(readArchitecture({ ...base, sliding_window: 128, layer_types: ['full_attention', 'full_attention'] })).toMatchObject({ slidingWindow: null, slidingLayers: 0 })
  })

  test('a fit given measurements uses the one that applies, and stays an estimate when none does', () => {
    const input = { architecture: readArchitecture(base), weightsBytes: 2 * GiB, contextTokens: 8192, budgetBytes: 8 * GiB }
    const peak: MemoryMeasurement = { modelId: 'm/x', engine: 'mlx_lm.server', contextTokens: 8192, peakBytes: 3 * GiB, source: 'rss', measuredAt: '2026-01-01T00:00:00.000Z' }
    expect(estimateFit({ ...input, measurements: [peak] })).toMatchObject({ basis: 'measured', totalBytes: 3 * GiB })
    expect(estimateFit({ ...input, measurements: [{ ...peak, contextTokens: 4096 }] })).toMatchObject({ basis: 'estimate', measured: null, kvCacheKnown: true })
    expect(estimateFit({ ...input, architecture: null })).toMatchObject({ basis: 'estimate', kvCacheKnown: false })
  })
})
