import type { Database } from 'bun:sqlite'
import type { SystemMemory } from '../../../shared/events'
import type { ServerStatus } from '../../../shared/servers'
import type { Gauges } from './prometheus'

/** What `/metrics` reads at scrape time: a few numbers kept in memory and a count of a small table. */
export function metricsGauges(deps: { db: Database; servers: () => ServerStatus[]; memory: () => SystemMemory }): () => Gauges {
  const downloads = deps.db.query<{ status: string; count: number }, []>(
    "SELECT status, COUNT(*) AS count FROM downloads WHERE status IN ('queued', 'downloading', 'paused') GROUP BY status",
  )
  return () => ({
    servers: deps.servers().map((server) => ({ profileId: server.profileId, state: server.state, rssBytes: server.rssBytes, cpuPercent: server.cpuPercent })),
    systemMemory: deps.memory(),
    downloads: downloads.all(),
  })
}
