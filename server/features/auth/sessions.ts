import type { Database } from 'bun:sqlite'

interface SessionRow {
  id: string
  user_id: number
  expires_at: string
}

/** Server-side session records: a token is only as good as the row it names, so logout and disable are immediate. */
export function createSessionRepository(db: Database) {
  const find = db.query<SessionRow, [string]>('SELECT id, user_id, expires_at FROM sessions WHERE id = ?')
  return {
    create: (session: { id: string; userId: number; createdAt: string; expiresAt: string }) => {
      db.query('INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(
        session.id,
        session.userId,
        session.createdAt,
        session.expiresAt,
      )
    },
    find: (id: string) => {
      const row = find.get(id)
      return row === null ? null : { id: row.id, userId: row.user_id, expiresAt: row.expires_at }
    },
    remove: (id: string) => {
      db.query('DELETE FROM sessions WHERE id = ?').run(id)
    },
    removeForUser: (userId: number) => {
      db.query('DELETE FROM sessions WHERE user_id = ?').run(userId)
    },
    /** Ends every session of the user but `keepId` (the one that changed the password); answers how many ended. */
    removeOthersOfUser: (userId: number, keepId: string): number => db.query('DELETE FROM sessions WHERE user_id = ? AND id != ?').run(userId, keepId).changes,
    removeExpired: (now: string) => {
      db.query('DELETE FROM sessions WHERE expires_at <= ?').run(now)
    },
  }
}

export type SessionRepository = ReturnType<typeof createSessionRepository>
