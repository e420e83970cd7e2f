import type { BenchmarkMachine, BenchmarkRun } from '../../../../shared/benchmarks'

/** "1,024" style token counts, short for large ones: 4096 → "4K". */
export function promptSize(tokens: number): string {
  return tokens >= 1024 && tokens % 1024 === 0 ? `${tokens / 1024}K` : tokens.toLocaleString('en-US')
}

export function rate(value: number | null): string {
  if (value === null) return '–'
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)
}

export function milliseconds(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`
}

/** "Apple M2 Max · 64 GB · darwin 24.1.0 arm64" */
export function machineLine(machine: BenchmarkMachine): string {
  return `${machine.cpu} · ${Math.round(machine.memoryBytes / 2 ** 30)} GB · ${machine.os}`
}

/** Every prompt size the listed runs measured, so their columns line up side by side. */
export function sizeColumns(runs: readonly Pick<BenchmarkRun, 'results'>[]): number[] {
  return [...new Set(runs.flatMap((run) => run.results.map((step) => step.targetPromptTokens)))].sort((a, b) => a - b)
}
