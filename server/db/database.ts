import { Database } from 'bun:sqlite'
import { chmodSync, existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { ensurePrivateDir, PRIVATE_FILE_MODE, touchPrivateFile } from '../private-files'
import { migrations } from './migrations'

/** Opens (creating if needed) the manager's SQLite file and brings its schema up to date. */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') {
    ensurePrivateDir(dirname(path))
    // SQLite gives its -wal and -shm files the database file's bits, so the file is made owner-only first.
    touchPrivateFile(path)
  }
  const db = new Database(path, { create: true, strict: true })
  db.exec('PRAGMA journal_mode = WAL')
  if (path !== ':memory:') {
    for (const companion of [`${path}-wal`, `${path}-shm`]) if (existsSync(companion)) chmodSync(companion, PRIVATE_FILE_MODE)
  }
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  migrate(db)
  return db
}

/** Applies each migration newer than `PRAGMA user_version`, each in its own transaction. */
export function migrate(db: Database): void {
  const row = db.query<{ user_version: number }, []>('PRAGMA user_version').get()
  const current = row?.user_version ?? 0
  if (current > migrations.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this manager knows (${migrations.length}). Update MLX Manager.`,
    )
  }
  migrations.slice(current).forEach((sql, index) => {
    db.transaction(() => {
      db.exec(sql)
      db.exec(`PRAGMA user_version = ${current + index + 1}`)
    })()
  })
}
