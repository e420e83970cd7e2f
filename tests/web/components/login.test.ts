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
