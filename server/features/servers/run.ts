import type { EngineName } from '../../../shared/profiles'
import type { RankStatus, ServerFailure, ServerState } from '../../../shared/servers'
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

export interface Entry {
  profileId: number
  state: ServerState
  run: Run | null
  launching: Promise<void> | null
  startedAt: string | null
  readyAt: string | null
  stoppedAt: string | null
  exitCode: number | null
  signal: string | null
  failure: ServerFailure | null
  cpuPercent: number | null
  rssBytes: number | null
  lastCommand: string[] | null
  adopted: boolean
  restarts: number
  nextRestartAt: string | null
  /** Set by the serving pool while an idle stop is scheduled. */
  idleStopsAt: string | null
  restartTimer: ReturnType<typeof setTimeout> | null
  /** A distributed server's ranks; null for a single process. */
  ranks: RankStatus[] | null
}


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
    profileId,
    state: 'stopped',
    run: null,
    launching: null,
    startedAt: null,
    readyAt: null,
    stoppedAt: null,
    exitCode: null,
    signal: null,
    failure: null,
    cpuPercent: null,
    rssBytes: null,
    lastCommand: null,
    adopted: false,
    restarts: 0,
    nextRestartAt: null,
    idleStopsAt: null,
    restartTimer: null,
    ranks: null,
  }
}
