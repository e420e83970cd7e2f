import { describe, expect, test } from 'bun:test'
import { openDatabase } from '../../server/db/database'
import { createApiKeyRepository } from '../../server/features/keys/repository'
import { createUserRepository } from '../../server/features/users/repository'

// Accounts and keys are read from memory on every API key request; these check that memory never
// answers with something the table no longer holds.
function setUp() {
  const db = openDatabase(':memory:')
  const users = createUserRepository(db)
  const keys = createApiKeyRepository(db)
  const user = users.insert({ email: 'a@example.com', passwordHash: 'x', isAdmin: false, status: 'approved', createdAt: '2030-01-01T00:00:00.000Z' })
  const key = keys.insert({ userId: user.id, name: 'k', publicId: 'abcdef012345', secretHash: '00', profiles: null, dailyTokenLimit: null, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: null })
  return { db, users, keys, user, key }
}

describe('account and key lookups answered from memory', () => {
  test('an account read before a change is read again after it', () => {
    const { users, user } = setUp()
    expect(users.findById(user.id)?.status).toBe('approved')
    users.update(user.id, { status: 'disabled' })
    expect(users.findById(user.id)?.status).toBe('disabled')
    users.setPasswordHash(user.id, 'y')
    expect(users.findById(user.id)?.passwordHash).toBe('y')
    users.remove(user.id)
    expect(users.findById(user.id)).toBeNull()
  })

  test('a change rolled back inside a transaction is not remembered', () => {
    const { users, user } = setUp()
    expect(() =>
      users.exclusive(() => {
        users.update(user.id, { isAdmin: true })
        expect(users.findById(user.id)?.isAdmin).toBe(true)
        throw new Error('changed my mind')
      }),
    ).toThrow('changed my mind')
    expect(users.findById(user.id)?.isAdmin).toBe(false)
  })

  test('an account not found is found once it exists', () => {
    const { users } = setUp()
    expect(users.findById(2)).toBeNull()
    const second = users.insert({ email: 'b@example.com', passwordHash: 'x', isAdmin: false, status: 'pending', createdAt: '2030-01-01T00:00:00.000Z' })
    expect(second.id).toBe(2)
    expect(users.findById(2)?.email).toBe('b@example.com')
  })

  test('a revoked key is gone at once; a key created after a miss is found; its last use follows writes', () => {
    const { keys, key } = setUp()
    expect(keys.findByPublicId('abcdef012345')?.id).toBe(key.id)
    keys.touch(key.id, '2030-01-02T00:00:00.000Z')
    expect(keys.findByPublicId('abcdef012345')?.lastUsedAt).toBe('2030-01-02T00:00:00.000Z')
    keys.remove(key.id)
    expect(keys.findByPublicId('abcdef012345')).toBeNull()
    expect(keys.findByPublicId('0123456789ab')).toBeNull()
    keys.insert({ userId: key.userId, name: 'later', publicId: '0123456789ab', secretHash: '00', profiles: [1], dailyTokenLimit: null, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: null })
    expect(keys.findByPublicId('0123456789ab')?.name).toBe('later')
  })

  test('what memory answers cannot be changed by a caller', () => {
    const { users, keys, user } = setUp()
    expect(Object.isFrozen(users.findById(user.id))).toBe(true)
    expect(Object.isFrozen(keys.findByPublicId('abcdef012345'))).toBe(true)
  })
})
