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
}

export type ServerEventType = keyof ServerEventMap
export const SERVER_EVENT_TYPES: readonly ServerEventType[] = ['users.pending', 'session.user', 'system.memory']

export type ServerEvent = {
  [K in ServerEventType]: { type: K; data: ServerEventMap[K] }
}[ServerEventType]
