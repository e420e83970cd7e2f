import { db } from './database'

/**
 * The last list the manager sent for a screen (profiles, users, the library…), kept so the screen
 * can show it read-only while the manager cannot be reached. Stored in the `settings` table under
 * `snapshot.<name>`, so no schema change is needed for a new screen.
 */

const PREFIX = 'snapshot.'

export interface Snapshot<T> {
  value: T
  /** When the manager sent it. */
  savedAt: string
}

function isSnapshot(row: unknown): row is Snapshot<unknown> {
  return typeof row === 'object' && row !== null && 'value' in row && typeof (row as { savedAt?: unknown }).savedAt === 'string'
}

export async function saveSnapshot<T>(name: string, value: T, savedAt: string = new Date().toISOString()): Promise<void> {
  // Through JSON: Vue's reactive proxies cannot be cloned into IndexedDB.
  await db.settings.put({ key: PREFIX + name, value: { value: JSON.parse(JSON.stringify(value)) as T, savedAt } })
}

export async function readSnapshot<T>(name: string): Promise<Snapshot<T> | null> {
  const row = await db.settings.get(PREFIX + name)
  return isSnapshot(row?.value) ? (row.value as Snapshot<T>) : null
}

export async function forgetSnapshot(name: string): Promise<void> {
  await db.settings.delete(PREFIX + name)
}

/** On sign-out: the next person on this device must not see the last one's lists. */
export async function forgetAllSnapshots(): Promise<void> {
  await db.settings.where('key').startsWith(PREFIX).delete()
}
