import { describe, expect, test } from 'bun:test'
import { ADMIN, createTestApp } from './helpers'
import type { PublicUser } from '../../shared/users'

describe('admin guard', () => {
  test('every users endpoint needs a signed-in admin', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const userToken = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    const calls: [string, string, unknown][] = [
      ['GET', '/api/users', undefined],
      ['PATCH', '/api/users/1', { status: 'disabled' }],
      ['POST', '/api/users/1/password', { password: 'new-password-1' }],
      ['DELETE', '/api/users/1', undefined],
    ]
    for (const [method, path, body] of calls) {
      const anonymous = await app.json(method, path, { body })
      expect(anonymous.status).toBe(401)
      const nonAdmin = await app.json(method, path, { body, token: userToken })
      expect(nonAdmin.status).toBe(403)
      expect(nonAdmin.body).toMatchObject({ error: { code: 'admin-only' } })
    }
    // Nothing changed for the admin the non-admin tried to touch.
    const admin = await app.json<PublicUser>('GET', '/api/auth/me', { token: adminToken })
    expect(admin.body).toMatchObject({ status: 'approved', isAdmin: true })
  })
})

describe('managing users', () => {
  test('the list shows pending users first', async () => {
    const app = createTestApp()
    const { adminToken } = await app.withAdminAndPending()
    await app.signUp({ email: 'zed@example.com', password: 'zed-password' })
    const list = await app.json<PublicUser[]>('GET', '/api/users', { token: adminToken })
    expect(list.body.map((u) => [u.email, u.status])).toEqual([
      ['pat@example.com', 'pending'],
      ['zed@example.com', 'pending'],
      [ADMIN.email, 'approved'],
    ])
    expect(list.body.every((u) => !('passwordHash' in u))).toBe(true)
  })

  test('approve, disable, enable and make admin', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    const path = `/api/users/${pending.id}`
    expect((await app.json<PublicUser>('PATCH', path, { token: adminToken, body: { status: 'approved' } })).body.status).toBe('approved')
    expect((await app.json<PublicUser>('PATCH', path, { token: adminToken, body: { status: 'disabled' } })).body.status).toBe('disabled')
    expect((await app.json<PublicUser>('PATCH', path, { token: adminToken, body: { status: 'approved' } })).body.status).toBe('approved')
    const promoted = await app.json<PublicUser>('PATCH', path, { token: adminToken, body: { isAdmin: true } })
    expect(promoted.body).toMatchObject({ isAdmin: true, status: 'approved' })
    const token = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    expect((await app.call('GET', '/api/users', { token })).status).toBe(200)
  })

  test('no action leaves zero active admins', async () => {
    const app = createTestApp()
    const { adminToken, admin, pending } = await app.withAdminAndPending()
    const self = `/api/users/${admin.id}`
    for (const [method, body] of [
      ['PATCH', { isAdmin: false }],
      ['PATCH', { status: 'disabled' }],
      ['PATCH', { status: 'pending' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await app.json(method, self, { token: adminToken, body })
      expect(response.status).toBe(409)
      expect(response.body).toMatchObject({ error: { code: 'last-admin' } })
    }
    // A pending admin is not an active one: promoting a pending user does not free the last admin.
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { isAdmin: true } })
    expect((await app.json('PATCH', self, { token: adminToken, body: { isAdmin: false } })).status).toBe(409)
    // Once a second admin is approved, the first may step down.
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    expect((await app.json('PATCH', self, { token: adminToken, body: { isAdmin: false } })).status).toBe(200)
    const me = await app.json('GET', '/api/users', { token: adminToken })
    expect(me.status).toBe(403)
  })

  test('resetting a password signs the user out everywhere and the new one works', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const oldToken = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    const reset = await app.json('POST', `/api/users/${pending.id}/password`, { token: adminToken, body: { password: 'a-new-password' } })
    expect(reset.status).toBe(200)
    expect((await app.call('GET', '/api/auth/me', { token: oldToken })).status).toBe(401)
    expect((await app.call('POST', '/api/auth/login', { body: { email: 'pat@example.com', password: 'pending-password' } })).status).toBe(401)
    await app.signIn({ email: 'pat@example.com', password: 'a-new-password' })
  })

  test('a reset password must also be at least 8 characters', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    const response = await app.json('POST', `/api/users/${pending.id}/password`, { token: adminToken, body: { password: 'short' } })
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ error: { code: 'invalid-password' } })
  })

  test('deleting removes the account; unknown and malformed ids are clear errors', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    expect((await app.call('DELETE', `/api/users/${pending.id}`, { token: adminToken })).status).toBe(204)
    const again = await app.json('DELETE', `/api/users/${pending.id}`, { token: adminToken })
    expect(again.status).toBe(404)
    expect(again.body).toMatchObject({ error: { code: 'user-not-found' } })
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const response = await app.json('PATCH', `/api/users/${id}`, { token: adminToken, body: { status: 'approved' } })
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: { code: 'invalid-input' } })
    }
  })

  test('a patch must name a known status or a boolean, and something to change', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    for (const body of [{}, { status: 'root' }, { isAdmin: 'yes' }, { status: null }, []]) {
      const response = await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body })
      expect(response.status).toBe(400)
      expect(response.body).toMatchObject({ error: { code: 'invalid-input' } })
    }
  })
})
