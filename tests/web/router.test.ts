import { createPinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { saveCachedUser } from '../../web/src/features/auth/repository'
import { useAuthStore } from '../../web/src/features/auth/store'
import { createAppRouter, decide, safeRedirect } from '../../web/src/router'
import { failure, fakeServer, json, makeUser } from './helpers'

const member = makeUser({ email: 'member@example.com' })
const admin = makeUser({ email: 'admin@example.com', isAdmin: true })

function route(path: string, meta: Record<string, boolean> = {}, query: Record<string, string> = {}) {
  return { fullPath: path, meta, query }
}

describe('decide', () => {
  it('sends signed-out visitors to sign in and remembers where they were going', () => {
    expect(decide(route('/models?x=1'), null)).toEqual({ path: '/login', query: { redirect: '/models?x=1' } })
    expect(decide(route('/'), null)).toEqual({ path: '/login', query: {} })
    expect(decide(route('/login', { public: true }), null)).toBe(true)
  })

  it('sends signed-in people away from the sign-in screen, to where they were going', () => {
    expect(decide(route('/login', { public: true }, { redirect: '/chat' }), member)).toBe('/chat')
    expect(decide(route('/login', { public: true }), member)).toBe('/catalog')
  })

  it('keeps non-admins out of Users', () => {
    expect(decide(route('/users', { admin: true }), member)).toBe('/catalog')
    expect(decide(route('/users', { admin: true }), admin)).toBe(true)
    expect(decide(route('/models'), member)).toBe(true)
  })

  it('follows only redirects inside the app', () => {
    expect(safeRedirect('/servers')).toBe('/servers')
    expect(safeRedirect('//evil.example/phish')).toBe('/catalog')
    expect(safeRedirect('https://evil.example')).toBe('/catalog')
    expect(safeRedirect('/login')).toBe('/catalog')
    expect(safeRedirect(undefined)).toBe('/catalog')
  })
})

describe('the app router', () => {
  it('waits for the session check and lets a signed-in user in', async () => {
    fakeServer({ 'GET /api/auth/me': () => json(member) })
    const router = createAppRouter(createPinia(), createMemoryHistory())
    await router.push('/models')
    expect(router.currentRoute.value.fullPath).toBe('/models')
  })

  it('redirects a signed-out visitor to /login with the target', async () => {
    fakeServer({ 'GET /api/auth/me': () => failure(401, 'unauthorized', 'Sign in to continue.') })
    const router = createAppRouter(createPinia(), createMemoryHistory())
    await router.push('/servers')
    expect(router.currentRoute.value.path).toBe('/login')
    expect(router.currentRoute.value.query.redirect).toBe('/servers')
  })

  it('opens offline with the user this device remembers', async () => {
    await saveCachedUser(admin)
    fakeServer().offline()
    const router = createAppRouter(createPinia(), createMemoryHistory())
    await router.push('/users')
    expect(router.currentRoute.value.path).toBe('/users')
  })

  it('leaves a screen that is no longer allowed when the user changes', async () => {
    fakeServer({ 'GET /api/auth/me': () => json(admin) })
    const pinia = createPinia()
    const router = createAppRouter(pinia, createMemoryHistory())
    await router.push('/users')
    const auth = useAuthStore(pinia)

    // Generous waits: the first visit to a screen loads (and here, compiles) its chunk.
    auth.user = { ...admin, isAdmin: false }
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/catalog'), { timeout: 10_000 })

    auth.user = null
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/login'), { timeout: 10_000 })
    expect(router.currentRoute.value.query.redirect).toBe('/catalog')
  })
})
