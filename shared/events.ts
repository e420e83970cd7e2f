import type { Download, DownloadProgress } from './downloads'
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
  /** The local model list changed (a download finished, a model was deleted): fetch `GET /api/models` again. */
  'models.changed': { modelId: string; reason: 'downloaded' | 'deleted' }
}

export type ServerEventType = keyof ServerEventMap
export const SERVER_EVENT_TYPES: readonly ServerEventType[] = ['users.pending', 'session.user', 'system.memory', 'downloads.progress', 'downloads.state', 'models.changed']

export type ServerEvent = {
  [K in ServerEventType]: { type: K; data: ServerEventMap[K] }
}[ServerEventType]
