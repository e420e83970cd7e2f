import { describe, expect, it } from 'vitest'
import { useAuthStore } from '../../../web/src/features/auth/store'
import { useUsersStore } from '../../../web/src/features/users/store'
import { failure, fakeServer, json, makeUser } from '../helpers'

const admin = makeUser({ id: 1, email: 'admin@example.com', isAdmin: true, createdAt: '2026-01-01T00:00:00.000Z' })
const erin = makeUser({ id: 2, email: 'erin@example.com', createdAt: '2026-01-02T00:00:00.000Z' })
const bob = makeUser({ id: 3, email: 'bob@example.com', status: 'pending', createdAt: '2026-01-03T00:00:00.000Z' })

function manager() {
  return fakeServer({
    'GET /api/users': () => json([admin, erin, bob]),
    'PATCH /api/users/3': ({ body }) => json({ ...bob, ...(body as object) }),
    'PATCH /api/users/2': ({ body }) => json({ ...erin, ...(body as object) }),
    'POST /api/users/2/password': () => json(erin),
    'DELETE /api/users/3': () => new Response(null, { status: 204 }),
  })
}

describe('users store', () => {
  it('lists accounts waiting for approval first', async () => {
    manager()
    const store = useUsersStore()
    await store.load()
    expect(store.loaded).toBe(true)
    expect(store.users.map((user) => user.email)).toEqual(['bob@example.com', 'admin@example.com', 'erin@example.com'])
  })

  it('approves with PATCH status=approved and moves the account into place', async () => {
    const server = manager()
    const store = useUsersStore()
    await store.load()
    await store.approve(3)
    expect(server.callsTo('PATCH /api/users/3')).toEqual([
      { method: 'PATCH', path: '/api/users/3', body: { status: 'approved' } },
    ])
    expect(store.users.map((user) => [user.email, user.status])).toEqual([
      ['admin@example.com', 'approved'],
      ['erin@example.com', 'approved'],
      ['bob@example.com', 'approved'],
    ])
  })

  it('sends the right change for disable, enable and admin rights', async () => {
    const server = manager()
    const store = useUsersStore()
    await store.load()
    await store.disable(2)
    expect(store.users.find((user) => user.id === 2)?.status).toBe('disabled')
    await store.enable(2)
    await store.setAdmin(2, true)
    expect(store.users.find((user) => user.id === 2)?.isAdmin).toBe(true)
    await store.setAdmin(2, false)
    expect(server.callsTo('PATCH /api/users/2').map((call) => call.body)).toEqual([
      { status: 'disabled' },
      { status: 'approved' },
      { isAdmin: true },
      { isAdmin: false },
    ])
  })

  it('resets a password with POST /api/users/:id/password', async () => {
    const server = manager()
    const store = useUsersStore()
    await store.resetPassword(2, 'a new passphrase')
    expect(server.callsTo('POST /api/users/2/password')).toEqual([
      { method: 'POST', path: '/api/users/2/password', body: { password: 'a new passphrase' } },
    ])
  })

  it('deletes with DELETE and drops the account from the list', async () => {
    const server = manager()
    const store = useUsersStore()
    await store.load()
    await store.remove(3)
    expect(server.callsTo('DELETE /api/users/3')).toHaveLength(1)
    expect(store.users.map((user) => user.id)).toEqual([1, 2])
  })

  it('passes on refusals such as last-admin and keeps the list as it was', async () => {
    const server = manager()
    const message = 'This would leave no active administrator. Make another user an admin first.'
    server.on('PATCH /api/users/1', () => failure(409, 'last-admin', message))
    const store = useUsersStore()
    await store.load()
    await expect(store.setAdmin(1, false)).rejects.toMatchObject({ code: 'last-admin', message })
    expect(store.users.find((user) => user.id === 1)?.isAdmin).toBe(true)
  })

  it('shows why the list could not be loaded', async () => {
    const server = fakeServer()
    server.offline()
    const store = useUsersStore()
    await store.load()
    expect(store.loaded).toBe(false)
    expect(store.loadError).toBe('The manager cannot be reached. Check that it is running.')
  })

  it('sends the person back to sign in when the session is gone', async () => {
    const server = manager()
    server.on('POST /api/auth/login', () => json({ token: 't', user: admin }))
    const auth = useAuthStore()
    await auth.signIn(admin.email, 'password-admin')
    server.on('PATCH /api/users/3', () => failure(401, 'unauthorized', 'Your session has ended. Sign in again.'))
    server.on('GET /api/auth/me', () => failure(401, 'unauthorized', 'Your session has ended. Sign in again.'))
    await expect(useUsersStore().approve(3)).rejects.toMatchObject({ code: 'unauthorized' })
    expect(auth.user).toBeNull()
    expect(auth.notice).toBe('Your session has ended. Sign in again.')
  })

  it('takes the pending count from events and forgets admin state on reset', () => {
    const store = useUsersStore()
    store.setPendingCount(4)
    expect(store.pendingCount).toBe(4)
    store.reset()
    expect(store.pendingCount).toBe(0)
    expect(store.users).toEqual([])
  })
})
