/** Reading an engine's log: the level of each line, which lines a filter keeps, and where a search matches. */

export type LogLevel = 'debug' | 'info' | 'warning' | 'error'

export interface LogLine {
  /** Position in the buffer, a stable key while lines only get appended. */
  index: number
  text: string
  level: LogLevel | null
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 }

// Upper case only: engines print levels that way (Python logging, uvicorn, loguru), while lower-case
// "error" is as likely to be part of a sentence ("0 errors").
const LEVEL_WORD = /\b(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\b/
const TRACEBACK = /^(Traceback \(most recent call last\)|\w+(\.\w+)*(Error|Exception): )/

/** A line that continues the one above it: an indented traceback frame or a wrapped message. */
function continues(line: string): boolean {
  return /^\s+\S/.test(line)
}

/** The level a line names itself, or null when it names none. */
export function levelOf(line: string): LogLevel | null {
  const word = LEVEL_WORD.exec(line)?.[1]
  if (word === undefined) return TRACEBACK.test(line) ? 'error' : null
  if (word === 'DEBUG') return 'debug'
  if (word === 'INFO') return 'info'
  if (word === 'WARNING' || word === 'WARN') return 'warning'
  return 'error'
}

/** Levels for a run of lines; a traceback's indented frames count as the error they belong to. */
export function classify(lines: readonly string[]): LogLine[] {
  let previous: LogLevel | null = null
  return lines.map((text, index) => {
    const own = levelOf(text)
    const level = own ?? (continues(text) ? previous : null)
    previous = level
    return { index, text, level }
  })
}

export type LevelFilter = 'all' | LogLevel

/** Each choice keeps its level and the ones above it (debug and up is every levelled line, so "All" covers it). */
export const LEVEL_FILTERS: readonly { value: LevelFilter; label: string; title: string }[] = [
  { value: 'all', label: 'All', title: 'Every line' },
  { value: 'info', label: 'Info', title: 'Info, warnings and errors' },
  { value: 'warning', label: 'Warnings', title: 'Warnings and errors' },
  { value: 'error', label: 'Errors', title: 'Errors only' },
]

/** Lines at or above the chosen level (all lines for `all`) that contain the search, ignoring case. */
export function filterLines(lines: readonly LogLine[], level: LevelFilter, search: string): LogLine[] {
  const needle = search.trim().toLowerCase()
  return lines.filter((line) => {
    if (level !== 'all' && (line.level === null || RANK[line.level] < RANK[level])) return false
    return needle === '' || line.text.toLowerCase().includes(needle)
  })
}

export interface Segment {
  text: string
  match: boolean
}

/** A line cut into plain and matching pieces, so matches can be highlighted without any HTML. */
export function segments(text: string, search: string): Segment[] {
  const needle = search.trim().toLowerCase()
  if (needle === '') return [{ text, match: false }]
  const lower = text.toLowerCase()
  const parts: Segment[] = []
  let from = 0
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), match: false })
    parts.push({ text: text.slice(at, at + needle.length), match: true })
    from = at + needle.length
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false })
  return parts
}
