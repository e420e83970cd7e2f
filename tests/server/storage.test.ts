import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { join } from 'node:path'
import { migrate, openDatabase } from '../../server/db/database'
import { migrations } from '../../server/db/migrations'
import { loadOrCreateSecret } from '../../server/secret'
import { tempDir } from './helpers'

describe('database', () => {
  test('a new file gets every migration and records the version', () => {
    const path = join(tempDir(), 'nested', 'manager.db')
    const db = openDatabase(path)
    expect(db.query<{ user_version: number }, []>('PRAGMA user_version').get()?.user_version).toBe(migrations.length)
    const tables = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name)
    for (const table of ['users', 'sessions', 'settings']) expect(tables).toContain(table)
    db.close()
    // Opening again applies nothing twice.
    const again = openDatabase(path)
    expect(again.query<{ user_version: number }, []>('PRAGMA user_version').get()?.user_version).toBe(migrations.length)
    again.close()
  })

  test('a database from a newer manager is refused with advice', () => {
    const db = new Database(':memory:')
    db.exec(`PRAGMA user_version = ${migrations.length + 1}`)
    expect(() => migrate(db)).toThrow('Update MLX Manager')
  })

  test('the schema rejects an unknown status', () => {
    const db = openDatabase(':memory:')
    expect(() =>
      db.query("INSERT INTO users (email, password_hash, status, created_at) VALUES ('a', 'b', 'root', 'now')").run(),
    ).toThrow()
  })
})

describe('secret', () => {
  test('is created once with mode 0600 and reused', () => {
    const home = tempDir()
    const first = loadOrCreateSecret(home)
    expect(first.length).toBeGreaterThanOrEqual(32)
    expect(statSync(join(home, 'secret')).mode & 0o777).toBe(0o600)
    expect(loadOrCreateSecret(home)).toBe(first)
  })

  test('loose permissions are tightened; a truncated secret is refused', () => {
    const home = tempDir()
    loadOrCreateSecret(home)
    chmodSync(join(home, 'secret'), 0o644)
    loadOrCreateSecret(home)
    expect(statSync(join(home, 'secret')).mode & 0o777).toBe(0o600)
    writeFileSync(join(home, 'secret'), 'short')
    expect(() => loadOrCreateSecret(home)).toThrow('too short')
    expect(readFileSync(join(home, 'secret'), 'utf8')).toBe('short')
  })
})
