import type { CatalogModel, EngineRecommendation } from '../../../../shared/catalog'
import { DEFAULT_FIT_CONTEXT, MAX_FIT_CONTEXT, estimateFit, type MemoryFit, type MemoryMeasurement } from '../../../../shared/memory-fit'
import { formatDate } from './format'

/** The fewest tokens the context slider offers. */
export const MIN_SLIDER_CONTEXT = 1024
/** Where the slider stops for a model whose config.json does not say its maximum. */
export const UNKNOWN_MAX_CONTEXT = 131072

/**
 * The context lengths the slider stops at: powers of two from 1K up to the model's maximum, and
 * the maximum itself when it is not a power of two (Qwen3's 40960).
 */
export function contextSteps(maxContext: number | null): number[] {
  const max = Math.min(MAX_FIT_CONTEXT, Math.max(MIN_SLIDER_CONTEXT, maxContext ?? UNKNOWN_MAX_CONTEXT))
  const steps: number[] = []
  for (let tokens = MIN_SLIDER_CONTEXT; tokens <= max; tokens *= 2) steps.push(tokens)
  if (steps.at(-1) !== max) steps.push(max)
  return steps
}

/** The step nearest to a context length, e.g. the default 8K for a model that allows more. */
export function nearestStep(steps: readonly number[], tokens: number): number {
  return steps.reduce((best, step) => (Math.abs(step - tokens) < Math.abs(best - tokens) ? step : best), steps[0] ?? tokens)
}

export function defaultContextFor(maxContext: number | null): number {
  return nearestStep(contextSteps(maxContext), DEFAULT_FIT_CONTEXT)
}

/**
 * The memory fit of a model at a context length, with shared/memory-fit (the same code the server
 * uses for the lists). Null when the model has no weight files to measure.
 */
export function fitAt(model: Pick<CatalogModel, 'weightsBytes' | 'architecture' | 'measurements'>, contextTokens: number, budgetBytes: number): MemoryFit | null {
  if (model.weightsBytes === null) return null
  return estimateFit({ weightsBytes: model.weightsBytes, architecture: model.architecture, contextTokens, budgetBytes, measurements: model.measurements })
}

/** A saved model's fit again, against the budget this device knows now (offline lists use it). */
export function refit(model: CatalogModel, budgetBytes: number | null): CatalogModel {
  if (budgetBytes === null || model.fit === null) return model
  return { ...model, fit: fitAt(model, model.fit.contextTokens, budgetBytes) }
}

/** The recommended command line at the context chosen on the slider. */
export function argsAt(engine: EngineRecommendation, contextTokens: number): string[] {
  const args = [...engine.args]
  const at = args.indexOf('--context-length')
  if (at !== -1 && at + 1 < args.length) args[at + 1] = String(contextTokens)
  return args
}

/** The command to type, with the executable first: `mlx-openai-server launch …` or `mlx_lm.server --model …`. */
export function commandLine(engine: EngineRecommendation, contextTokens: number): string {
  return [engine.engine, ...argsAt(engine, contextTokens)].join(' ')
}

/**
 * The command as a shell would show it wrapped: the program (and subcommand) first, then one
 * option with its value per line, each line but the last ending in a backslash.
 */
export function commandLines(engine: EngineRecommendation, contextTokens: number): string[] {
  const lines: string[][] = [[engine.engine]]
  for (const arg of argsAt(engine, contextTokens)) {
    const current = lines[lines.length - 1]
    if (arg.startsWith('--') || current === undefined) lines.push([arg])
    else current.push(arg)
  }
  return lines.map((parts, i) => `${i === 0 ? '' : '  '}${parts.join(' ')}${i === lines.length - 1 ? '' : ' \\'}`)
}

/** "measured 3 Feb 2026 with mlx_lm.server (physical footprint)": where a measured fit comes from. */
export function measuredLine(measured: MemoryMeasurement): string {
  const how = measured.source === 'footprint' ? 'physical footprint' : 'resident memory'
  const context = measured.contextTokens === null ? '' : ` at ${measured.contextTokens.toLocaleString('en-US')} tokens of context`
  return `measured ${formatDate(measured.measuredAt)} with ${measured.engine}${context} (${how})`
}
