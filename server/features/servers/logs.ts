import { LOG_TAIL_MAX_LINES } from '../../../shared/servers'
import type { LogFiles } from './log-files'

type Listener = (lines: string[]) => void

const MAX_LINE = 4000
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

/** One line as a person reads it: colours removed, a carriage-return progress bar reduced to its last state. */
export function cleanLine(raw: string): string {
  const line = raw.replace(ANSI, '')
  const shown = line.includes('\r') ? (line.replace(/\r+$/, '').split('\r').pop() ?? '') : line
  return shown.length > MAX_LINE ? `${shown.slice(0, MAX_LINE)}…` : shown
}

/** The download's file name: the profile's name in safe characters (a header cannot carry quotes or newlines), then its id. */
export function logFileName(name: string, profileId: number): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 60)
  return `${safe === '' ? 'server' : safe}-${profileId}.log`
}

export function splitLines(text: string): string[] {
  return text.split('\n').map(cleanLine)
}

interface Follow {
  path: string
  offset: number
  partial: string
  stopWatching: () => void
  timer: ReturnType<typeof setInterval>
}

export interface ServerLogsOptions {
  /** Rotate a running server's log beyond this size. */
  maxBytes?: number
  /** A safety net for missed file-change notifications. */
  pollMs?: number
  /** Most bytes read per notification; an engine flooding its log loses the excess, not the manager. */
  readChunkBytes?: number
}

/**
 * Server logs: engines write straight into their file (so they survive the manager), and the
 * manager follows the file, keeps recent lines for failure reports and the live view, and rotates.
 */
export class ServerLogs {
  private readonly recent = new Map<number, string[]>()
  private readonly follows = new Map<number, Follow>()
  private readonly listeners = new Map<number, Set<Listener>>()
  private readonly maxBytes: number
  private readonly pollMs: number
  private readonly chunk: number

  constructor(
    private readonly files: LogFiles,
    options: ServerLogsOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024
    this.pollMs = options.pollMs ?? 1000
    this.chunk = options.readChunkBytes ?? 1024 * 1024
  }

  path(profileId: number): string {
    return this.files.path(profileId)
  }

  /** A fresh log for a new run; returns the descriptor the engine writes to (close it once spawned). */
  beginRun(profileId: number): number {
    this.stopFollowing(profileId)
    const fd = this.files.openForRun(profileId)
    this.recent.set(profileId, [])
    this.follow(profileId, 0)
    return fd
  }

  closeRunOutput(fd: number): void {
    this.files.close(fd)
  }

  /** Follows a log written by a server this manager did not start (adopted), from its current end. */
  resume(profileId: number): void {
    const path = this.files.path(profileId)
    this.recent.set(profileId, this.fileTail(path, LOG_TAIL_MAX_LINES))
    this.follow(profileId, this.files.size(path))
  }

  /** A line from the manager itself, in the same file, so the log tells the whole story. */
  note(profileId: number, text: string): void {
    this.files.append(this.files.path(profileId), `[mlx-manager] ${new Date().toISOString()} ${text}\n`)
    this.pump(profileId)
  }

  /** Reads what is left and stops following (the process has exited). */
  endRun(profileId: number): void {
    this.pump(profileId)
    const follow = this.follows.get(profileId)
    if (follow !== undefined && follow.partial !== '') this.emit(profileId, [cleanLine(follow.partial)])
    this.stopFollowing(profileId)
  }

  tail(profileId: number, count: number): string[] {
    const recent = this.recent.get(profileId)
    const lines = recent ?? this.fileTail(this.files.path(profileId), count)
    return lines.slice(-count)
  }

  /**
   * The current run's whole log file for downloading, colours removed (lines are not shortened as
   * they are for the live view). A run's file is rotated beyond `maxBytes`, so this stays bounded.
   */
  whole(profileId: number): string {
    const path = this.files.path(profileId)
    return this.files.read(path, 0, this.files.size(path)).toString('utf8').replace(ANSI, '')
  }

  /** Listens for new lines of one profile's log, across runs. */
  subscribe(profileId: number, listener: Listener): () => void {
    const set = this.listeners.get(profileId) ?? new Set()
    set.add(listener)
    this.listeners.set(profileId, set)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(profileId)
    }
  }

  forget(profileId: number): void {
    this.stopFollowing(profileId)
    this.recent.delete(profileId)
    this.files.remove(profileId)
  }

  stopAll(): void {
    for (const profileId of [...this.follows.keys()]) this.stopFollowing(profileId)
  }

  /** Reads new bytes now (called on file change, on a timer, and before a failure is reported). */
  pump(profileId: number): void {
    const follow = this.follows.get(profileId)
    if (follow === undefined) return
    const size = this.files.size(follow.path)
    if (size < follow.offset) follow.offset = 0 // truncated under us (rotated by hand)
    if (size === follow.offset) return
    let from = follow.offset
    const lines: string[] = []
    if (size - from > this.chunk) {
      lines.push(`[mlx-manager] … ${size - from - this.chunk} bytes of output skipped …`)
      from = size - this.chunk
      follow.partial = ''
    }
    const text = follow.partial + this.files.read(follow.path, from, size - from).toString('utf8')
    follow.offset = size
    const parts = splitLines(text)
    follow.partial = text.endsWith('\n') ? '' : (text.split('\n').pop() ?? '')
    parts.pop() // the unfinished last line (or the empty string after a final newline)
    lines.push(...parts)
    if (lines.length > 0) this.emit(profileId, lines)
    if (size > this.maxBytes) {
      this.files.copyTruncate(follow.path)
      follow.offset = 0
    }
  }

  private follow(profileId: number, offset: number): void {
    const path = this.files.path(profileId)
    const follow: Follow = {
      path,
      offset,
      partial: '',
      stopWatching: this.files.watch(path, () => this.pump(profileId)),
      timer: setInterval(() => this.pump(profileId), this.pollMs),
    }
    follow.timer.unref()
    this.follows.set(profileId, follow)
  }

  private stopFollowing(profileId: number): void {
    const follow = this.follows.get(profileId)
    if (follow === undefined) return
    follow.stopWatching()
    clearInterval(follow.timer)
    this.follows.delete(profileId)
  }

  private emit(profileId: number, lines: string[]): void {
    const recent = this.recent.get(profileId) ?? []
    recent.push(...lines)
    if (recent.length > LOG_TAIL_MAX_LINES) recent.splice(0, recent.length - LOG_TAIL_MAX_LINES)
    this.recent.set(profileId, recent)
    for (const listener of this.listeners.get(profileId) ?? []) listener(lines)
  }

  private fileTail(path: string, count: number): string[] {
    const size = this.files.size(path)
    const window = Math.min(size, 256 * 1024)
    const text = this.files.read(path, size - window, window).toString('utf8')
    const lines = splitLines(text)
    if (window < size) lines.shift() // probably cut mid-line
    if (lines[lines.length - 1] === '') lines.pop()
    return lines.slice(-count)
  }
}
