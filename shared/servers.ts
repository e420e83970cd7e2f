import type { EngineName } from './profiles'

/** A server's life: starting → ready → stopping → stopped, or failed from any of the first three. */
export const SERVER_STATES = ['starting', 'ready', 'stopping', 'stopped', 'failed'] as const
export type ServerState = (typeof SERVER_STATES)[number]

/** Why a server failed, for the UI to pick an icon and a next step. */
export const FAILURE_REASONS = [
  /** The process exited (non-zero or by a signal) before it was ready. */
  'exited',
  /** It exited with code 0 before it was ready, but its log shows an error. */
  'error-in-log',
  /** It was ready and then died without being asked to stop. */
  'crashed',
  /** It did not pass its readiness check in time and was stopped. */
  'readiness-timeout',
  /** The program could not be started at all (missing, not executable, port taken). */
  'spawn-failed',
] as const
export type FailureReason = (typeof FAILURE_REASONS)[number]

export interface ServerFailure {
  reason: FailureReason
  /** A sentence for people: what happened and, when known, what to do. */
  message: string
  /** The last lines of the server's log when it failed. */
  logTail: string[]
}

/** What `GET /api/servers` lists (one per profile) and `servers.state` events carry. */
export interface ServerStatus {
  profileId: number
  name: string
  engine: EngineName
  state: ServerState
  pid: number | null
  host: string
  port: number
  /** The OpenAI base URL, e.g. http://127.0.0.1:8001/v1 */
  baseUrl: string
  startedAt: string | null
  readyAt: string | null
  stoppedAt: string | null
  exitCode: number | null
  signal: string | null
  failure: ServerFailure | null
  /** CPU use of the whole process tree, 100 = one core; null until the first sample. */
  cpuPercent: number | null
  /** Resident memory of the whole process tree in bytes; null until the first sample. */
  rssBytes: number | null
  /** The exact command line it was started with. */
  command: string[] | null
  /** True when a previous manager started it and this one took it over. */
  adopted: boolean
  /** Automatic restarts after crashes in a row; 0 after a manual start. */
  restarts: number
  /** When the next automatic restart after a crash happens, if one is scheduled. */
  nextRestartAt: string | null
  /** When the serving pool stops this idle server (its profile's idle timeout); null when it will not. */
  idleStopsAt: string | null
  /** The profile changed since this server started; a restart applies the changes. */
  needsRestart: boolean
  /** A distributed profile's ranks (mlx.launch); absent or null for a single process. */
  ranks?: RankStatus[] | null
}

/** starting: launched, nothing heard yet; running: it writes to the log; ready: the server answers; exited: it ended. */
export const RANK_STATES = ['starting', 'running', 'ready', 'exited', 'stopped'] as const
export type RankState = (typeof RANK_STATES)[number]

/** One rank of a distributed server. Its log lines carry a `[rank N] ` prefix in the server's log. */
export interface RankStatus {
  rank: number
  hostId: number
  hostName: string
  address: string
  state: RankState
  /** How it ended, as mlx.launch reported it (negative: killed by that signal). */
  exitCode: number | null
}

export interface ServerStatsSample {
  profileId: number
  cpuPercent: number
  rssBytes: number
}

/** One `servers.stats` event per sampling tick, covering every running server. */
export interface ServerStatsEvent {
  at: string
  servers: ServerStatsSample[]
}

/** Events on `GET /api/servers/:profileId/logs`. */
export interface ServerLogEvents {
  /** First event: the last lines already in the log. */
  tail: { lines: string[] }
  /** Then each batch of new output as it is written. */
  lines: { lines: string[] }
}

export const LOG_TAIL_DEFAULT_LINES = 200
export const LOG_TAIL_MAX_LINES = 2000
