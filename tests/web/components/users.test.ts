import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { PublicUser } from '../../../shared/users'
import { useAuthStore } from '../../../web/src/features/auth/store'
import { useUsersStore } from '../../../web/src/features/users/store'
import UsersView from '../../../web/src/features/users/UsersView.vue'
import { failure, fakeServer, json, makeUser } from '../helpers'
import { byTestId, click, mountInApp, requireTestId, type } from './mount'

const me = makeUser({ id: 1, email: 'admin@example.com', isAdmin: true, createdAt: '2026-01-01T00:00:00.000Z' })
const erin = makeUser({ id: 2, email: 'erin@example.com', createdAt: '2026-01-02T00:00:00.000Z' })
const dave = makeUser({ id: 3, email: 'dave@example.com', status: 'disabled', createdAt: '2026-01-03T00:00:00.000Z' })
const bob = makeUser({ id: 4, email: 'bob@example.com', status: 'pending', createdAt: '2026-01-04T00:00:00.000Z' })

async function openUsers(extra: Record<string, (call: { body: unknown }) => Response> = {}) {
  const server = fakeServer({
    // The manager answers oldest first here, to show the screen puts pending accounts on top itself.
    'GET /api/users': () => json([me, erin, dave, bob]),
    'PATCH /api/users/4': ({ body }) => json({ ...bob, ...(body as Partial<PublicUser>) }),
    'PATCH /api/users/2': ({ body }) => json({ ...erin, ...(body as Partial<PublicUser>) }),
    'POST /api/users/2/password': () => json(erin),
    'DELETE /api/users/3': () => new Response(null, { status: 204 }),
    ...extra,
  })
  useAuthStore().user = me
  mountInApp(UsersView)
  await flushPromises()
  return server
}

function rows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="user-row"]')]
}

function row(email: string): HTMLElement {
  const found = rows().find((element) => element.dataset.email === email)
  if (found === undefined) throw new Error(`No row for ${email}.`)
  return found
}

/** The open confirmation; a closed Naive UI modal may linger hidden while it animates out. */
function dialog(): HTMLElement | null {
  const element = byTestId('confirm-dialog')
  return element !== null && element.style.display !== 'none' ? element : null
}

describe('users screen', () => {
  it('lists pending accounts first, each with its status', async () => {
    await openUsers()
    expect(rows().map((element) => element.dataset.email)).toEqual([
      'bob@example.com',
      'admin@example.com',
      'erin@example.com',
      'dave@example.com',
    ])
    expect(byTestId('user-status', row('bob@example.com'))?.textContent).toBe('Waiting for approval')
    expect(byTestId('user-status', row('dave@example.com'))?.textContent).toBe('Disabled')
    expect(byTestId('user-admin', row('admin@example.com'))).not.toBeNull()
    expect(byTestId('users-summary')?.textContent).toBe('4 accounts · 1 waiting for approval')
  })

  it('offers the actions that fit each account', async () => {
    await openUsers()
    const actions = (email: string) =>
      [...row(email).querySelectorAll<HTMLElement>('button')].map((button) => button.dataset.testid)
    expect(actions('bob@example.com')).toEqual(['user-approve', 'user-delete'])
    expect(actions('erin@example.com')).toEqual(['user-make-admin', 'user-reset-password', 'user-disable', 'user-delete'])
    // The only administrator is offered nothing the manager would refuse, and told why.
    expect(actions('admin@example.com')).toEqual(['user-reset-password'])
    expect(byTestId('user-last-admin', row('admin@example.com'))?.textContent).toContain('The only administrator')
    expect(byTestId('user-last-admin', row('erin@example.com'))).toBeNull()
    expect(actions('dave@example.com')).toEqual(['user-enable', 'user-reset-password', 'user-delete'])
  })

  it('asks before approving and does nothing when cancelled', async () => {
    const server = await openUsers()
    await click('user-approve', row('bob@example.com'))
    expect(dialog()?.textContent).toContain('bob@example.com will be able to sign in')
    expect(server.callsTo('PATCH /api/users/4')).toEqual([])

    await click('confirm-cancel')
    expect(dialog()).toBeNull()
    expect(server.callsTo('PATCH /api/users/4')).toEqual([])
  })

  it('approves after confirmation and moves the account into the list', async () => {
    const server = await openUsers()
    await click('user-approve', row('bob@example.com'))
    await click('confirm-ok')
    expect(server.callsTo('PATCH /api/users/4').map((call) => call.body)).toEqual([{ status: 'approved' }])
    expect(dialog()).toBeNull()
    expect(row('bob@example.com').dataset.status).toBe('approved')
    expect(rows().at(-1)?.dataset.email).toBe('bob@example.com')
  })

  it('keeps the dialog open with the reason when the manager refuses (the other admin was demoted meanwhile)', async () => {
    const message = 'This would leave no active administrator. Make another user an admin first.'
    const server = await openUsers({
      'GET /api/users': () => json([me, { ...erin, isAdmin: true }]),
      'PATCH /api/users/1': () => failure(409, 'last-admin', message),
    })
    expect(byTestId('user-last-admin')).toBeNull()
    await click('user-remove-admin', row('admin@example.com'))
    expect(dialog()?.textContent).toContain('This is your own account')
    await click('confirm-ok')
    expect(server.callsTo('PATCH /api/users/1').map((call) => call.body)).toEqual([{ isAdmin: false }])
    expect(byTestId('confirm-error')?.textContent?.trim()).toBe(message)
    expect(dialog()).not.toBeNull()
    expect(byTestId('user-admin', row('admin@example.com'))).not.toBeNull()
  })

  it('checks a new password before setting it', async () => {
    const server = await openUsers()
    await click('user-reset-password', row('erin@example.com'))
    await type('reset-password-input', 'short')
    await click('confirm-ok')
    expect(byTestId('reset-password-error')?.textContent).toBe('A password needs at least 8 characters.')
    expect(server.callsTo('POST /api/users/2/password')).toEqual([])

    await type('reset-password-input', 'a much better passphrase')
    await click('confirm-ok')
    expect(server.callsTo('POST /api/users/2/password').map((call) => call.body)).toEqual([
      { password: 'a much better passphrase' },
    ])
    expect(dialog()).toBeNull()
  })

  it('deletes only after confirmation', async () => {
    const server = await openUsers()
    await click('user-delete', row('dave@example.com'))
    expect(dialog()?.textContent).toContain('This cannot be undone')
    expect(server.callsTo('DELETE /api/users/3')).toEqual([])
    await click('confirm-ok')
    expect(server.callsTo('DELETE /api/users/3')).toHaveLength(1)
    expect(rows().map((element) => element.dataset.email)).not.toContain('dave@example.com')
  })

  it('shows new registrations when the pending count changes', async () => {
    const server = await openUsers()
    const carol = makeUser({ id: 5, email: 'carol@example.com', status: 'pending' })
    server.on('GET /api/users', () => json([me, erin, dave, bob, carol]))
    useUsersStore().setPendingCount(2)
    await flushPromises()
    expect(rows().map((element) => element.dataset.email).slice(0, 2)).toEqual(['bob@example.com', 'carol@example.com'])
  })

  it('says why the list could not be loaded', async () => {
    const server = fakeServer()
    server.offline()
    useAuthStore().user = me
    mountInApp(UsersView)
    await flushPromises()
    expect(requireTestId('users-error').textContent).toContain('The manager cannot be reached')
  })
})
