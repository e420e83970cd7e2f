import { flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { describe, expect, it, vi } from 'vitest'
import type { Component } from 'vue'
import { createMemoryHistory, createRouter } from 'vue-router'
import { readSnapshot } from '../../web/src/db/snapshots'
import { useAuthStore } from '../../web/src/features/auth/store'
import ModelsView from '../../web/src/features/models/ModelsView.vue'
import ProfilesView from '../../web/src/features/profiles/ProfilesView.vue'
import { useProfilesStore } from '../../web/src/features/profiles/store'
import UsersView from '../../web/src/features/users/UsersView.vue'
import { useUsersStore } from '../../web/src/features/users/store'
import { byTestId, mountInApp, requireTestId } from './components/mount'
import { fakeServer, json, makeDownload, makeLocalModel, makeProfile, makeUser } from './helpers'

const admin = makeUser({ id: 1, email: 'admin@example.com', isAdmin: true })
const member = makeUser({ id: 2, email: 'member@example.com' })

/** The manager as it answered while reachable. */
function manager() {
  return fakeServer({
    'GET /api/profiles': () => json([makeProfile({ id: 4, name: 'Qwen coder' })]),
    'GET /api/servers': () => json([]),
    'GET /api/users': () => json([admin, member]),
    'GET /api/models': () => json([makeLocalModel()]),
    'GET /api/downloads': () => json([makeDownload({ id: 9, status: 'completed' }), makeDownload({ id: 10, modelId: 'mlx-community/gemma-3-1b-it-4bit', status: 'downloading', speedBps: 2_000_000, etaSeconds: 90 })]),
    'POST /api/auth/logout': () => new Response(null, { status: 204 }),
  })
}

/** A fresh page load (new stores, same device), signed in as this device remembers. */
function reopen(): void {
  setActivePinia(createPinia())
  useAuthStore().user = admin
}

/** Mounts a list screen and waits until it shows `answered` (its list, the last-known notice, or its error). */
async function show(view: Component, answered: string): Promise<void> {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:any(.*)*', component: view }] })
  await router.push('/')
  mountInApp(view, { plugins: [router] })
  await vi.waitFor(() => expect(byTestId(answered)).not.toBeNull())
  await flushPromises()
}

/** Whether each control with this test id is disabled (a link-styled button shows it by its class). */
const disabled = (id: string) =>
  [...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)].map((control) =>
    control instanceof HTMLButtonElement ? control.disabled : control.classList.contains('n-button--disabled'),
  )

describe('offline, the manager’s lists show their last-known copy read-only', () => {
  it('Profiles: the saved list with its time, every action disabled', async () => {
    const server = manager()
    useAuthStore().user = admin
    await useProfilesStore().load()
    const saved = await readSnapshot<unknown[]>('profiles')
    expect(saved?.value).toHaveLength(1)

    reopen()
    server.offline()
    await show(ProfilesView, 'last-known')
    expect(byTestId('profiles-error')).toBeNull()
    expect(requireTestId('profile-name').textContent).toBe('Qwen coder')
    expect(requireTestId('last-known').textContent).toContain('Offline — showing the last-known copy.')
    expect(requireTestId('last-known-updated').textContent).toBe('Last updated just now')
    expect(requireTestId('last-known-updated').getAttribute('datetime')).toBe(saved?.savedAt)
    for (const id of ['profile-new', 'profile-toggle', 'profile-edit', 'profile-duplicate', 'profile-delete']) expect(disabled(id)).toEqual([true])

    // The app's offline banner offers Try again; the notice does not repeat it.
    expect(byTestId('last-known-retry')).toBeNull()
    // Back online, the live list and the actions come back.
    server.online()
    server.on('GET /api/auth/me', () => json(admin))
    await useAuthStore().refresh()
    await useProfilesStore().load()
    await vi.waitFor(() => expect(byTestId('last-known')).toBeNull())
    expect(disabled('profile-edit')).toEqual([false])
  })

  it('Users: the saved accounts, no account action enabled', async () => {
    const server = manager()
    useAuthStore().user = admin
    await useUsersStore().load()
    reopen()
    server.offline()
    await show(UsersView, 'last-known')
    expect([...document.querySelectorAll('[data-testid="user-email"]')].map((e) => e.textContent)).toEqual(['admin@example.com', 'member@example.com'])
    expect(requireTestId('last-known-updated').textContent).toMatch(/^Last updated/)
    const actions = [...document.querySelectorAll<HTMLButtonElement>('[data-testid^="user-"]')].filter((e) => e.tagName === 'BUTTON')
    expect(actions.length).toBeGreaterThan(0)
    expect(actions.every((button) => button.disabled)).toBe(true)
  })

  it('Models: the saved library and downloads, without the download form or row actions', async () => {
    const server = manager()
    useAuthStore().user = admin
    await show(ModelsView, 'download-eta')
    expect(byTestId('download-a-model')).not.toBeNull()
    expect(byTestId('last-known')).toBeNull()
    expect(requireTestId('download-eta').textContent).toBe('2 min left')
    // The copies are saved without holding up the screen.
    await vi.waitFor(async () => expect((await Promise.all([readSnapshot('library'), readSnapshot('downloads')])).includes(null)).toBe(false))

    document.body.innerHTML = ''
    reopen()
    server.offline()
    await show(ModelsView, 'last-known')
    expect(requireTestId('library-name').textContent).toBe('mlx-community/Qwen3-4B-4bit')
    expect(byTestId('downloads-list')).not.toBeNull()
    expect(requireTestId('last-known').textContent).toContain('Downloading, using and deleting models need the manager')
    expect(byTestId('download-a-model')).toBeNull()
    expect(disabled('library-use')).toEqual([true])
    expect(disabled('library-delete')).toEqual([true])
    expect(byTestId('downloads-clear')).toBeNull()
    expect(byTestId('download-pause')).toBeNull()
    // A saved copy's speed and time left are not live: they are left out rather than shown as if current.
    expect(byTestId('download-speed')).toBeNull()
    expect(byTestId('download-eta')).toBeNull()
  })

  it('with nothing saved, the screen says the manager cannot be reached', async () => {
    const server = manager()
    server.offline()
    useAuthStore().user = admin
    await show(ProfilesView, 'profiles-error')
    expect(requireTestId('profiles-error').textContent).toContain('cannot be reached')
    expect(byTestId('last-known')).toBeNull()
  })

  it('signing out forgets every saved list', async () => {
    manager()
    useAuthStore().user = admin
    await Promise.all([useProfilesStore().load(), useUsersStore().load()])
    expect(await readSnapshot('users')).not.toBeNull()
    await useAuthStore().signOut()
    expect(await readSnapshot('users')).toBeNull()
    expect(await readSnapshot('profiles')).toBeNull()
  })
})
