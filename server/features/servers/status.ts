import type { Profile } from '../../../shared/profiles'
import type { ServerStatus } from '../../../shared/servers'
import { reachableBaseUrl } from '../engines/readiness'
import type { Entry } from './run'

/** A profile's server as the API and `servers.state` show it: the running process's values win over the profile's. */
export function buildStatus(entry: Entry, profile: Profile): ServerStatus {
  const run = entry.run
  const host = run?.host ?? profile.host
  const port = run?.port ?? profile.port
  return {
    profileId: profile.id,
    name: profile.name,
    engine: run?.engine ?? profile.engine,
    state: entry.state,
    pid: run?.pid ?? null,
    host,
    port,
    baseUrl: `${reachableBaseUrl(host, port)}/v1`,
    startedAt: entry.startedAt,
    readyAt: entry.readyAt,
    stoppedAt: entry.stoppedAt,
    exitCode: entry.exitCode,
    signal: entry.signal,
    failure: entry.failure,
    cpuPercent: entry.cpuPercent,
    rssBytes: entry.rssBytes,
    command: run?.command ?? entry.lastCommand,
    adopted: entry.adopted,
    restarts: entry.restarts,
    nextRestartAt: entry.nextRestartAt,
    idleStopsAt: entry.state === 'ready' ? entry.idleStopsAt : null,
    needsRestart: run !== null && run.profileUpdatedAt !== profile.updatedAt,
    ...(entry.ranks === null ? {} : { ranks: entry.ranks }),
  }
}
