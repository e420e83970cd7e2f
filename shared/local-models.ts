/** A model folder in the HuggingFace cache, as `GET /api/models` lists it. */
export const MODEL_CAPABILITIES = ['vision', 'tools', 'reasoning'] as const
export type ModelCapability = (typeof MODEL_CAPABILITIES)[number]

/** complete: every file of the snapshot is there; partial: a download stopped part way (or is running). */
export type LocalModelState = 'complete' | 'partial' | 'downloading'

export interface Quantization {
  bits: number
  groupSize: number | null
}

export interface LocalModel {
  /** `org/name`. */
  id: string
  state: LocalModelState
  /** The commit `refs/main` names (or the newest snapshot when there is no ref). */
  revision: string | null
  /** Every snapshot commit present on disk. */
  revisions: string[]
  /** Bytes of every blob, partial ones included. */
  sizeOnDiskBytes: number
  /** Bytes of `*.safetensors` in the revision: what the weights take in memory. */
  weightsBytes: number
  fileCount: number
  /** The newest of blob access times and the manager's own record of a server using it. */
  lastUsedAt: string | null
  /**
   * When a server this manager ran last loaded it; null when none ever did. Access times alone say
   * "used" just after a download, so this is what the Library shows.
   */
  lastServedAt: string | null
  modifiedAt: string
  architecture: string | null
  modelType: string | null
  quantization: Quantization | null
  capabilities: ModelCapability[]
  /** For the memory-fit estimate. Null when config.json does not say. */
  layers: number | null
  kvHeads: number | null
  headDim: number | null
  contextLength: number | null
  /** The download that is filling this folder, when one is active. */
  downloadId: number | null
}

type Json = Record<string, unknown>

const asObject = (value: unknown): Json | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null
const asNumber = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

/** Quantization as mlx_lm writes it (`quantization`) or as transformers does (`quantization_config`). */
export function quantizationOf(config: Json): Quantization | null {
  const block = asObject(config.quantization) ?? asObject(config.quantization_config)
  if (block === null) return null
  const bits = asNumber(block.bits)
  if (bits === null) return null
  return { bits, groupSize: asNumber(block.group_size) }
}

/** Vision from the config; tools and reasoning from markers in the chat template or the tokenizer. */
export function capabilitiesOf(config: Json, chatTemplate: string, tokenizerText = ''): ModelCapability[] {
  const found: ModelCapability[] = []
  const textConfig = asObject(config.text_config)
  if (asObject(config.vision_config) !== null || (textConfig !== null && asObject(config.vision_tower) !== null)) found.push('vision')
  if (/\btools\b|tool_call/.test(chatTemplate)) found.push('tools')
  if (/<think>|enable_thinking|reasoning_content|<\|channel\|>analysis/.test(chatTemplate + tokenizerText)) found.push('reasoning')
  return found
}

/** Shape numbers the memory-fit estimate needs, looked for where multimodal configs nest them too. */
export function shapeOf(config: Json): Pick<LocalModel, 'layers' | 'kvHeads' | 'headDim' | 'contextLength'> {
  const text = asObject(config.text_config) ?? config
  const pick = (key: string) => asNumber(text[key]) ?? asNumber(config[key])
  const layers = pick('num_hidden_layers')
  const heads = pick('num_attention_heads')
  const hidden = pick('hidden_size')
  const headDim = pick('head_dim') ?? (heads !== null && hidden !== null && heads > 0 ? hidden / heads : null)
  return {
    layers,
    kvHeads: pick('num_key_value_heads') ?? heads,
    headDim,
    contextLength: pick('max_position_embeddings'),
  }
}
