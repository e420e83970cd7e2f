import type { EngineName } from '../../../shared/profiles'
import type { RankStatus, ServerFailure, ServerStatus } from '../../../shared/servers'
import { reachableBaseUrl } from '../engines/readiness'

/** One process the supervisor is responsible for, from spawn (or adoption) to exit. */
export interface Run {
  pid: number
  engine: EngineName
  host: string
  port: number
  /** As shown: a chat template's text replaced by its file name. */
  command: string[]
  /** Indices of `command` whose real value was withheld (matched as anything when adopting). */
  hidden: number[]
  baseUrl: string
  profileUpdatedAt: string
  readiness: AbortController
  stopRequested: boolean
  /** A distributed server's rank has ended; its failure is being decided. */
  rankEnding: boolean
  /** Set when the manager ends it for a reason that is a failure (readiness timeout). */
  failure: Omit<ServerFailure, 'logTail'> | null
  stopping: Promise<void> | null
  /** Resolves once the exit has been handled and the state published. */
  done: Promise<void>
  /** Resolves when the start is decided: ready, failed or stopped. */
  settled: Promise<void>
  settle: () => void
  cancelWatch: () => void
}

/** What the supervisor keeps of one profile's server: what `GET /api/servers` shows, and its run. */
export interface Entry
  extends Pick<ServerStatus, 'profileId' | 'state' | 'startedAt' | 'readyAt' | 'stoppedAt' | 'exitCode' | 'signal' | 'failure' | 'cpuPercent' | 'rssBytes' | 'restarts' | 'nextRestartAt' | 'idleStopsAt'> {
  run: Run | null
  launching: Promise<void> | null
  lastCommand: string[] | null
  adopted: boolean
  restartTimer: ReturnType<typeof setTimeout> | null
  /** A distributed server's ranks; null for a single process. */
  ranks: RankStatus[] | null
}

/** What a new run starts from: nothing measured, nothing failed, no exit yet. */
export const FRESH_RUN = {
  readyAt: null,
  stoppedAt: null,
  exitCode: null,
  signal: null,
  failure: null,
  cpuPercent: null,
  rssBytes: null,
  adopted: false,
  nextRestartAt: null,
} as const satisfies Partial<Entry>

export function newRun(
  pid: number,
  engine: EngineName,
  host: string,
  port: number,
  command: string[],
  profileUpdatedAt: string,
  cancelWatch: () => void,
  hidden: number[] = [],
): Run {
  let settle = () => undefined as void
  const settled = new Promise<void>((resolve) => (settle = resolve))
  return {
    pid,
    engine,
    host,
    port,
    command,
    hidden,
    baseUrl: reachableBaseUrl(host, port),
    profileUpdatedAt,
    readiness: new AbortController(),
    stopRequested: false,
    rankEnding: false,
    failure: null,
    stopping: null,
    done: Promise.resolve(),
    settled,
    settle,
    cancelWatch,
  }
}

export function newEntry(profileId: number): Entry {
  return {
    ...FRESH_RUN,
    profileId,
    state: 'stopped',
    run: null,
    launching: null,
    startedAt: null,
    lastCommand: null,
    restarts: 0,
    idleStopsAt: null,
    restartTimer: null,
    ranks: null,
  }
}
