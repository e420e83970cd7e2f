import type { Database } from 'bun:sqlite'
import type { MemoryMeasurement, MemorySource } from '../../../shared/memory-fit'

interface Row {
  model_id: string
  engine: string
  context_tokens: number
  peak_bytes: number
  source: string
  measured_at: string
}

const fromRow = (row: Row): MemoryMeasurement => ({
  modelId: row.model_id,
  engine: row.engine,
  // 0 stands for "the engine chose": SQLite would let NULLs repeat in a primary key.
  contextTokens: row.context_tokens === 0 ? null : row.context_tokens,
  peakBytes: row.peak_bytes,
  source: row.source === 'footprint' ? 'footprint' : ('rss' satisfies MemorySource),
  measuredAt: row.measured_at,
})

export interface MemoryPeakRepository {
  /** Keeps the larger of the stored peak and this one (with the date of the larger). */
  record(measurement: MemoryMeasurement): void
  forModel(modelId: string): MemoryMeasurement[]
  all(): MemoryMeasurement[]
}

export function createMemoryPeakRepository(db: Database): MemoryPeakRepository {
  const upsert = db.query(
    `INSERT INTO memory_peaks (model_id, engine, context_tokens, peak_bytes, source, measured_at)
     VALUES ($model, $engine, $context, $peak, $source, $at)
     ON CONFLICT (model_id, engine, context_tokens) DO UPDATE SET
       peak_bytes = excluded.peak_bytes, source = excluded.source, measured_at = excluded.measured_at
     WHERE excluded.peak_bytes > memory_peaks.peak_bytes`,
  )
  const byModel = db.query<Row, [string]>('SELECT * FROM memory_peaks WHERE model_id = ? ORDER BY engine, context_tokens')
  const every = db.query<Row, []>('SELECT * FROM memory_peaks ORDER BY model_id, engine, context_tokens')
  return {
    record(m) {
      upsert.run({ model: m.modelId, engine: m.engine, context: m.contextTokens ?? 0, peak: Math.round(m.peakBytes), source: m.source, at: m.measuredAt })
    },
    forModel: (modelId) => byModel.all(modelId).map(fromRow),
    all: () => every.all().map(fromRow),
  }
}
