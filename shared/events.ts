import type { BenchmarkRun } from './benchmarks'
import type { ServerChatMetrics } from './chat'
import type { Download, DownloadProgress } from './downloads'
import type { EngineInstallState } from './engines'
import type { Host } from './hosts'
import type { Peer } from './peers'
import type { Profile } from './profiles'
import type { ServerStatsEvent, ServerStatus } from './servers'
import type { UserStatus } from './users'

/** Every live update travels over one SSE stream (`GET /api/events`); `type` is the SSE event name. */
export interface SystemMemory {
  totalBytes: number
  usedBytes: number
}

export interface ServerEventMap {
  /** Admins only: how many accounts wait for approval. */
  'users.pending': { count: number }
  /** The signed-in user's own account changed (approved, disabled, made admin…). */
  'session.user': { status: UserStatus; isAdmin: boolean }
  'system.memory': SystemMemory
  /** A download's bytes, speed and ETA, at most a few times a second while it moves. */
  'downloads.progress': DownloadProgress
  /** A download was added or changed status (queued, downloading, paused, completed, failed, cancelled). */
  'downloads.state': Download
  /** Downloads cleared from the list (finished, failed or cancelled ones an admin dismissed). */
  'downloads.removed': { ids: number[] }
  /** The local model list changed (a download finished, a model was deleted): fetch `GET /api/models` again. */
  'models.changed': { modelId: string; reason: 'downloaded' | 'deleted' }
  /** A profile was created or edited. */
  'profiles.changed': Profile
  /** A profile was deleted. */
  'profiles.deleted': { id: number }
  /** A model server changed state (or its profile changed while it runs); carries its full status. */
  'servers.state': ServerStatus
  /** CPU and memory of every running server's process tree, every few seconds while any runs. */
  'servers.stats': ServerStatsEvent
  /** A chat reply finished (or failed) on a server: that server's updated chat figures. */
  'chat.metrics': ServerChatMetrics
  /** Admins only: an engine's install, update or removal moved on (with the installer's lines as they come). */
  'engines.install': EngineInstallState
  /** A benchmark started, finished a prompt size, or ended: the whole run as it stands. */
  'benchmarks.progress': BenchmarkRun
  /** Another manager this one follows was added or changed: its link's state and its profiles as they stand. */
  'peers.state': Peer
  /** A peer was removed (or, for a member, is no longer shared with them). */
  'peers.removed': { id: number }
  /** Admins only: a host was added or edited. */
  'hosts.changed': Host
  /** Admins only: a host was removed. */
  'hosts.removed': { id: number }
}

export type ServerEventType = keyof ServerEventMap
export const SERVER_EVENT_TYPES: readonly ServerEventType[] = ['users.pending', 'session.user', 'system.memory', 'downloads.progress', 'downloads.state', 'downloads.removed', 'models.changed', 'profiles.changed', 'profiles.deleted', 'servers.state', 'servers.stats', 'chat.metrics', 'engines.install', 'benchmarks.progress', 'peers.state', 'peers.removed', 'hosts.changed', 'hosts.removed']

export type ServerEvent = {
  [K in ServerEventType]: { type: K; data: ServerEventMap[K] }
}[ServerEventType]
