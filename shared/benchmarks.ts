import type { MemorySource } from './memory-fit'
import type { EngineName, ModelType } from './profiles'

/** A one-click benchmark of a ready server: prompt processing and generation at a few prompt sizes. */
export const BENCHMARK_STATUSES = ['running', 'completed', 'failed'] as const
export type BenchmarkStatus = (typeof BENCHMARK_STATUSES)[number]

export const DEFAULT_BENCHMARK_PROMPT_SIZES: readonly number[] = [128, 1024, 4096]
export const DEFAULT_BENCHMARK_GENERATED_TOKENS = 128
export const BENCHMARK_MIN_PROMPT_TOKENS = 16
export const BENCHMARK_MAX_PROMPT_TOKENS = 131_072
export const BENCHMARK_MAX_SIZES = 6
export const BENCHMARK_MAX_GENERATED_TOKENS = 2048

/** The machine a benchmark ran on, so results from several machines can sit side by side. */
export interface BenchmarkMachine {
  hostname: string
  /** e.g. "darwin 24.1.0 arm64" */
  os: string
  cpu: string
  cpuCores: number
  memoryBytes: number
}

/** The profile fields that change how fast or how big a model runs. */
export interface BenchmarkSettings {
  contextLength: number | null
  modelType: ModelType
  trustRemoteCode: boolean
  extraArgs: string[]
}

/** One prompt size, measured with the engine's own token counts. */
export interface BenchmarkStep {
  /** The size asked for; `promptTokens` is what the engine counted. */
  targetPromptTokens: number
  promptTokens: number
  generatedTokens: number
  timeToFirstTokenMs: number
  /** Prompt tokens over the time to the first token. */
  promptTokensPerSecond: number
  /** Tokens after the first over the time from the first to the last; null with fewer than two. */
  generationTokensPerSecond: number | null
  /** The most the process tree held during this request; null when no sample came in time. */
  peakBytes: number | null
  totalMs: number
}

export interface BenchmarkRun {
  id: number
  profileId: number
  profileName: string
  modelId: string
  engine: EngineName
  settings: BenchmarkSettings
  machine: BenchmarkMachine
  status: BenchmarkStatus
  /** Why it failed, as a sentence. */
  error: string | null
  /** The sizes it runs, after clamping to the model's context. */
  promptSizes: number[]
  generatedTokens: number
  results: BenchmarkStep[]
  peakBytes: number | null
  memorySource: MemorySource | null
  startedAt: string
  finishedAt: string | null
  /** While it runs: what it is doing now (not kept once it ends). */
  phase: string | null
}
