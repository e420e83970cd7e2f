const PYTHON_EXCEPTION = /^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt)\b(?::|$)/
const ERROR_LEVEL = /\b(?:ERROR|CRITICAL|FATAL)\b|^error:|: error:|^Error:|terminating due to|Segmentation fault|Killed$/

/**
 * The line of a log tail that best says what went wrong: a Python exception line first (the
 * message of the traceback), else the first error-level line, else null. Manager notes are skipped.
 */
export function findErrorLine(lines: string[]): string | null {
  const own = (line: string) => line.startsWith('[mlx-manager]')
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? ''
    if (!own(line) && PYTHON_EXCEPTION.test(line)) return line
  }
  const flagged = lines.find((line) => !own(line) && ERROR_LEVEL.test(line))
  return flagged === undefined ? null : flagged.replace(/^.*\|\s*✦\s*/, '').trim()
}

export function describeExit(code: number | null, signal: string | null): string {
  if (signal !== null) return `was killed by ${signal}`
  if (code === null) return 'exited'
  return `exited with code ${code}`
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`
  return `${Math.round(ms / 6000) / 10} min`
}

/** A command line as a person would paste it, with long arguments shortened. */
export function displayCommand(argv: string[]): string {
  return argv
    .map((arg) => (arg.length > 160 ? `${arg.slice(0, 150)}…(${arg.length} chars)` : arg))
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`))
    .join(' ')
}
