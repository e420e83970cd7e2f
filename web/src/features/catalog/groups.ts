import type { CatalogModel } from '../../../../shared/catalog'

/**
 * Quantizations of one model are one row in the catalog, with a choice of variant (as LM Studio
 * lists them): "Qwen3-8B-4bit", "Qwen3-8B-6bit" and "Qwen3-8B-bf16" by one publisher are Qwen3-8B.
 * Publishers stay apart: two people's conversions of a model are not interchangeable.
 */

/**
 * Name endings that say how a repo was quantized or converted, not which model it is: bit widths
 * ("4bit", "4-bit"), float formats ("bf16", "mxfp4"), quant recipes ("DWQ", "Q8", "AWQ") and the
 * "MLX" marker some publishers put before them ("Qwen3-4B-MLX-8bit").
 */
const QUANT_PART = /^(?:\d+-?bits?|bf16|fp16|fp32|f16|f32|mx?fp[48]|nvfp4|int[48]|q[2-8](?:_k(?:_[msl])?)?|dwq|awq|gptq|mixed(?:_\d+){0,2}|mlx)$/i

export interface NameParts {
  /** The model's name without its quantization: "Qwen3-8B". */
  base: string
  /** What was stripped, as the repo wrote it: "4bit", "MXFP4-Q8", "4bit-DWQ"; empty when nothing was. */
  suffix: string
}

/** Splits a repo name into the model and its quantization, stripping quant parts from the end. */
export function splitQuantization(name: string): NameParts {
  const parts = name.split('-')
  let keep = parts.length
  // At least one part stays: a repo named only "mlx" or "4bit" is its own model.
  while (keep > 1 && QUANT_PART.test(parts[keep - 1] ?? '')) keep -= 1
  // "4-bit" splits into "4" and "bit": take both together.
  if (keep > 2 && /^bits?$/i.test(parts[keep - 1] ?? '') && /^\d+$/.test(parts[keep - 2] ?? '')) {
    keep -= 2
    while (keep > 1 && QUANT_PART.test(parts[keep - 1] ?? '')) keep -= 1
  }
  return { base: parts.slice(0, keep).join('-'), suffix: parts.slice(keep).join('-') }
}

/** The row a repo belongs to: its publisher and the model's name without quantization, case-folded. */
export function groupKey(model: Pick<CatalogModel, 'author' | 'name'>): string {
  return `${model.author}/${splitQuantization(model.name).base}`.toLowerCase()
}

export interface ModelGroup {
  key: string
  /** "Qwen3-8B" */
  base: string
  /** In the order the list had them, so the first is the best match for the search and sort. */
  variants: CatalogModel[]
}

/** Groups a result list into rows, each where its first variant was; the list's order is kept. */
export function groupModels(models: readonly CatalogModel[]): ModelGroup[] {
  const groups = new Map<string, ModelGroup>()
  for (const model of models) {
    const key = groupKey(model)
    const group = groups.get(key)
    if (group === undefined) groups.set(key, { key, base: splitQuantization(model.name).base, variants: [model] })
    else if (!group.variants.some((variant) => variant.id === model.id)) group.variants.push(model)
  }
  return [...groups.values()]
}

/** What a variant's choice says: "4-bit", "bf16", "MXFP4 Q8", "4-bit DWQ"; the bit width when the name has none. */
export function variantLabel(model: Pick<CatalogModel, 'name' | 'bits'>): string {
  const words = splitQuantization(model.name)
    .suffix.replace(/(\d+)-(bits?)\b/gi, '$1$2')
    .split('-')
    .filter((part) => part !== '' && !/^mlx$/i.test(part))
    .map((part) => part.replace(/^(\d+)bits?$/i, '$1-bit'))
  if (words.length > 0) return words.join(' ')
  return model.bits === null ? 'original' : model.bits >= 16 ? '16-bit' : `${model.bits}-bit`
}
