import { describe, expect, it } from 'vitest'
import { DATABASE_NAME, db, ManagerDatabase } from '../../../web/src/db/database'
import { clearCachedUser, readCachedUser, saveCachedUser } from '../../../web/src/features/auth/repository'
import { readThemePreference, saveThemePreference } from '../../../web/src/features/shell/repository'
import { makeUser } from '../helpers'

describe('the database', () => {
  it('is one versioned database with a settings and a session table keyed by key', async () => {
    await db.open()
    expect(db.name).toBe(DATABASE_NAME)
    expect(db.name).toBe('mlx-manager')
    expect(db.verno).toBe(1)
    expect(db.tables.map((table) => table.name).sort()).toEqual(['session', 'settings'])
    expect(db.table('settings').schema.primKey.keyPath).toBe('key')
    expect(db.table('session').schema.primKey.keyPath).toBe('key')
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
