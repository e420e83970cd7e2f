import type { ServerState, ServerStatus } from '../../../../shared/servers'

const LIFECYCLE_RANK: Record<ServerState, number> = { starting: 0, ready: 1, stopping: 2, stopped: 3, failed: 3 }

/**
 * Whether `incoming` is older news than `current`. A start call's answer ("starting") can arrive
 * after the event saying the same run is ready; applying it would wind the tile back.
 * A later run always wins; within one run, the lifecycle only moves forward.
 */
export function isStaleStatus(incoming: ServerStatus, current: ServerStatus | undefined): boolean {
  if (current === undefined || incoming.startedAt === null || current.startedAt === null) return false
  if (incoming.startedAt !== current.startedAt) return incoming.startedAt < current.startedAt
  return LIFECYCLE_RANK[incoming.state] < LIFECYCLE_RANK[current.state]
}
