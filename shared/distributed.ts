/**
 * What mlx-lm 0.32.2 can split across ranks, read from its source: a model class with `shard()`
 * runs tensor parallel; one whose inner model mixes in `PipelineMixin` runs with `--pipeline`.
 * (mlx_lm/models/*.py; model types are first renamed by mlx_lm.utils MODEL_REMAPPING.)
 */
import type { DistributedMode } from './hosts'

export const TENSOR_PARALLEL_TYPES = [
  'deepseek_v2', 'deepseek_v3', 'deepseek_v32', 'deepseek_v41', 'exaone_moe', 'glm4_moe', 'glm4_moe_lite', 'gpt_oss',
  'iquestloopcoder', 'kimi_k25', 'kimi_k3', 'llama', 'longcat_flash', 'longcat_flash_ngram', 'minimax', 'minimax_m3_vl',
  'ministral3', 'mistral4', 'muse_spark', 'qwen2', 'qwen3', 'qwen3_5', 'qwen3_moe', 'step3p5',
] as const

export const PIPELINE_TYPES = [
  'bailing_hybrid', 'deepseek_v2', 'deepseek_v3', 'deepseek_v32', 'deepseek_v41', 'glm4_moe', 'glm4_moe_lite', 'minimax_m3_vl',
  'ministral3', 'mistral4', 'muse_spark', 'qwen2', 'qwen3_5', 'qwen3_moe', 'qwen3_next',
] as const

/** mlx_lm.utils MODEL_REMAPPING: config.json names that load another module. */
const REMAPPED: Record<string, string> = {
  mistral: 'llama',
  joyai_llm_flash: 'deepseek_v3',
  kimi_k2: 'deepseek_v3',
  minimax_m2: 'minimax',
  iquestcoder: 'llama',
  xverse: 'llama',
  deepseek_v41_text: 'deepseek_v41',
}

export const mlxLmModule = (modelType: string): string => REMAPPED[modelType] ?? modelType

export function supportsMode(modelType: string, mode: DistributedMode): boolean {
  const module = mlxLmModule(modelType)
  return (mode === 'tensor' ? (TENSOR_PARALLEL_TYPES as readonly string[]) : (PIPELINE_TYPES as readonly string[])).includes(module)
}

/** What the split needs from config.json (the language model's part). */
export interface SplitShape {
  modelType: string | null
  layers: number | null
  attentionHeads: number | null
  kvHeads: number | null
  headDim: number | null
  intermediateSize: number | null
  /** Quantization group size; null for an unquantized model. */
  groupSize: number | null
  /** model.safetensors.index.json is there (pipeline mode picks each rank's files from it). */
  hasWeightIndex: boolean
}

type Json = Record<string, unknown>
const int = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null)

export function splitShape(config: unknown, hasWeightIndex: boolean): SplitShape {
  const top = typeof config === 'object' && config !== null ? (config as Json) : {}
  const nested = [top.text_config, top.llm_config, top.language_config].find((value) => typeof value === 'object' && value !== null) as Json | undefined
  const text = { ...top, ...nested }
  const heads = int(text.num_attention_heads)
  const hidden = int(text.hidden_size)
  const quantization = (top.quantization ?? top.quantization_config) as Json | undefined
  return {
    modelType: typeof top.model_type === 'string' ? top.model_type : null,
    layers: int(text.num_hidden_layers),
    attentionHeads: heads,
    kvHeads: int(text.num_key_value_heads) ?? heads,
    headDim: int(text.head_dim) ?? (heads !== null && hidden !== null ? Math.floor(hidden / heads) : null),
    intermediateSize: int(text.intermediate_size),
    groupSize: quantization === undefined ? null : int(quantization.group_size),
    hasWeightIndex,
  }
}

/**
 * Why `ranks` ranks cannot load this model in `mode`, one sentence each with what to do; empty when
 * they can (as far as config.json tells).
 */
export function splitProblems(shape: SplitShape, ranks: number, mode: DistributedMode): string[] {
  const problems: string[] = []
  const type = shape.modelType ?? 'unknown'
  const other: DistributedMode = mode === 'tensor' ? 'pipeline' : 'tensor'
  if (!supportsMode(type, mode)) {
    const alternative = supportsMode(type, other) ? ` Choose the ${other} mode instead.` : ' mlx-lm cannot split it across machines at all.'
    problems.push(`mlx-lm 0.32 has no ${mode === 'tensor' ? 'tensor parallel' : 'pipeline'} support for ${type} models.${alternative}`)
    return problems
  }
  if (mode === 'pipeline') {
    if (shape.layers !== null && shape.layers < ranks) problems.push(`The model has ${shape.layers} layers, fewer than the ${ranks} ranks: each rank needs at least one. Use fewer ranks.`)
    if (!shape.hasWeightIndex) problems.push('Pipeline mode picks each rank\'s weights from model.safetensors.index.json, which this model folder lacks. Convert it with mlx_lm.convert, or use tensor mode.')
    return problems
  }
  const divides = (value: number | null, what: string) => {
    if (value !== null && value % ranks !== 0) problems.push(`Tensor parallel splits the ${value} ${what} evenly, so the number of ranks must divide ${value}; ${ranks} does not. Use ${divisorsUpTo(value, 8).join(', ')} ranks, or pipeline mode.`)
  }
  divides(shape.attentionHeads, 'attention heads')
  divides(shape.kvHeads, 'key/value heads')
  divides(shape.intermediateSize, 'MLP channels')
  if (problems.length === 0 && shape.groupSize !== null) {
    const attention = shape.attentionHeads !== null && shape.headDim !== null ? (shape.attentionHeads * shape.headDim) / ranks : null
    const mlp = shape.intermediateSize === null ? null : shape.intermediateSize / ranks
    for (const [size, what] of [
      [attention, 'attention output'],
      [mlp, 'MLP'],
    ] as const) {
      if (size !== null && size % shape.groupSize !== 0) {
        problems.push(`Split ${ranks} ways, each rank's ${what} slice is ${size} wide, not a multiple of the quantization group size ${shape.groupSize}, so the quantized weights cannot be split. Use fewer ranks, or pipeline mode.`)
        break
      }
    }
  }
  return problems
}

function divisorsUpTo(value: number, max: number): number[] {
  const result: number[] = []
  for (let n = 2; n <= max; n++) if (value % n === 0) result.push(n)
  return result.length === 0 ? [1] : result
}
