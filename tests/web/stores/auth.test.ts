import { describe, expect, it } from 'vitest'
import { ApiError } from '../../../web/src/api/client'
import { readCachedUser, saveCachedUser } from '../../../web/src/features/auth/repository'
import { SIGNED_OUT_BY_ADMIN, useAuthStore } from '../../../web/src/features/auth/store'
import { failure, fakeServer, json, makeUser } from '../helpers'

const PENDING = 'Your account is waiting for an administrator to approve it. Try again once they have.'
const DISABLED = 'This account has been disabled. Ask an administrator to enable it.'

describe('auth store: signing in', () => {
  it('signs in, remembers the user on this device and sends the email normalized', async () => {
    const ann = makeUser({ email: 'ann@example.com' })
    const server = fakeServer({ 'POST /api/auth/login': () => json({ token: 't', user: ann }) })
    const auth = useAuthStore()

    await expect(auth.signIn('  Ann@Example.COM ', 'correct horse')).resolves.toBe('signed-in')

    expect(server.calls[0]?.body).toEqual({ email: 'ann@example.com', password: 'correct horse' })
    expect(auth.user).toEqual(ann)
    expect(auth.isAdmin).toBe(false)
    expect(await readCachedUser()).toEqual(ann)
  })

  it('reports an account waiting for approval without signing in', async () => {
    fakeServer({ 'POST /api/auth/login': () => failure(403, 'account-pending', PENDING) })
    const auth = useAuthStore()
    await expect(auth.signIn('bob@example.com', 'password-bob')).resolves.toBe('pending')
    expect(auth.user).toBeNull()
    expect(await readCachedUser()).toBeNull()
  })

  it('passes on the server sentence for a disabled account', async () => {
    fakeServer({ 'POST /api/auth/login': () => failure(403, 'account-disabled', DISABLED) })
    const auth = useAuthStore()
    const error = await auth.signIn('dave@example.com', 'password-dave').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'account-disabled', message: DISABLED })
    expect(auth.user).toBeNull()
  })

  it('signs the first account in at once and leaves later ones waiting', async () => {
    const admin = makeUser({ email: 'admin@example.com', isAdmin: true })
    const server = fakeServer({ 'POST /api/auth/register': () => json(admin, 201) })
    const auth = useAuthStore()
    await expect(auth.register('admin@example.com', 'password-admin')).resolves.toBe('signed-in')
    expect(auth.user).toEqual(admin)
    expect(auth.isAdmin).toBe(true)

    await auth.signOut()
    server.on('POST /api/auth/register', () => json(makeUser({ email: 'bob@example.com', status: 'pending' }), 201))
    await expect(auth.register('bob@example.com', 'password-bob')).resolves.toBe('pending')
    expect(auth.user).toBeNull()
  })
})

describe('auth store: the first account', () => {
  it('reads whether the first account and its setup code are still needed, and forgets it when unknown', async () => {
    const server = fakeServer({ 'GET /api/auth/setup': () => json({ needsFirstAccount: true, setupCodeRequired: true }) })
    const auth = useAuthStore()
    await expect(auth.loadSetup()).resolves.toEqual({ needsFirstAccount: true, setupCodeRequired: true })
    expect(auth.setup).toEqual({ needsFirstAccount: true, setupCodeRequired: true })
    server.offline()
    await expect(auth.loadSetup()).resolves.toBeNull()
    expect(auth.setup).toBeNull()
  })

  it('sends the setup code trimmed, and no code field when none was typed', async () => {
    const admin = makeUser({ email: 'admin@example.com', isAdmin: true })
    const server = fakeServer({
      'GET /api/auth/setup': () => json({ needsFirstAccount: true, setupCodeRequired: true }),
      'POST /api/auth/register': () => json(admin, 201),
    })
    const auth = useAuthStore()
    await auth.loadSetup()
    await auth.register('Admin@Example.com', 'password-admin', '  4821-7730 ')
    await auth.register('admin@example.com', 'password-admin', '   ')
    await auth.register('admin@example.com', 'password-admin')
    expect(server.callsTo('POST /api/auth/register').map((call) => call.body)).toEqual([
      { email: 'admin@example.com', password: 'password-admin', setupCode: '4821-7730' },
      { email: 'admin@example.com', password: 'password-admin' },
      { email: 'admin@example.com', password: 'password-admin' },
    ])
    expect(auth.setup).toEqual({ needsFirstAccount: false, setupCodeRequired: false })
  })
})

describe('auth store: failures other stores report', () => {
  it('a lost connection marks a signed-in user offline, and a visitor not', async () => {
    const me = makeUser({ email: 'me@example.com' })
    fakeServer({ 'POST /api/auth/login': () => json({ token: 't', user: me }) })
    const auth = useAuthStore()
    await auth.handleFailure(new TypeError('Failed to fetch'))
    expect(auth.offline).toBe(false)
    await auth.signIn(me.email, 'password-me')
    await auth.handleFailure(new TypeError('Failed to fetch'))
    expect(auth.offline).toBe(true)
  })

  it('asks who is signed in after a lost session, and not after an ordinary refusal', async () => {
    const me = makeUser({ email: 'me@example.com' })
    const server = fakeServer({ 'POST /api/auth/login': () => json({ token: 't', user: me }), 'GET /api/auth/me': () => json(me) })
    const auth = useAuthStore()
    await auth.signIn(me.email, 'password-me')
    await auth.handleFailure(new ApiError('forbidden', 'Only administrators can do that.', 403))
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(0)
    expect(auth.offline).toBe(false)
    await auth.handleFailure(new ApiError('unauthorized', 'Sign in again.', 401))
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
    expect(auth.user).toEqual(me)
  })
})

describe('auth store: who is signed in', () => {
  it('keeps the cached user and goes offline when the manager cannot be reached', async () => {
    const ann = makeUser({ email: 'ann@example.com' })
    await saveCachedUser(ann)
    const server = fakeServer()
    server.offline()
    const auth = useAuthStore()

    await auth.ensureChecked()

    expect(auth.user).toEqual(ann)
    expect(auth.offline).toBe(true)
    expect(await readCachedUser()).toEqual(ann)
  })

  it('comes back online when the manager answers again', async () => {
    const ann = makeUser({ email: 'ann@example.com' })
    await saveCachedUser(ann)
    const server = fakeServer({ 'GET /api/auth/me': () => json(ann) })
    server.offline()
    const auth = useAuthStore()
    await auth.refresh()
    expect(auth.offline).toBe(true)
    server.online()
    await auth.refresh()
    expect(auth.offline).toBe(false)
    expect(auth.user).toEqual(ann)
  })

  it('signs out and says why when the session has ended', async () => {
    await saveCachedUser(makeUser())
    fakeServer({ 'GET /api/auth/me': () => failure(401, 'unauthorized', 'Your session has ended. Sign in again.') })
    const auth = useAuthStore()
    await auth.refresh()
    expect(auth.user).toBeNull()
    expect(auth.notice).toBe('Your session has ended. Sign in again.')
    expect(await readCachedUser()).toBeNull()
  })

  it('says nothing to a visitor who was never signed in', async () => {
    fakeServer({ 'GET /api/auth/me': () => failure(401, 'unauthorized', 'Sign in to continue.') })
    const auth = useAuthStore()
    await auth.ensureChecked()
    expect(auth.user).toBeNull()
    expect(auth.notice).toBeNull()
    expect(auth.offline).toBe(false)
  })

  it('checks only once however many screens wait for it', async () => {
    const server = fakeServer({ 'GET /api/auth/me': () => json(makeUser()) })
    const auth = useAuthStore()
    await Promise.all([auth.ensureChecked(), auth.ensureChecked(), auth.ensureChecked()])
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
  })

  it('signs out on this device even when the manager cannot be reached', async () => {
    const server = fakeServer({ 'POST /api/auth/login': () => json({ token: 't', user: makeUser() }) })
    const auth = useAuthStore()
    await auth.signIn('user@example.com', 'password-1')
    server.offline()
    await auth.signOut()
    expect(server.callsTo('POST /api/auth/logout')).toHaveLength(1)
    expect(auth.user).toBeNull()
    expect(await readCachedUser()).toBeNull()
  })
})

describe('auth store: account changes made by an administrator', () => {
  async function signedIn(isAdmin: boolean) {
    const me = makeUser({ email: 'me@example.com', isAdmin })
    const server = fakeServer({
      'POST /api/auth/login': () => json({ token: 't', user: me }),
      'POST /api/auth/logout': () => json({ ok: true }),
    })
    const auth = useAuthStore()
    await auth.signIn(me.email, 'password-me')
    return { auth, server, me }
  }

  it('signs out with a message when the account is disabled', async () => {
    const { auth, server } = await signedIn(false)
    await auth.applyAccountChange({ status: 'disabled', isAdmin: false })
    expect(auth.user).toBeNull()
    expect(auth.notice).toBe(SIGNED_OUT_BY_ADMIN)
    expect(server.callsTo('POST /api/auth/logout')).toHaveLength(1)
  })

  it('asks the manager again when admin rights change', async () => {
    const { auth, server, me } = await signedIn(false)
    server.on('GET /api/auth/me', () => json({ ...me, isAdmin: true }))
    await auth.applyAccountChange({ status: 'approved', isAdmin: true })
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
    expect(auth.isAdmin).toBe(true)
    expect((await readCachedUser())?.isAdmin).toBe(true)
  })

  it('ignores a change that changes nothing', async () => {
    const { auth, server } = await signedIn(true)
    await auth.applyAccountChange({ status: 'approved', isAdmin: true })
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(0)
    expect(auth.isAdmin).toBe(true)
  })
})
