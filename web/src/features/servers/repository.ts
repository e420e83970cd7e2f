import type { ServerStatus } from '../../../../shared/servers'
import { db } from '../../db/database'

/**
 * The last server list this device saw, per user (a member sees only what is shared with them), so
 * the Servers screen opens offline with what it last showed, read-only and with its time. Kept in
 * the settings table: one small row, no table of its own.
 */
export interface ServersCopy {
  userId: number
  savedAt: string
  servers: ServerStatus[]
  /** Each profile's model, since the profiles are not there offline either. */
  models: Record<number, string>
}

const keyOf = (userId: number) => `servers.lastKnown.${userId}`

export async function saveServersCopy(copy: ServersCopy): Promise<void> {
  await db.settings.put({ key: keyOf(copy.userId), value: copy })
}

export async function readServersCopy(userId: number): Promise<ServersCopy | null> {
  try {
    const value = (await db.settings.get(keyOf(userId)))?.value as ServersCopy | undefined
    return value !== undefined && Array.isArray(value.servers) && typeof value.savedAt === 'string' ? value : null
  } catch {
    return null
  }
}
