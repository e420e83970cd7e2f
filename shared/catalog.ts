import { languageConfig, readArchitecture, type MemoryBudget, type MemoryFit, type MemoryMeasurement, type ModelArchitecture } from './memory-fit'

/**
 * The model catalog as both sides see it: the shapes the API returns, the filters, and the pure
 * functions that derive family, quantization and capabilities from a repo's config.json, chat
 * template and tags. The web runs the same filters over its offline copy.
 */

export const CATALOG_SORTS = ['downloads', 'likes', 'updated', 'trending'] as const
export type CatalogSort = (typeof CATALOG_SORTS)[number]

export const QUANT_BITS = [2, 3, 4, 5, 6, 8, 16] as const
export type QuantBits = (typeof QUANT_BITS)[number]

export const CAPABILITIES = ['text', 'vision', 'tools', 'reasoning'] as const
export type Capability = (typeof CAPABILITIES)[number]

export const ARCH_FAMILIES = ['llama', 'qwen', 'gemma', 'mistral', 'phi', 'deepseek', 'gpt-oss', 'glm', 'granite', 'olmo', 'cohere', 'other'] as const
export type ArchFamily = (typeof ARCH_FAMILIES)[number]

/** Values that fall back to the repo name when config.json cannot be read. */
export const GUESSABLE_FIELDS = ['family', 'bits', 'capabilities'] as const
export type GuessableField = (typeof GUESSABLE_FIELDS)[number]

/** Hub results fetched per page of search. */
export const CATALOG_PAGE_SIZE = 20
/** Longest free-text search accepted. */
export const CATALOG_QUERY_MAX_LENGTH = 200

export type Gated = false | 'auto' | 'manual'

/** One search result. Every derived value says whether it came from the repo's files or only its name. */
export interface CatalogModel {
  id: string
  author: string
  name: string
  /** The commit the facts were read from. */
  sha: string | null
  downloads: number
  likes: number
  lastModified: string | null
  gated: Gated
  pipelineTag: string | null
  tags: string[]
  license: string | null
  family: ArchFamily | null
  /** config.json `model_type`, e.g. `qwen3`, `gemma3`. */
  modelType: string | null
  /** 16 for unquantized bfloat16/float16 weights. */
  bits: number | null
  groupSize: number | null
  capabilities: Capability[]
  /** Real parameter count (the hub's own figure undercounts packed quantized weights). */
  parameters: number | null
  /** Sum of the weight files: what a download costs and what the weights take in memory. */
  weightsBytes: number | null
  contextLength: number | null
  architecture: ModelArchitecture | null
  fit: MemoryFit | null
  /** Peaks measured while this model ran here, so a fit at another context can use them (absent in copies saved before). */
  measurements?: MemoryMeasurement[]
  /** True when any of `guessedFields` had to come from the repo name. */
  guessed: boolean
  guessedFields: GuessableField[]
}

export interface CatalogPage {
  models: CatalogModel[]
  /** Pass back as `cursor` for the next page; null at the end of the results. */
  nextCursor: string | null
  /** Hub results examined to fill this page, before the filters. */
  scanned: number
  contextTokens: number
  budget: MemoryBudget
  /** When the hub was asked (a cached answer keeps its original time). */
  fetchedAt: string
}

/** `GET /api/catalog/system`: this machine's budget for the fit, and the context assumed by default. */
export interface CatalogSystem extends MemoryBudget {
  defaultContext: number
}

export interface ModelFile {
  path: string
  size: number
  lfs: boolean
  /** Counted in the download size and the memory fit. */
  weight: boolean
}

export const ENGINES = ['mlx-openai-server', 'mlx_lm.server'] as const
export type RecommendedEngine = (typeof ENGINES)[number]

export interface EngineRecommendation {
  engine: RecommendedEngine
  /** mlx-openai-server's `--model-type`. */
  modelType: 'lm' | 'multimodal' | null
  toolCallParser: string | null
  reasoningParser: string | null
  /** Command-line options for the engine, ready to show or copy. */
  args: string[]
  /** Why this engine and these options. */
  reason: string
}

export interface QuantizationInfo {
  bits: number | null
  groupSize: number | null
  /** `affine` (mlx default), `mxfp4`, …; null when config.json does not say. */
  mode: string | null
}

export interface ModelDetails extends CatalogModel {
  files: ModelFile[]
  /** Sum of the weight files (not the hub's usedStorage, which counts every old revision). */
  downloadBytes: number
  /** Every file of the revision. */
  repoBytes: number
  quantization: QuantizationInfo | null
  layers: number | null
  attentionHeads: number | null
  kvHeads: number | null
  headDim: number | null
  hiddenSize: number | null
  slidingWindow: number | null
  baseModel: string | null
  libraryName: string | null
  createdAt: string | null
  /** README.md as Markdown, raw: the web sanitises it when rendering. Null when the repo has none. */
  readme: string | null
  engine: EngineRecommendation
  /** The model's page on the hub the manager uses (HF_ENDPOINT + the repo id); absent in copies saved by older versions. */
  hubUrl?: string
}

export interface CatalogFilters {
  arch?: ArchFamily[]
  bits?: QuantBits[]
  /** Every listed capability is required. */
  capability?: Capability[]
  /** Bounds on weightsBytes. */
  minSize?: number
  maxSize?: number
  /** Only models whose fit is `fits` or `tight`. */
  fits?: boolean
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const positiveInt = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null)

/** config.json `model_type` → family. Checked in order; the first prefix that matches wins. */
const FAMILY_PREFIXES: [string, ArchFamily][] = [
  ['deepseek', 'deepseek'],
  ['qwen', 'qwen'],
  ['llama', 'llama'],
  ['mllama', 'llama'],
  ['smollm', 'llama'],
  ['gemma', 'gemma'],
  ['paligemma', 'gemma'],
  ['mistral', 'mistral'],
  ['mixtral', 'mistral'],
  ['ministral', 'mistral'],
  ['pixtral', 'mistral'],
  ['phi', 'phi'],
  ['gpt_oss', 'gpt-oss'],
  ['glm', 'glm'],
  ['chatglm', 'glm'],
  ['granite', 'granite'],
  ['olmo', 'olmo'],
  ['cohere', 'cohere'],
]

export function familyOf(modelType: string): ArchFamily {
  const type = modelType.toLowerCase()
  return FAMILY_PREFIXES.find(([prefix]) => type.startsWith(prefix))?.[1] ?? 'other'
}

/** From the repo name alone. Distills name their architecture (`R1-Distill-Qwen`), so Qwen is checked before DeepSeek. */
const NAME_FAMILIES: [RegExp, ArchFamily][] = [
  [/qwen|qwq/i, 'qwen'],
  [/llama|smollm/i, 'llama'],
  [/gemma/i, 'gemma'],
  [/mistral|mixtral|ministral|devstral|codestral|magistral|pixtral/i, 'mistral'],
  [/phi-?\d/i, 'phi'],
  [/deepseek/i, 'deepseek'],
  [/gpt-oss/i, 'gpt-oss'],
  [/glm/i, 'glm'],
  [/granite/i, 'granite'],
  [/olmo/i, 'olmo'],
  [/command-r|aya|c4ai/i, 'cohere'],
]

export function guessFamilyFromName(id: string): ArchFamily | null {
  const name = id.split('/').at(-1) ?? id
  return NAME_FAMILIES.find(([pattern]) => pattern.test(name))?.[1] ?? null
}

/** `quantization` (mlx) or `quantization_config`; unquantized float weights count as 16 bits (32 for float32). */
export function readQuantization(config: unknown): QuantizationInfo | null {
  if (!isObject(config)) return null
  const quant = [config.quantization, config.quantization_config].find(isObject)
  if (quant !== undefined) {
    const mode = typeof quant.mode === 'string' ? quant.mode : typeof quant.quant_method === 'string' ? quant.quant_method : null
    return { bits: positiveInt(quant.bits), groupSize: positiveInt(quant.group_size), mode }
  }
  const text = languageConfig(config) ?? config
  const dtype = [config.torch_dtype, config.dtype, text.torch_dtype, text.dtype].find((value) => typeof value === 'string')
  if (dtype === 'bfloat16' || dtype === 'float16') return { bits: 16, groupSize: null, mode: null }
  if (dtype === 'float32') return { bits: 32, groupSize: null, mode: null }
  return null
}

export function guessBitsFromName(id: string): number | null {
  const name = id.split('/').at(-1) ?? id
  const bits = /(?:^|[-_.])(\d{1,2})-?bits?(?:$|[-_.])/i.exec(name)?.[1]
  if (bits !== undefined) return Number(bits)
  if (/(?:^|[-_.])(bf16|fp16|f16)(?:$|[-_.])/i.test(name)) return 16
  if (/mxfp4|nvfp4/i.test(name)) return 4
  return null
}

const TOOL_MARKERS = ['<tool_call>', '[AVAILABLE_TOOLS]', '[TOOL_CALLS]', '<|python_tag|>', 'tool▁calls▁begin', '<start_function_call>', '<|tool_call', 'tool_calls']
const REASONING_MARKERS = ['<think>', '</think>', 'enable_thinking', 'reasoning_content', '<|channel|>analysis', '[THINK]', '<seed:think>', 'reasoning_effort']

/** A template that renders a `tools` argument or tool-call markers can take function definitions. */
export function templateSupportsTools(template: string): boolean {
  return /\{%-?\s*(?:if|elif|for)\b[^%]*\btools\b/.test(template) || TOOL_MARKERS.some((marker) => template.includes(marker))
}

export function templateSupportsReasoning(template: string): boolean {
  return REASONING_MARKERS.some((marker) => template.includes(marker))
}

const VISION_PIPELINES = new Set(['image-text-to-text', 'image-to-text', 'visual-question-answering', 'video-text-to-text', 'any-to-any'])
const NON_TEXT_PIPELINES = new Set([
  'feature-extraction',
  'sentence-similarity',
  'automatic-speech-recognition',
  'text-to-speech',
  'text-to-audio',
  'text-to-image',
  'image-to-image',
  'image-classification',
  'image-segmentation',
  'object-detection',
  'audio-classification',
])

export interface CapabilityInput {
  /** config.json, or null when it could not be read. */
  config: unknown
  pipelineTag: string | null
  tags: string[]
  chatTemplate: string | null
  /** Special tokens of the tokenizer (`added_tokens_decoder` contents), when known. */
  addedTokens?: string[]
}

export function deriveCapabilities(input: CapabilityInput): Capability[] {
  const config = isObject(input.config) ? input.config : {}
  const out: Capability[] = []
  if (input.pipelineTag === null || !NON_TEXT_PIPELINES.has(input.pipelineTag)) out.push('text')
  const vision =
    isObject(config.vision_config) ||
    (input.pipelineTag !== null && VISION_PIPELINES.has(input.pipelineTag)) ||
    input.tags.includes('vision') ||
    input.tags.includes('image-text-to-text')
  if (vision) out.push('vision')
  const template = input.chatTemplate ?? ''
  if (templateSupportsTools(template)) out.push('tools')
  if (templateSupportsReasoning(template) || (input.addedTokens ?? []).includes('<think>')) out.push('reasoning')
  return out
}

export function guessCapabilitiesFromName(id: string, pipelineTag: string | null): Capability[] {
  const name = id.split('/').at(-1) ?? id
  const out: Capability[] = ['text']
  if ((pipelineTag !== null && VISION_PIPELINES.has(pipelineTag)) || /-vl-|vision|llava|pixtral|paligemma|smolvlm|idefics|gemma-3-(4|12|27)b/i.test(name)) out.push('vision')
  if (/qwen2\.5|qwen3|llama-3\.[123]|mistral|hermes|functionary|gpt-oss|command-r/i.test(name)) out.push('tools')
  if (/(?:^|[-_])r1(?:$|[-_])|thinking|qwq|reason|magistral|gpt-oss|qwen3/i.test(name)) out.push('reasoning')
  return out
}

/**
 * The real parameter count. For a quantized MLX model the hub counts packed U32 elements (each
 * holding 32 / bits weights) plus the float scales and biases; this undoes that packing.
 */
export function parameterCount(safetensors: { parameters: Record<string, number> } | null | undefined, quantization: QuantizationInfo | null): number | null {
  if (safetensors === null || safetensors === undefined) return null
  const counts = Object.entries(safetensors.parameters)
  const packed = counts.filter(([dtype]) => dtype === 'U32' || dtype === 'I32').reduce((sum, [, n]) => sum + n, 0)
  const other = counts.filter(([dtype]) => dtype !== 'U32' && dtype !== 'I32').reduce((sum, [, n]) => sum + n, 0)
  const bits = quantization?.bits ?? null
  if (packed === 0 || bits === null || bits >= 16) return packed + other
  const quantized = (packed * 32) / bits
  const groupSize = quantization?.groupSize ?? 64
  // Affine quantization stores a scale and a bias per group; mxfp4 one 8-bit scale (U8) per group.
  // Either way they are counted among the other dtypes and are not weights.
  const perGroup = quantization?.mode === 'mxfp4' ? 1 : 2
  return Math.round(quantized + Math.max(0, other - (perGroup * quantized) / groupSize))
}

/** Weight files: `*.safetensors` at the top of the repo, which is what mlx_lm and mlx_vlm load. */
export function isWeightFile(path: string): boolean {
  return !path.includes('/') && path.endsWith('.safetensors')
}

export interface FactsInput {
  id: string
  tags: string[]
  pipelineTag: string | null
  /** The full config.json, or null when it could not be read. */
  config: unknown
  /** `model_type` from the hub's own metadata, used when config.json is missing. */
  hubModelType?: string | null
  chatTemplate: string | null
  addedTokens?: string[]
  safetensors?: { parameters: Record<string, number> } | null
}

export interface ModelFacts {
  family: ArchFamily | null
  modelType: string | null
  quantization: QuantizationInfo | null
  bits: number | null
  groupSize: number | null
  capabilities: Capability[]
  architecture: ModelArchitecture | null
  contextLength: number | null
  parameters: number | null
  guessedFields: GuessableField[]
}

/** Everything the catalog derives about a repo, from its files where they are known and its name where not. */
export function deriveFacts(input: FactsInput): ModelFacts {
  const guessed: GuessableField[] = []
  const config = isObject(input.config) ? input.config : null
  const modelType = (typeof config?.model_type === 'string' ? config.model_type : null) ?? input.hubModelType ?? null

  let family: ArchFamily | null = modelType === null ? null : familyOf(modelType)
  if (family === null) {
    family = guessFamilyFromName(input.id)
    if (family !== null) guessed.push('family')
  }

  let quantization = config === null ? null : readQuantization(config)
  if (quantization === null) {
    const bits = guessBitsFromName(input.id)
    if (bits !== null) {
      quantization = { bits, groupSize: null, mode: null }
      guessed.push('bits')
    }
  }

  let capabilities: Capability[]
  if (config !== null || input.chatTemplate !== null) {
    capabilities = deriveCapabilities({ config, pipelineTag: input.pipelineTag, tags: input.tags, chatTemplate: input.chatTemplate, addedTokens: input.addedTokens })
  } else {
    capabilities = guessCapabilitiesFromName(input.id, input.pipelineTag)
    guessed.push('capabilities')
  }

  const architecture = config === null ? null : readArchitecture(config)
  return {
    family,
    modelType,
    quantization,
    bits: quantization?.bits ?? null,
    groupSize: quantization?.groupSize ?? null,
    capabilities,
    architecture,
    contextLength: architecture?.maxContext ?? null,
    parameters: parameterCount(input.safetensors, quantization),
    guessedFields: guessed,
  }
}

export function matchesFilters(model: CatalogModel, filters: CatalogFilters): boolean {
  if (filters.arch !== undefined && filters.arch.length > 0 && (model.family === null || !filters.arch.includes(model.family))) return false
  if (filters.bits !== undefined && filters.bits.length > 0 && (model.bits === null || !(filters.bits as readonly number[]).includes(model.bits))) return false
  if (filters.capability !== undefined && !filters.capability.every((c) => model.capabilities.includes(c))) return false
  if (filters.minSize !== undefined && (model.weightsBytes === null || model.weightsBytes < filters.minSize)) return false
  if (filters.maxSize !== undefined && (model.weightsBytes === null || model.weightsBytes > filters.maxSize)) return false
  if (filters.fits === true && (model.fit === null || model.fit.state === 'too-large')) return false
  return true
}

export function hasFilters(filters: CatalogFilters): boolean {
  return (
    (filters.arch?.length ?? 0) > 0 ||
    (filters.bits?.length ?? 0) > 0 ||
    (filters.capability?.length ?? 0) > 0 ||
    filters.minSize !== undefined ||
    filters.maxSize !== undefined ||
    filters.fits === true
  )
}

/** Query-string form of the filters, as `GET /api/catalog/search` reads them (lists are comma-separated). */
export function filtersToQuery(filters: CatalogFilters): Record<string, string> {
  const out: Record<string, string> = {}
  if (filters.arch !== undefined && filters.arch.length > 0) out.arch = filters.arch.join(',')
  if (filters.bits !== undefined && filters.bits.length > 0) out.bits = filters.bits.join(',')
  if (filters.capability !== undefined && filters.capability.length > 0) out.capability = filters.capability.join(',')
  if (filters.minSize !== undefined) out.minSize = String(filters.minSize)
  if (filters.maxSize !== undefined) out.maxSize = String(filters.maxSize)
  if (filters.fits === true) out.fits = 'true'
  return out
}
