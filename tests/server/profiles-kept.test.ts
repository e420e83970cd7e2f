import { describe, expect, test } from 'bun:test'
import { PROFILE_DEFAULTS, type ProfileFields } from '../../shared/profiles'
import { openDatabase } from '../../server/db/database'
import { createProfileRepository } from '../../server/features/profiles/repository'

const NOW = '2030-01-01T00:00:00.000Z'
const fields = (name: string, extra: Partial<ProfileFields> = {}): ProfileFields => ({ ...PROFILE_DEFAULTS, aliases: [], extraArgs: [], name, model: `org/${name}`, port: 8000, ...extra })

// The repository keeps the profiles it read until the next write; these are the ways that could go stale.
describe('profiles kept in memory between writes', () => {
  test('a write is seen by the next read: insert, update, remove', () => {
    const profiles = createProfileRepository(openDatabase(':memory:'))
    const first = profiles.insert(fields('first'), NOW)
    expect(profiles.list().map((p) => p.name)).toEqual(['first'])
    profiles.update(first.id, fields('renamed', { aliases: ['short'] }), NOW)
    expect(profiles.find(first.id)).toMatchObject({ name: 'renamed', aliases: ['short'] })
    profiles.insert(fields('second'), NOW)
    expect(profiles.list().map((p) => p.name)).toEqual(['renamed', 'second'])
    profiles.remove(first.id)
    expect(profiles.find(first.id)).toBeNull()
    expect(profiles.list().map((p) => p.name)).toEqual(['second'])
  })

  test('a write rolled back inside exclusive() is not seen afterwards', () => {
    const profiles = createProfileRepository(openDatabase(':memory:'))
    const kept = profiles.insert(fields('kept'), NOW)
    expect(() =>
      profiles.exclusive(() => {
        profiles.update(kept.id, fields('changed'), NOW)
        // Read inside the transaction, so the kept list holds the write about to be undone.
        expect(profiles.find(kept.id)?.name).toBe('changed')
        throw new Error('refused')
      }),
    ).toThrow('refused')
    expect(profiles.find(kept.id)?.name).toBe('kept')
    expect(profiles.list().map((p) => p.name)).toEqual(['kept'])
  })

  test('no caller can change a kept profile for the others', () => {
    const profiles = createProfileRepository(openDatabase(':memory:'))
    const { id } = profiles.insert(fields('one', { aliases: ['a'] }), NOW)
    const read = profiles.find(id)!
    expect(() => Object.assign(read, { name: 'two' })).toThrow()
    expect(() => read.aliases.push('b')).toThrow()
    const list = profiles.list()
    list.pop()
    expect(profiles.list()).toHaveLength(1)
    expect(profiles.find(id)).toMatchObject({ name: 'one', aliases: ['a'] })
  })
})
