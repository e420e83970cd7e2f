import type { PublicUser } from '../../../../shared/users'
import { db } from '../../db/database'

/** The session table holds a single row: whoever signed in last on this device. */
const CURRENT = 'current'

export async function readCachedUser(): Promise<PublicUser | null> {
  try {
    return (await db.session.get(CURRENT))?.user ?? null
  } catch {
    return null
  }
}

export async function saveCachedUser(user: PublicUser, now: Date = new Date()): Promise<void> {
  await db.session.put({ key: CURRENT, user, savedAt: now.toISOString() })
}

export async function clearCachedUser(): Promise<void> {
  await db.session.delete(CURRENT)
}
