import { describe, expect, test } from 'bun:test'
import { ADMIN, createTestApp } from './helpers'
import type { PublicUser } from '../../shared/users'

const cookieFrom = (response: { headers: Headers }) => /mlx_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0]

describe('registration', () => {
  test('the first user becomes an approved admin and is signed in by cookie', async () => {
    const app = createTestApp()
    const response = await app.json<PublicUser>('POST', '/api/auth/register', { body: ADMIN })
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({ email: ADMIN.email, isAdmin: true, status: 'approved' })
    expect(Object.keys(response.body).sort()).toEqual(['createdAt', 'email', 'id', 'isAdmin', 'status'])
    const setCookie = response.headers.get('set-cookie') ?? ''
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Lax')
    const me = await app.json<PublicUser>('GET', '/api/auth/me', { cookie: cookieFrom(response) })
    expect(me.status).toBe(200)
    expect(me.body.email).toBe(ADMIN.email)
  })

  test('later users are pending, not signed in, and see their own message at login', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    const second = await app.json<PublicUser>('POST', '/api/auth/register', { body: { email: 'b@example.com', password: 'password-b' } })
    expect(second.status).toBe(201)
    expect(second.body).toMatchObject({ isAdmin: false, status: 'pending' })
    expect(second.headers.get('set-cookie')).toBeNull()
    const login = await app.json('POST', '/api/auth/login', { body: { email: 'b@example.com', password: 'password-b' } })
    expect(login.status).toBe(403)
    expect(login.body).toMatchObject({ error: { code: 'account-pending' } })
  })

  test('emails are normalised, so case and spaces do not make a second account', async () => {
    const app = createTestApp()
    await app.signUp({ email: '  Ann@Example.COM ', password: 'password-a' })
    const again = await app.json('POST', '/api/auth/register', { body: { email: 'ann@example.com', password: 'password-a' } })
    expect(again.status).toBe(409)
    expect(again.body).toMatchObject({ error: { code: 'email-taken' } })
    const token = await app.signIn({ email: 'ANN@example.com', password: 'password-a' })
    const me = await app.json<PublicUser>('GET', '/api/auth/me', { token })
    expect(me.body.email).toBe('ann@example.com')
  })

  test('passwords shorter than 8 characters are refused with a sentence', async () => {
    const app = createTestApp()
    const response = await app.json<{ error: { code: string; message: string } }>('POST', '/api/auth/register', {
      body: { email: 'a@example.com', password: 'short' },
    })
    expect(response.status).toBe(400)
    expect(response.body.error.message).toContain('at least 8')
  })

  test('concurrent first registrations make exactly one admin', async () => {
    const app = createTestApp()
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => app.json<PublicUser>('POST', '/api/auth/register', { body: { email: `u${i}@example.com`, password: 'password-x' } })),
    )
    expect(results.filter((r) => r.body.isAdmin)).toHaveLength(1)
    expect(results.filter((r) => r.body.status === 'pending')).toHaveLength(4)
  })
})

describe('sessions', () => {
  test('login returns a token that works as a Bearer header and sets the same cookie', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    const login = await app.json<{ token: string; user: PublicUser }>('POST', '/api/auth/login', { body: ADMIN })
    expect(login.status).toBe(200)
    expect(login.body.user.email).toBe(ADMIN.email)
    expect(cookieFrom(login)).toBe(`mlx_session=${login.body.token}`)
    expect((await app.call('GET', '/api/auth/me', { token: login.body.token })).status).toBe(200)
  })

  test('wrong password and unknown email get the same 401', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    const wrong = await app.json('POST', '/api/auth/login', { body: { ...ADMIN, password: 'not the password' } })
    const unknown = await app.json('POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'whatever1' } })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    expect(wrong.body).toEqual(unknown.body)
  })

  test('logout ends the session at once, even for a copy of the token', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    expect((await app.call('POST', '/api/auth/logout', { token: token ?? '' })).status).toBe(200)
    const me = await app.json('GET', '/api/auth/me', { token: token ?? '' })
    expect(me.status).toBe(401)
    expect(me.body).toMatchObject({ error: { code: 'unauthorized' } })
  })

  test('logout without a session still succeeds and clears the cookie', async () => {
    const app = createTestApp()
    const response = await app.call('POST', '/api/auth/logout', { cookie: 'mlx_session=garbage', headers: { origin: 'http://localhost' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('set-cookie')).toContain('mlx_session=;')
  })

  test('requests without a token, with a forged one, or with one signed by another secret are 401', async () => {
    const app = createTestApp()
    const { token } = await app.signUp(ADMIN)
    const other = createTestApp({ secret: 'a-completely-different-secret-of-enough-length' })
    const { token: foreign } = await other.signUp(ADMIN)
    const [header, , signature] = (token ?? '').split('.')
    const forgedPayload = Buffer.from(JSON.stringify({ sub: '1', sid: 'made-up' })).toString('base64url')
    for (const bad of [undefined, 'not-a-jwt', `${header}.${forgedPayload}.${signature}`, foreign ?? '']) {
      const response = await app.json('GET', '/api/auth/me', bad === undefined ? {} : { token: bad })
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ error: { code: 'unauthorized' } })
    }
  })

  test('a disabled user is refused on the very next request', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const token = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    expect((await app.call('GET', '/api/auth/me', { token })).status).toBe(200)
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'disabled' } })
    // Every request re-reads the account, so the refusal is immediate and says why.
    const me = await app.json('GET', '/api/auth/me', { token })
    expect(me.status).toBe(403)
    expect(me.body).toMatchObject({ error: { code: 'account-disabled' } })
    const login = await app.json('POST', '/api/auth/login', { body: { email: 'pat@example.com', password: 'pending-password' } })
    expect(login.status).toBe(403)
    expect(login.body).toMatchObject({ error: { code: 'account-disabled' } })
  })

  test('a deleted user is signed out at once', async () => {
    const app = createTestApp()
    const { adminToken, pending } = await app.withAdminAndPending()
    await app.json('PATCH', `/api/users/${pending.id}`, { token: adminToken, body: { status: 'approved' } })
    const token = await app.signIn({ email: 'pat@example.com', password: 'pending-password' })
    await app.call('DELETE', `/api/users/${pending.id}`, { token: adminToken })
    expect((await app.call('GET', '/api/auth/me', { token })).status).toBe(401)
  })
})

describe('login throttling', () => {
  test('five failures for one email from one client answer 429 with Retry-After, even with the right password', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    for (let i = 0; i < 5; i++) {
      expect((await app.call('POST', '/api/auth/login', { body: { ...ADMIN, password: `wrong-${i}-password` } })).status).toBe(401)
    }
    const blocked = await app.json<{ error: { code: string; message: string } }>('POST', '/api/auth/login', { body: ADMIN })
    expect(blocked.status).toBe(429)
    expect(blocked.body.error.code).toBe('too-many-attempts')
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(blocked.body.error.message).toMatch(/Try again in \d+ seconds?\./)
  })
})

describe('login throttling per client', () => {
  test('many failures across different emails from one address are throttled too', async () => {
    const app = createTestApp()
    await app.signUp(ADMIN)
    for (let i = 0; i < 20; i++) {
      expect((await app.call('POST', '/api/auth/login', { body: { email: `guess${i}@example.com`, password: 'guess-password' } })).status).toBe(401)
    }
    const blocked = await app.json('POST', '/api/auth/login', { body: ADMIN })
    expect(blocked.status).toBe(429)
    expect(blocked.body).toMatchObject({ error: { code: 'too-many-attempts' } })
  })
})

describe('password hashing', () => {
  test('the product stores Argon2id hashes, never the password', async () => {
    const { argon2idHasher } = await import('../../server/features/auth/passwords')
    const app = createTestApp({ hasher: argon2idHasher })
    await app.signUp(ADMIN)
    const row = app.db.query<{ password_hash: string }, []>('SELECT password_hash FROM users').get()
    expect(row?.password_hash.startsWith('$argon2id$')).toBe(true)
    expect(row?.password_hash).not.toContain(ADMIN.password)
  })
})
