import type { Database } from 'bun:sqlite'

/** When a model was last used by a server the manager ran: atimes alone are unreliable on noatime disks. */
export function createModelUsageRepository(db: Database) {
  const get = db.query<{ last_used_at: string }, [string]>('SELECT last_used_at FROM model_usage WHERE model_id = ?')
  return {
    lastUsedAt: (modelId: string): string | null => get.get(modelId)?.last_used_at ?? null,
    touch: (modelId: string, at: string) => {
      db.query(
        'INSERT INTO model_usage (model_id, last_used_at) VALUES (?, ?) ON CONFLICT(model_id) DO UPDATE SET last_used_at = excluded.last_used_at',
      ).run(modelId, at)
    },
    forget: (modelId: string) => {
      db.query('DELETE FROM model_usage WHERE model_id = ?').run(modelId)
    },
  }
}

export type ModelUsageRepository = ReturnType<typeof createModelUsageRepository>
