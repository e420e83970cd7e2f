import type { Database } from 'bun:sqlite'
import type { BenchmarkMachine, BenchmarkRun, BenchmarkSettings, BenchmarkStatus, BenchmarkStep } from '../../../shared/benchmarks'
import type { MemorySource } from '../../../shared/memory-fit'
import type { EngineName } from '../../../shared/profiles'

interface Row {
  id: number
  profile_id: number
  profile_name: string
  model_id: string
  engine: string
  settings: string
  machine: string
  status: string
  error: string | null
  generated_tokens: number
  prompt_sizes: string
  results: string
  peak_bytes: number | null
  memory_source: string | null
  started_at: string
  finished_at: string | null
}

const fromRow = (row: Row): BenchmarkRun => ({
  id: row.id,
  profileId: row.profile_id,
  profileName: row.profile_name,
  modelId: row.model_id,
  engine: row.engine as EngineName,
  settings: JSON.parse(row.settings) as BenchmarkSettings,
  machine: JSON.parse(row.machine) as BenchmarkMachine,
  status: row.status as BenchmarkStatus,
  error: row.error,
  promptSizes: JSON.parse(row.prompt_sizes) as number[],
  generatedTokens: row.generated_tokens,
  results: JSON.parse(row.results) as BenchmarkStep[],
  peakBytes: row.peak_bytes,
  memorySource: row.memory_source as MemorySource | null,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  phase: null,
})

export type NewBenchmark = Omit<BenchmarkRun, 'id' | 'phase'>

export interface BenchmarkRepository {
  create(run: NewBenchmark): BenchmarkRun
  update(run: BenchmarkRun): void
  list(limit: number): BenchmarkRun[]
  /** Runs a previous manager left marked running: they cannot finish now. */
  failUnfinished(message: string, at: string): void
}

export function createBenchmarkRepository(db: Database): BenchmarkRepository {
  const insert = db.query<{ id: number }, Record<string, string | number | null>>(
    `INSERT INTO benchmark_runs (profile_id, profile_name, model_id, engine, settings, machine, status, error, generated_tokens, prompt_sizes, results, peak_bytes, memory_source, started_at, finished_at)
     VALUES ($profileId, $profileName, $modelId, $engine, $settings, $machine, $status, $error, $generated, $sizes, $results, $peak, $source, $startedAt, $finishedAt)
     RETURNING id`,
  )
  const save = db.query(
    `UPDATE benchmark_runs SET status = $status, error = $error, prompt_sizes = $sizes, results = $results, peak_bytes = $peak,
       memory_source = $source, finished_at = $finishedAt WHERE id = $id`,
  )
  const recent = db.query<Row, [number]>('SELECT * FROM benchmark_runs ORDER BY id DESC LIMIT ?')
  const unfinished = db.query(`UPDATE benchmark_runs SET status = 'failed', error = $message, finished_at = $at WHERE status = 'running'`)
  return {
    create(run) {
      const row = insert.get({
        profileId: run.profileId,
        profileName: run.profileName,
        modelId: run.modelId,
        engine: run.engine,
        settings: JSON.stringify(run.settings),
        machine: JSON.stringify(run.machine),
        status: run.status,
        error: run.error,
        generated: run.generatedTokens,
        sizes: JSON.stringify(run.promptSizes),
        results: JSON.stringify(run.results),
        peak: run.peakBytes,
        source: run.memorySource,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      })
      if (row === null) throw new Error('benchmark_runs insert returned no id')
      return { ...run, id: row.id, phase: null }
    },
    update(run) {
      save.run({
        id: run.id,
        status: run.status,
        error: run.error,
        sizes: JSON.stringify(run.promptSizes),
        results: JSON.stringify(run.results),
        peak: run.peakBytes,
        source: run.memorySource,
        finishedAt: run.finishedAt,
      })
    },
    list: (limit) => recent.all(limit).map(fromRow),
    failUnfinished: (message, at) => void unfinished.run({ message, at }),
  }
}
