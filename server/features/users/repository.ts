import type { Database } from 'bun:sqlite'
import type { PublicUser, UserStatus } from '../../../shared/users'

interface UserRow {
  id: number
  email: string
  password_hash: string
  is_admin: number
  status: UserStatus
  created_at: string
}

export interface StoredUser extends PublicUser {
  passwordHash: string
}

function toUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    email: row.email,
    isAdmin: row.is_admin === 1,
    status: row.status,
    createdAt: row.created_at,
    passwordHash: row.password_hash,
  }
}

export function toPublicUser({ passwordHash: _hash, ...user }: StoredUser): PublicUser {
  return user
}

/** SQLite access for accounts; the only place that knows the users table. */
export function createUserRepository(db: Database) {
  const byId = db.query<UserRow, [number]>('SELECT * FROM users WHERE id = ?')
  const byEmail = db.query<UserRow, [string]>('SELECT * FROM users WHERE email = ?')
  // Pending first (they need attention), then oldest first so the list reads as a history.
  const all = db.query<UserRow, []>(
    "SELECT * FROM users ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, created_at, id",
  )
  const insert = db.query<UserRow, [string, string, number, UserStatus, string]>(
    'INSERT INTO users (email, password_hash, is_admin, status, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
  )
  // Every API key request reads its owner: answered from memory until this repository writes the
  // table (it is the only writer), so a gateway request costs no query for it.
  const known = new Map<number, StoredUser | null>()
  const forget = () => known.clear()
  return {
    count: () => db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM users').get()?.n ?? 0,
    countPending: () => db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM users WHERE status = 'pending'").get()?.n ?? 0,
    countActiveAdmins: () =>
      db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM users WHERE is_admin = 1 AND status = 'approved'").get()?.n ?? 0,
    findById: (id: number): StoredUser | null => {
      const remembered = known.get(id)
      if (remembered !== undefined) return remembered
      const row = byId.get(id)
      const user = row === null ? null : Object.freeze(toUser(row))
      known.set(id, user)
      return user
    },
    findByEmail: (email: string) => {
      const row = byEmail.get(email)
      return row === null ? null : toUser(row)
    },
    list: () => all.all().map(toUser),
    insert: (user: { email: string; passwordHash: string; isAdmin: boolean; status: UserStatus; createdAt: string }) => {
      forget()
      const row = insert.get(user.email, user.passwordHash, user.isAdmin ? 1 : 0, user.status, user.createdAt)
      if (row === null) throw new Error('Inserting a user returned no row.')
      return toUser(row)
    },
    update: (id: number, patch: { status?: UserStatus; isAdmin?: boolean }) => {
      forget()
      if (patch.status !== undefined) db.query('UPDATE users SET status = ? WHERE id = ?').run(patch.status, id)
      if (patch.isAdmin !== undefined) db.query('UPDATE users SET is_admin = ? WHERE id = ?').run(patch.isAdmin ? 1 : 0, id)
    },
    setPasswordHash: (id: number, hash: string) => {
      forget()
      db.query('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id)
    },
    remove: (id: number) => {
      forget()
      db.query('DELETE FROM users WHERE id = ?').run(id)
    },
    /** Runs `fn` holding SQLite's write lock, so checks like "is there another admin?" cannot race. */
    // What was read inside may have been rolled back, so the memory starts again after it.
    exclusive: <T>(fn: () => T): T => {
      try {
        return db.transaction(fn).immediate()
      } finally {
        forget()
      }
    },
  }
}

export type UserRepository = ReturnType<typeof createUserRepository>
