import type { ServerFailure, ServerState } from '../../../shared/servers'
import { describeExit, findErrorLine } from './failure'
import type { ExitInfo } from './process-host'

/** What an exit means: asked for, ended by the manager for a failure, failed during startup, or a crash of a ready server. */
export type ExitKind = 'stopped' | 'ended-as-failed' | 'failed-starting' | 'error-in-log' | 'crashed'

export interface ExitFacts {
  /** The profile's name, as people read it in the message. */
  name: string
  /** The state the server was in when it exited. */
  previous: ServerState
  stopRequested: boolean
  /** The failure the manager recorded before ending it (readiness timeout, error in the log). */
  failure: Omit<ServerFailure, 'logTail'> | null
  exit: ExitInfo
  logTail: string[]
}

export interface ExitOutcome {
  kind: ExitKind
  state: 'stopped' | 'failed'
  failure: ServerFailure | null
}

export function classifyExit({ name, previous, stopRequested, failure, exit, logTail }: ExitFacts): ExitOutcome {
  if (failure !== null) return { kind: 'ended-as-failed', state: 'failed', failure: { ...failure, logTail } }
  if (stopRequested) return { kind: 'stopped', state: 'stopped', failure: null }
  const errorLine = findErrorLine(logTail)
  const because = errorLine === null ? '.' : `: ${errorLine}`
  const how = describeExit(exit.code, exit.signal)
  if (previous === 'starting' && exit.code === 0 && errorLine !== null) {
    return {
      kind: 'error-in-log',
      state: 'failed',
      failure: { reason: 'error-in-log', message: `"${name}" exited during startup with an error in its log: ${errorLine}`, logTail },
    }
  }
  if (previous === 'starting') {
    return { kind: 'failed-starting', state: 'failed', failure: { reason: 'exited', message: `"${name}" ${how} before it was ready${because}`, logTail } }
  }
  return { kind: 'crashed', state: 'failed', failure: { reason: 'crashed', message: `"${name}" stopped unexpectedly: it ${how}${because}`, logTail } }
}
