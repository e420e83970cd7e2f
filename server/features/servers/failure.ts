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

const SPAWN_ERRORS: Record<string, string> = {
  ENOENT: 'no such file (the program, or the interpreter its first line names, is missing)',
  EACCES: 'permission denied (it must be an executable file)',
  ENOEXEC: 'it is not a program this system can run',
  E2BIG: 'its command line is too long for the operating system (a chat template passed as text counts in full)',
  ERR_INVALID_ARG_VALUE: 'one of its arguments is not valid',
}

/**
 * Why a program could not be started, from the error's code alone: some spawn errors quote the
 * offending argument, which can be a whole chat template.
 */
export function spawnFailureReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : null
  if (code === null) return 'the operating system refused to start it'
  return SPAWN_ERRORS[code] ?? (/^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? `the operating system refused to start it (${code})` : 'the operating system refused to start it')
}
