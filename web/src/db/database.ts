import Dexie, { type Table } from 'dexie'
import type { PublicUser } from '../../../shared/users'

/** One row per preference, e.g. `{ key: 'theme', value: 'dark' }`. */
export interface SettingRow {
  key: string
  value: unknown
}

/** The last signed-in user, so the shell can open offline with what this device knows. */
export interface SessionRow {
  key: string
  user: PublicUser
  savedAt: string
}

export const DATABASE_NAME = 'mlx-manager'

/**
 * The browser-side store. Schema rule: a released version is never edited. A new table or index is
 * a new `this.version(n + 1).stores({...})` (listing only what changes) with an `.upgrade()` step
 * when existing rows must be rewritten, so every device migrates from whatever it has.
 */
export class ManagerDatabase extends Dexie {
  settings!: Table<SettingRow, string>
  session!: Table<SessionRow, string>

  constructor(name = DATABASE_NAME) {
    super(name)
    this.version(1).stores({
      settings: 'key',
      session: 'key',
    })
  }
}

export const db = new ManagerDatabase()
