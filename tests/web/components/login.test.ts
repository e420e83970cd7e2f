import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import LoginForm from '../../../web/src/features/auth/LoginForm.vue'
import LoginView from '../../../web/src/features/auth/LoginView.vue'
import { useAuthStore } from '../../../web/src/features/auth/store'
import { failure, fakeServer, json, makeUser } from '../helpers'
import { byTestId, click, mountInApp, requireTestId, submit, type } from './mount'

const text = (id: string) => byTestId(id)?.textContent?.trim() ?? null

describe('login form: checks before sending', () => {
  it('asks for an email and a password and sends nothing', async () => {
    const server = fakeServer()
    mountInApp(LoginForm, { props: { mode: 'sign-in' } })
    await submit('login-form')
    expect(text('login-email-error')).toBe('Enter an email address.')
    expect(text('login-password-error')).toBe('Enter your password.')
    expect(server.calls).toEqual([])
  })

  it('uses the shared email rule', async () => {
    const server = fakeServer()
    mountInApp(LoginForm, { props: { mode: 'sign-in' } })
    await type('login-email', 'not-an-email')
    await type('login-password', 'long enough')
    await submit('login-form')
    expect(text('login-email-error')).toBe('That does not look like an email address (name@example.com).')
    expect(byTestId('login-password-error')).toBeNull()
    expect(server.calls).toEqual([])
  })

  it('uses the shared password rule when creating an account', async () => {
    const server = fakeServer()
    mountInApp(LoginForm, { props: { mode: 'register' } })
    await type('login-email', 'ann@example.com')
    await type('login-password', 'short')
    await submit('login-form')
    expect(byTestId('login-email-error')).toBeNull()
    expect(text('login-password-error')).toBe('A password needs at least 8 characters.')
    expect(server.calls).toEqual([])
  })
})

describe('login form: what the manager answers', () => {
  async function signInWith(answer: () => Response) {
    const server = fakeServer({ 'POST /api/auth/login': answer })
    const wrapper = mountInApp(LoginForm, { props: { mode: 'sign-in' } })
    await type('login-email', ' Ann@Example.com')
    await type('login-password', 'correct horse')
    await submit('login-form')
    await flushPromises()
    return { server, wrapper }
  }

  it('signs in with the normalized email', async () => {
    const ann = makeUser({ email: 'ann@example.com' })
    const { server } = await signInWith(() => json({ token: 't', user: ann }))
    expect(server.calls).toEqual([
      { method: 'POST', path: '/api/auth/login', body: { email: 'ann@example.com', password: 'correct horse' } },
    ])
    expect(useAuthStore().user).toEqual(ann)
    expect(byTestId('login-error')).toBeNull()
  })

  it('shows the server sentence for wrong credentials', async () => {
    await signInWith(() => failure(401, 'invalid-credentials', 'That email and password do not match an account.'))
    expect(text('login-error')).toBe('That email and password do not match an account.')
    expect(useAuthStore().user).toBeNull()
  })

  it('shows the server sentence for a disabled account', async () => {
    await signInWith(() =>
      failure(403, 'account-disabled', 'This account has been disabled. Ask an administrator to enable it.'),
    )
    expect(text('login-error')).toBe('This account has been disabled. Ask an administrator to enable it.')
  })

  it('reports a pending account to the screen', async () => {
    const { wrapper } = await signInWith(() => failure(403, 'account-pending', 'Waiting for approval.'))
    expect(wrapper.findComponent(LoginForm).emitted('pending')).toEqual([['ann@example.com']])
    expect(byTestId('login-error')).toBeNull()
  })

  it('counts down the wait after too many attempts and blocks the button meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      await signInWith(() =>
        failure(429, 'too-many-attempts', 'Too many failed sign-ins. Try again in 3 seconds.', { 'retry-after': '3' }),
      )
      expect(text('login-error')).toBe('Too many failed sign-ins. Try again in 3 seconds.')
      expect(requireTestId('login-submit').hasAttribute('disabled')).toBe(true)
      vi.advanceTimersByTime(1000)
      await flushPromises()
      expect(text('login-error')).toBe('Too many failed sign-ins. Try again in 2 seconds.')
      vi.advanceTimersByTime(2000)
      await flushPromises()
      expect(byTestId('login-error')).toBeNull()
      expect(requireTestId('login-submit').hasAttribute('disabled')).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })

  it('says when the manager cannot be reached', async () => {
    const server = fakeServer()
    server.offline()
    mountInApp(LoginForm, { props: { mode: 'sign-in' } })
    await type('login-email', 'ann@example.com')
    await type('login-password', 'correct horse')
    await submit('login-form')
    await flushPromises()
    expect(text('login-error')).toBe('The manager cannot be reached. Check that it is running.')
  })
})

describe('login screen', () => {
  it('shows the waiting-for-approval state after creating a later account', async () => {
    fakeServer({
      'POST /api/auth/register': () => json(makeUser({ email: 'bob@example.com', status: 'pending' }), 201),
    })
    mountInApp(LoginView)
    await flushPromises()
    await click('login-tab-register')
    expect(byTestId('register-hint')).not.toBeNull()
    await type('login-email', 'bob@example.com')
    await type('login-password', 'password-bob')
    await submit('login-form')
    await flushPromises()
    const pending = requireTestId('pending-message')
    expect(pending.textContent).toContain('Waiting for approval')
    expect(pending.textContent).toContain('bob@example.com')
    expect(pending.textContent).toContain('has been created')
    expect(useAuthStore().user).toBeNull()

    await click('pending-back')
    expect(byTestId('pending-message')).toBeNull()
    expect(byTestId('login-form')).not.toBeNull()
  })

  it('shows the waiting state when a pending account signs in', async () => {
    fakeServer({ 'POST /api/auth/login': () => failure(403, 'account-pending', 'Waiting.') })
    mountInApp(LoginView)
    await flushPromises()
    await type('login-email', 'bob@example.com')
    await type('login-password', 'password-bob')
    await submit('login-form')
    await flushPromises()
    expect(requireTestId('pending-message').textContent).toContain('has not been approved yet')
  })

  it('explains why the person was signed out', async () => {
    fakeServer()
    useAuthStore().notice = 'An administrator disabled or removed your account, so you have been signed out.'
    mountInApp(LoginView)
    await flushPromises()
    expect(text('signed-out-notice')).toContain('An administrator disabled or removed your account')
  })
})

describe('first run', () => {
  function freshManager(setupCodeRequired: boolean, register: (body: unknown) => Response = () => json(makeUser({ isAdmin: true }), 201)) {
    return fakeServer({
      'GET /api/auth/setup': () => json({ needsFirstAccount: true, setupCodeRequired }),
      'POST /api/auth/register': ({ body }) => register(body),
    })
  }

  it('opens on creating the first account, which becomes the administrator, and asks no code on this machine', async () => {
    const server = freshManager(false)
    mountInApp(LoginView)
    await flushPromises()
    expect(text('first-run')).toContain('Create the first account')
    expect(text('first-run')).toContain('becomes its administrator')
    expect(byTestId('login-tab-sign-in')).toBeNull()
    expect(byTestId('login-setup-code')).toBeNull()
    expect(text('login-submit')).toBe('Create account')
    await type('login-email', 'owner@example.com')
    await type('login-password', 'owner-password')
    await submit('login-form')
    await flushPromises()
    expect(server.callsTo('POST /api/auth/register')[0]?.body).toEqual({ email: 'owner@example.com', password: 'owner-password' })
    expect(useAuthStore().user?.isAdmin).toBe(true)
  })

  it('asks for the setup code from another machine, says where it is, and sends it', async () => {
    const server = freshManager(true)
    mountInApp(LoginView)
    await flushPromises()
    expect(text('first-run-code-hint')).toContain('setup code')
    expect(text('login-setup-code-hint')).toContain('printed it in its output')
    await type('login-email', 'owner@example.com')
    await type('login-password', 'owner-password')
    await submit('login-form')
    expect(text('login-setup-code-error')).toBe('Enter the setup code.')
    expect(server.callsTo('POST /api/auth/register')).toHaveLength(0)
    await type('login-setup-code', ' 4F7K-92QX ')
    await submit('login-form')
    await flushPromises()
    expect(server.callsTo('POST /api/auth/register')[0]?.body).toEqual({ email: 'owner@example.com', password: 'owner-password', setupCode: '4F7K-92QX' })
  })

  it('shows the manager’s sentence for a wrong code under the code box', async () => {
    freshManager(true, () => failure(403, 'setup-code-invalid', 'That setup code is not the one the manager printed when it started.'))
    mountInApp(LoginView)
    await flushPromises()
    await type('login-email', 'owner@example.com')
    await type('login-password', 'owner-password')
    await type('login-setup-code', 'WRONG')
    await submit('login-form')
    await flushPromises()
    expect(text('login-setup-code-error')).toBe('That setup code is not the one the manager printed when it started.')
    expect(byTestId('login-error')).toBeNull()
    expect(useAuthStore().user).toBeNull()
  })

  it('asks for the code when the manager wants one the screen did not expect', async () => {
    fakeServer({ 'POST /api/auth/register': () => failure(403, 'setup-code-required', 'Creating the first account from another machine needs the setup code.') })
    mountInApp(LoginForm, { props: { mode: 'register' } })
    expect(byTestId('login-setup-code')).toBeNull()
    await type('login-email', 'owner@example.com')
    await type('login-password', 'owner-password')
    await submit('login-form')
    await flushPromises()
    expect(byTestId('login-setup-code')).not.toBeNull()
    expect(text('login-setup-code-error')).toBe('Creating the first account from another machine needs the setup code.')
  })

  it('opens on Sign in once an account exists', async () => {
    fakeServer({ 'GET /api/auth/setup': () => json({ needsFirstAccount: false, setupCodeRequired: false }) })
    mountInApp(LoginView)
    await flushPromises()
    expect(byTestId('first-run')).toBeNull()
    expect(text('login-submit')).toBe('Sign in')
  })
})
