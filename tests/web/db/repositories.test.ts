import Dexie from 'dexie'
import { describe, expect, it } from 'vitest'
import { DATABASE_NAME, db, ManagerDatabase } from '../../../web/src/db/database'
import { clearCachedUser, readCachedUser, saveCachedUser } from '../../../web/src/features/auth/repository'
import { readThemePreference, saveThemePreference } from '../../../web/src/features/shell/repository'
import { makeUser } from '../helpers'

describe('the database', () => {
  it('is one database whose first version holds settings and session, keyed by key', async () => {
    await db.open()
    expect(db.name).toBe(DATABASE_NAME)
    expect(DATABASE_NAME).toBe('mlx-manager')
    expect(db.verno).toBeGreaterThanOrEqual(1)
    expect(db.table('settings').schema.primKey.keyPath).toBe('key')
    expect(db.table('session').schema.primKey.keyPath).toBe('key')
  })

  it('opens a database a device made with version 1 and keeps its rows', async () => {
    const name = `upgrade-${Date.now()}`
    const old = new Dexie(name)
    old.version(1).stores({ settings: 'key', session: 'key' })
    const ann = makeUser({ email: 'ann@example.com' })
    await old.table('settings').put({ key: 'theme', value: 'dark' })
    await old.table('session').put({ key: 'current', user: ann, savedAt: '2026-01-01T00:00:00.000Z' })
    old.close()

    const current = new ManagerDatabase(name)
    await current.open()
    expect(current.verno).toBe(db.verno)
    expect(await current.settings.get('theme')).toEqual({ key: 'theme', value: 'dark' })
    expect((await current.session.get('current'))?.user).toEqual(ann)
    current.close()
  })

  it('keeps what it stored when opened again', async () => {
    const name = `reopen-${Date.now()}`
    const first = new ManagerDatabase(name)
    await first.settings.put({ key: 'theme', value: 'dark' })
    first.close()
    const second = new ManagerDatabase(name)
    expect(await second.settings.get('theme')).toEqual({ key: 'theme', value: 'dark' })
    second.close()
  })
})

describe('theme preference repository', () => {
  it('defaults to following the system', async () => {
    expect(await readThemePreference()).toBe('system')
  })

  it('stores the choice in the settings table', async () => {
    await saveThemePreference('dark')
    expect(await readThemePreference()).toBe('dark')
    expect(await db.settings.get('theme')).toEqual({ key: 'theme', value: 'dark' })
    await saveThemePreference('light')
    expect(await readThemePreference()).toBe('light')
  })

  it('ignores a stored value it does not know', async () => {
    await db.settings.put({ key: 'theme', value: 'sepia' })
    expect(await readThemePreference()).toBe('system')
  })
})

describe('session cache repository', () => {
  it('remembers the last signed-in user and forgets it on request', async () => {
    expect(await readCachedUser()).toBeNull()
    const ann = makeUser({ email: 'ann@example.com', isAdmin: true })
    await saveCachedUser(ann, new Date('2026-02-03T04:05:06.000Z'))
    expect(await readCachedUser()).toEqual(ann)
    expect(await db.session.toArray()).toEqual([{ key: 'current', user: ann, savedAt: '2026-02-03T04:05:06.000Z' }])

    const bob = makeUser({ email: 'bob@example.com' })
    await saveCachedUser(bob)
    expect(await readCachedUser()).toEqual(bob)
    expect(await db.session.count()).toBe(1)

    await clearCachedUser()
    expect(await readCachedUser()).toBeNull()
  })
})
