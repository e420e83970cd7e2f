import { cpus, hostname, release, totalmem } from 'node:os'
import {
  BENCHMARK_MIN_PROMPT_TOKENS,
  DEFAULT_BENCHMARK_GENERATED_TOKENS,
  DEFAULT_BENCHMARK_PROMPT_SIZES,
  type BenchmarkMachine,
  type BenchmarkRun,
  type BenchmarkStep,
} from '../../../shared/benchmarks'
import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { conflict } from '../../http/errors'
import type { EventBus } from '../events/bus'
import type { MemoryReading } from '../memory-usage/readers'
import type { PeakWatch } from '../memory-usage/service'
import { benchmarkPrompt, timeCompletion, type CompletionTiming, type Fetcher } from './engine-request'
import type { BenchmarkRepository } from './repository'

export interface BenchmarkDeps {
  repo: BenchmarkRepository
  bus: EventBus
  profiles: { get(id: number): Profile }
  servers: { get(profileId: number): ServerStatus; sampleStats(): void }
  memory: { watch(profileId: number): { watch: PeakWatch; settled: () => Promise<void>; stop: () => void } }
  /** The model's own maximum context (config.json), when the profile sets none. */
  modelContext?: (modelId: string) => Promise<number | null>
  machine?: () => BenchmarkMachine
  fetch?: Fetcher
  /** How often memory is sampled while a request runs. */
  sampleEveryMs?: number
  /** The longest one request may take before the run fails. */
  requestTimeoutMs?: number
  now?: () => Date
  logger?: Pick<Console, 'error'>
}

export interface BenchmarkOptions {
  promptSizes?: number[]
  generatedTokens?: number
}

export function thisMachine(): BenchmarkMachine {
  const cores = cpus()
  return {
    hostname: hostname(),
    os: `${process.platform} ${release()} ${process.arch}`,
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cpuCores: cores.length,
    memoryBytes: totalmem(),
  }
}

/** Where a prompt and its answer must fit: the sizes asked for, cut to the context, each once. */
export function clampSizes(sizes: readonly number[], generated: number, context: number | null): number[] {
  const limit = context === null ? Number.POSITIVE_INFINITY : Math.max(BENCHMARK_MIN_PROMPT_TOKENS, context - generated - 16)
  return [...new Set(sizes.map((size) => Math.max(BENCHMARK_MIN_PROMPT_TOKENS, Math.min(size, limit))))].sort((a, b) => a - b)
}

/** The engine's count of a prompt of n filler words is close to linear; two points give the line. */
interface PromptScale {
  perWord: number
  base: number
}

const wordsFor = (scale: PromptScale, target: number) => Math.max(0, Math.round((target - scale.base) / scale.perWord))
const CALIBRATION_WORDS = [8, 72] as const
const maxOf = (a: MemoryReading | null, b: MemoryReading | null) => (a === null ? b : b === null || a.bytes >= b.bytes ? a : b)

/**
 * One benchmark at a time, against a ready server, straight to its engine (not through chat, so
 * the figures are the engine's and chat metrics stay the users'). Each prompt size is measured
 * with the engine's own `usage.prompt_tokens`; memory is sampled while each request runs.
 */
export class BenchmarkService {
  private current: { run: BenchmarkRun; done: Promise<void> } | null = null
  private claimed = false
  private readonly fetcher: Fetcher
  private readonly now: () => Date

  constructor(private readonly deps: BenchmarkDeps) {
    this.fetcher = deps.fetch ?? ((url, init) => fetch(url, init))
    this.now = deps.now ?? (() => new Date())
    deps.repo.failUnfinished('The manager stopped while this benchmark ran.', this.now().toISOString())
  }

  list(limit = 200): BenchmarkRun[] {
    const stored = this.deps.repo.list(limit)
    const live = this.current?.run
    return live === undefined ? stored : stored.map((run) => (run.id === live.id ? live : run))
  }

  /** The run in progress, for tests and shutdown. */
  get running(): Promise<void> | null {
    return this.current?.done ?? null
  }

  async start(profileId: number, options: BenchmarkOptions = {}): Promise<BenchmarkRun> {
    const profile = this.deps.profiles.get(profileId)
    const status = this.deps.servers.get(profileId)
    if (status.state !== 'ready') {
      throw conflict('server-not-ready', `The server of "${profile.name}" is ${status.state}; start it and wait until it is ready to benchmark it.`)
    }
    if (this.claimed) {
      const what = this.current === null ? 'Another benchmark is starting' : `A benchmark of "${this.current.run.profileName}" is running`
      throw conflict('benchmark-running', `${what}; one at a time keeps the figures honest.`)
    }
    const generated = options.generatedTokens ?? DEFAULT_BENCHMARK_GENERATED_TOKENS
    // Claimed before the first await, so two clicks cannot both start one.
    this.claimed = true
    let created: BenchmarkRun
    try {
      const context = profile.contextLength ?? (await this.deps.modelContext?.(profile.model).catch(() => null)) ?? null
      created = this.deps.repo.create({
        profileId,
        profileName: profile.name,
        modelId: profile.model,
        engine: profile.engine,
        settings: { contextLength: profile.contextLength, modelType: profile.modelType, trustRemoteCode: profile.trustRemoteCode, extraArgs: profile.extraArgs },
        machine: (this.deps.machine ?? thisMachine)(),
        status: 'running',
        error: null,
        promptSizes: clampSizes(options.promptSizes ?? DEFAULT_BENCHMARK_PROMPT_SIZES, generated, context),
        generatedTokens: generated,
        results: [],
        peakBytes: null,
        memorySource: null,
        startedAt: this.now().toISOString(),
        finishedAt: null,
      })
    } catch (error) {
      this.claimed = false
      throw error
    }
    const run: BenchmarkRun = { ...created, phase: 'warming up' }
    const done = this.execute(run, status).finally(() => {
      this.current = null
      this.claimed = false
    })
    this.current = { run, done }
    this.publish(run)
    return run
  }

  private async execute(run: BenchmarkRun, status: ServerStatus): Promise<void> {
    const url = `${status.baseUrl.replace(/\/$/, '')}/chat/completions`
    let counter = 0
    const ask = (words: number, maxTokens: number, signal: AbortSignal) =>
      timeCompletion(this.fetcher, { url, model: run.modelId, prompt: benchmarkPrompt(`Request ${run.id}.${++counter}.${Date.now().toString(36)}:`, words), maxTokens, signal })
    try {
      // Two short prompts warm the engine up (first-call compilation) and show how it counts the filler.
      const timeout = () => AbortSignal.timeout(this.deps.requestTimeoutMs ?? 10 * 60_000)
      const [few, many] = CALIBRATION_WORDS
      const small = await ask(few, 1, timeout())
      const large = await ask(many, 1, timeout())
      const perWord = Math.max(0.1, (large.promptTokens - small.promptTokens) / (many - few))
      const scale: PromptScale = { perWord, base: small.promptTokens - few * perWord }
      for (const target of run.promptSizes) {
        this.progress(run, `measuring ${target} prompt tokens`)
        let words = wordsFor(scale, target)
        let measured = await this.measure(run, () => ask(words, run.generatedTokens, timeout()))
        // Off by more than a few tokens (the line is not exact for every tokenizer): correct once and measure again.
        const off = target - measured.timing.promptTokens
        if (Math.abs(off) > Math.max(8, target * 0.03)) {
          words = Math.max(0, words + Math.round(off / scale.perWord))
          measured = await this.measure(run, () => ask(words, run.generatedTokens, timeout()))
        }
        run.results = [...run.results, step(target, measured.timing, measured.peak)]
        const peak = maxOf(run.peakBytes === null ? null : { bytes: run.peakBytes, source: run.memorySource ?? 'rss' }, measured.peak)
        run.peakBytes = peak?.bytes ?? null
        run.memorySource = peak?.source ?? null
        this.deps.repo.update(run)
      }
      run.status = 'completed'
    } catch (error) {
      run.status = 'failed'
      const now = this.deps.servers.get(run.profileId).state
      const reason = error instanceof Error ? error.message : String(error)
      run.error = now === 'ready' ? `The benchmark failed: ${reason}.` : `The server stopped being ready (${now}) during the benchmark: ${reason}.`
    }
    run.finishedAt = this.now().toISOString()
    run.phase = null
    try {
      this.deps.repo.update(run)
    } catch (error) {
      this.deps.logger?.error(error)
    }
    this.publish(run)
  }

  /** One request, with memory sampled while it runs. */
  private async measure(run: BenchmarkRun, send: () => Promise<CompletionTiming>): Promise<{ timing: CompletionTiming; peak: MemoryReading | null }> {
    const watcher = this.deps.memory.watch(run.profileId)
    const sample = () => {
      try {
        this.deps.servers.sampleStats()
      } catch (error) {
        this.deps.logger?.error(error)
      }
    }
    sample()
    const timer = setInterval(sample, this.deps.sampleEveryMs ?? 250)
    try {
      const timing = await send()
      sample()
      await watcher.settled()
      return { timing, peak: watcher.watch.peak }
    } finally {
      clearInterval(timer)
      watcher.stop()
    }
  }

  private progress(run: BenchmarkRun, phase: string): void {
    run.phase = phase
    this.publish(run)
  }

  private publish(run: BenchmarkRun): void {
    this.deps.bus.publish({ type: 'benchmarks.progress', data: { ...run, results: [...run.results] } })
  }
}

function step(target: number, timing: CompletionTiming, peak: MemoryReading | null): BenchmarkStep {
  const round = (value: number) => Math.round(value * 10) / 10
  return {
    targetPromptTokens: target,
    promptTokens: timing.promptTokens,
    generatedTokens: timing.completionTokens,
    timeToFirstTokenMs: round(timing.timeToFirstTokenMs),
    promptTokensPerSecond: round(timing.promptTokens / Math.max(timing.timeToFirstTokenMs / 1000, 1e-6)),
    generationTokensPerSecond: timing.completionTokens < 2 || timing.generationMs <= 0 ? null : round(((timing.completionTokens - 1) * 1000) / timing.generationMs),
    peakBytes: peak?.bytes ?? null,
    totalMs: round(timing.totalMs),
  }
}
