/**
 * Will this model run here? Weights plus KV cache at a context length, against the memory the
 * machine lets a model use. Server and web both call these, so the list, the model page and the
 * context slider always agree.
 */

import { formatBytes } from './units'

/** What the estimate needs from config.json. */
export interface ModelArchitecture {
  modelType: string | null
  layers: number
  attentionHeads: number
  kvHeads: number
  /** Per attention head; `hidden_size / num_attention_heads` when config.json does not say. */
  headDim: number
  hiddenSize: number
  /** `max_position_embeddings`; null when config.json does not say. */
  maxContext: number | null
  /** Tokens a sliding-window layer keeps; null when no layer has a window. */
  slidingWindow: number | null
  /** How many of `layers` use the window (the rest attend to the whole context). */
  slidingLayers: number
}

export const FIT_STATES = ['fits', 'tight', 'too-large'] as const
export type FitState = (typeof FIT_STATES)[number]

/**
 * Above this share of the budget a model is `tight`: it loads, but activations, the prompt cache
 * and everything else on the machine compete for the last 15%.
 */
export const TIGHT_FRACTION = 0.85
/** macOS lets the GPU wire about three quarters of unified memory (`recommendedMaxWorkingSetSize`). */
export const APPLE_SILICON_USABLE_FRACTION = 0.75
/** mlx_lm keeps the KV cache in the model's float16/bfloat16 activations. */
export const KV_BYTES_PER_ELEMENT = 2
/** The context the catalog assumes until someone picks another. */
export const DEFAULT_FIT_CONTEXT = 8192
export const MIN_FIT_CONTEXT = 256
export const MAX_FIT_CONTEXT = 2 ** 21

export interface MemoryFit {
  state: FitState
  weightsBytes: number
  kvCacheBytes: number
  totalBytes: number
  budgetBytes: number
  /** The context the KV cache was computed for (the requested one, capped at the model's maximum). */
  contextTokens: number
  /** totalBytes / budgetBytes. */
  budgetShare: number
  /** budgetBytes - totalBytes; negative when it does not fit. */
  headroomBytes: number
  /** False when config.json was unreadable, so the KV cache is missing from the total. */
  kvCacheKnown: boolean
  /** `measured` once a server of this model has run here: `totalBytes` is then its measured peak. */
  basis: 'estimate' | 'measured'
  /** Weights plus KV cache, shown beside a measurement. */
  estimatedBytes: number
  /** The peak `totalBytes` came from; null for an estimate. */
  measured: MemoryMeasurement | null
}

/** How a peak was read: the process tree's resident memory, or macOS's physical footprint (which counts Metal buffers). */
export type MemorySource = 'rss' | 'footprint'

/** The most memory a model's server held while it ran, per engine and context length. */
export interface MemoryMeasurement {
  modelId: string
  engine: string
  /** The context length the server was started with; null when the engine chose (mlx_lm.server has no such flag). */
  contextTokens: number | null
  peakBytes: number
  source: MemorySource
  /** When this peak was reached. */
  measuredAt: string
}

/**
 * The measurement that stands for a model at a context length: one made at that very context, or
 * else one made without a context limit (the engine grows its cache as prompts need, so that peak is
 * what the model took in practice). Between engines the larger peak wins, to stay on the safe side.
 */
export function pickMeasurement(measurements: readonly MemoryMeasurement[], contextTokens: number): MemoryMeasurement | null {
  const largest = (list: readonly MemoryMeasurement[]) => list.reduce<MemoryMeasurement | null>((best, item) => (best === null || item.peakBytes > best.peakBytes ? item : best), null)
  return largest(measurements.filter((item) => item.contextTokens === contextTokens)) ?? largest(measurements.filter((item) => item.contextTokens === null))
}

/** An estimated fit with a measured peak in place of the total; the estimate stays in `estimatedBytes`. */
export function withMeasurement(fit: MemoryFit, measurement: MemoryMeasurement | null): MemoryFit {
  const total = measurement?.peakBytes ?? fit.estimatedBytes
  const budget = fit.budgetBytes
  return {
    ...fit,
    state: fitState(total, budget),
    totalBytes: total,
    budgetShare: budget === 0 ? Number.POSITIVE_INFINITY : total / budget,
    headroomBytes: budget - total,
    basis: measurement === null ? 'estimate' : 'measured',
    measured: measurement,
  }
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function positiveInt(...values: unknown[]): number | null {
  for (const value of values) {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  }
  return null
}

/**
 * The language model's settings. VLMs nest them (`text_config`, `llm_config`, `language_config`);
 * values there win over the top level, which then describes the wrapper.
 */
export function languageConfig(config: unknown): Json | null {
  if (!isObject(config)) return null
  const nested = [config.text_config, config.llm_config, config.language_config].find(isObject)
  return nested === undefined ? config : { ...config, ...nested }
}

/** Counts the layers that use a sliding window, from `layer_types` or `sliding_window_pattern`. */
function slidingLayerCount(config: Json, layers: number): number | null {
  if (Array.isArray(config.layer_types)) {
    return config.layer_types.filter((type) => type === 'sliding_attention').length
  }
  const pattern = positiveInt(config.sliding_window_pattern)
  // Gemma 3: every `pattern`-th layer is global, the others slide.
  if (pattern !== null) return layers - Math.floor(layers / pattern)
  // Gemma 2 alternates sliding and global layers without saying so in config.json.
  if (config.model_type === 'gemma2') return Math.ceil(layers / 2)
  return null
}

/**
 * Reads the attention shape from config.json; null when the essentials are missing.
 *
 * A window counts only where the model really mixes window and global layers (`layer_types`,
 * `sliding_window_pattern`, Gemma 2). A `sliding_window` that applies to every layer (Mistral
 * v0.1, Phi-3, Qwen2 with `use_sliding_window: false`) is ignored: mlx_lm keeps a full cache for
 * those models, so capping would promise memory that is never saved.
 */
export function readArchitecture(config: unknown): ModelArchitecture | null {
  const text = languageConfig(config)
  if (text === null) return null
  const layers = positiveInt(text.num_hidden_layers, text.n_layers, text.num_layers, text.n_layer)
  const heads = positiveInt(text.num_attention_heads, text.n_heads, text.n_head)
  const hidden = positiveInt(text.hidden_size, text.d_model, text.n_embd, text.dim)
  if (layers === null || heads === null || hidden === null) return null
  const kvHeads = positiveInt(text.num_key_value_heads, text.n_kv_heads, text.num_kv_heads, text.multi_query_group_num) ?? heads
  const headDim = positiveInt(text.head_dim) ?? Math.floor(hidden / heads)
  const window = text.use_sliding_window === false ? null : positiveInt(text.sliding_window)
  const sliding = window === null ? null : slidingLayerCount(text, layers)
  return {
    modelType: typeof text.model_type === 'string' ? text.model_type : null,
    layers,
    attentionHeads: heads,
    kvHeads,
    headDim,
    hiddenSize: hidden,
    maxContext: positiveInt(text.max_position_embeddings, text.max_seq_len, text.n_positions, text.seq_length),
    slidingWindow: sliding === null || sliding === 0 ? null : window,
    slidingLayers: sliding === null ? 0 : Math.min(sliding, layers),
  }
}

/** The context the estimate uses: what was asked for, but never beyond what the model supports. */
export function effectiveContext(requested: number, architecture: ModelArchitecture | null): number {
  const max = architecture?.maxContext ?? null
  return max === null ? requested : Math.min(requested, max)
}

/**
 * `2 × layers × kv_heads × head_dim × context × bytes`, where sliding-window layers hold at most
 * the window's tokens.
 */
export function kvCacheBytes(architecture: ModelArchitecture, contextTokens: number, bytesPerElement = KV_BYTES_PER_ELEMENT): number {
  const perTokenPerLayer = 2 * architecture.kvHeads * architecture.headDim * bytesPerElement
  const window = architecture.slidingWindow
  const slidingLayers = window === null ? 0 : architecture.slidingLayers
  const fullLayers = architecture.layers - slidingLayers
  const slidingTokens = window === null ? 0 : Math.min(contextTokens, window)
  return perTokenPerLayer * (fullLayers * contextTokens + slidingLayers * slidingTokens)
}

export interface FitInput {
  weightsBytes: number
  architecture: ModelArchitecture | null
  contextTokens: number
  budgetBytes: number
  kvBytesPerElement?: number
  /** Peaks measured for this model; one that applies at the context replaces the estimate. */
  measurements?: readonly MemoryMeasurement[]
}

export function fitState(totalBytes: number, budgetBytes: number): FitState {
  if (totalBytes > budgetBytes) return 'too-large'
  return totalBytes > budgetBytes * TIGHT_FRACTION ? 'tight' : 'fits'
}

export function estimateFit(input: FitInput): MemoryFit {
  const contextTokens = effectiveContext(input.contextTokens, input.architecture)
  const kv = input.architecture === null ? 0 : kvCacheBytes(input.architecture, contextTokens, input.kvBytesPerElement)
  const total = input.weightsBytes + kv
  const budget = Math.max(0, input.budgetBytes)
  const estimate: MemoryFit = {
    state: fitState(total, budget),
    weightsBytes: input.weightsBytes,
    kvCacheBytes: kv,
    totalBytes: total,
    budgetBytes: budget,
    contextTokens,
    budgetShare: budget === 0 ? Number.POSITIVE_INFINITY : total / budget,
    headroomBytes: budget - total,
    kvCacheKnown: input.architecture !== null,
    basis: 'estimate',
    estimatedBytes: total,
    measured: null,
  }
  const measurements = input.measurements ?? []
  return measurements.length === 0 ? estimate : withMeasurement(estimate, pickMeasurement(measurements, contextTokens))
}

export interface MachineMemory {
  /** `process.platform`: darwin, linux, win32… */
  platform: string
  /** `process.arch`: arm64, x64… */
  arch: string
  totalBytes: number
  availableBytes: number
  /** Resident memory of the model servers this manager runs right now. */
  runningServersBytes: number
  /** The GPU working-set limit set with `sysctl iogpu.wired_limit_mb` on a Mac; null or absent when not set. */
  gpuLimitBytes?: number | null
}

export type BudgetRule = 'apple-silicon-working-set' | 'gpu-wired-limit' | 'available-memory'

export interface MemoryBudget extends MachineMemory {
  appleSilicon: boolean
  rule: BudgetRule
  /** What a model may use before subtracting running servers. */
  usableBytes: number
  budgetBytes: number
  /** One sentence saying how the budget was worked out. */
  explanation: string
}

/**
 * Apple silicon: the GPU working-set limit when one was set with `sysctl iogpu.wired_limit_mb`,
 * else three quarters of unified memory; minus what running model servers hold.
 * Elsewhere: memory available right now, which already leaves out the running servers.
 */
export function memoryBudget(machine: MachineMemory): MemoryBudget {
  const appleSilicon = machine.platform === 'darwin' && machine.arch === 'arm64'
  const wiredLimit = machine.gpuLimitBytes ?? null
  if (appleSilicon && wiredLimit !== null && wiredLimit > 0) {
    const usable = Math.min(wiredLimit, machine.totalBytes)
    const budget = Math.max(0, usable - machine.runningServersBytes)
    return {
      ...machine,
      appleSilicon,
      rule: 'gpu-wired-limit',
      usableBytes: usable,
      budgetBytes: budget,
      explanation: `The GPU may use ${formatBytes(usable)} of ${formatBytes(machine.totalBytes)} unified memory (set with sysctl iogpu.wired_limit_mb); running model servers hold ${formatBytes(machine.runningServersBytes)}.`,
    }
  }
  if (appleSilicon) {
    const usable = Math.floor(machine.totalBytes * APPLE_SILICON_USABLE_FRACTION)
    const budget = Math.max(0, usable - machine.runningServersBytes)
    return {
      ...machine,
      appleSilicon,
      rule: 'apple-silicon-working-set',
      usableBytes: usable,
      budgetBytes: budget,
      explanation: `75% of ${formatBytes(machine.totalBytes)} unified memory is available to the GPU (${formatBytes(usable)}); running model servers hold ${formatBytes(machine.runningServersBytes)}.`,
    }
  }
  const usable = Math.max(0, machine.availableBytes)
  return {
    ...machine,
    appleSilicon,
    rule: 'available-memory',
    usableBytes: usable,
    budgetBytes: usable,
    explanation: `${formatBytes(usable)} of ${formatBytes(machine.totalBytes)} memory is available now (running model servers are already counted as used).`,
  }
}
