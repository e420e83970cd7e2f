import type { Database } from 'bun:sqlite'

/** Named values in the `settings` table of the manager's database (MLX_MANAGER_HOME, 0600). */
export function createSettingsRepository(db: Database) {
  const find = db.query<{ value: string }, [string]>('SELECT value FROM settings WHERE key = ?')
  const upsert = db.query('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
  const remove = db.query('DELETE FROM settings WHERE key = ?')
  return {
    get: (key: string): string | null => find.get(key)?.value ?? null,
    set: (key: string, value: string): void => {
      upsert.run(key, value)
    },
    remove: (key: string): void => {
      remove.run(key)
    },
  }
}

export type SettingsRepository = ReturnType<typeof createSettingsRepository>
