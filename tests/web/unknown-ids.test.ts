import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { RouterView, createMemoryHistory, createRouter } from 'vue-router'
import { useAuthStore } from '../../web/src/features/auth/store'
import ProfileEditor from '../../web/src/features/profiles/ProfileEditor.vue'
import LogView from '../../web/src/features/servers/LogView.vue'
import ServersView from '../../web/src/features/servers/ServersView.vue'
import { byTestId, click, mountInApp, requireTestId } from './components/mount'
import { failure, fakeServer, json, makeProfile, makeServerStatus, makeUser, useFakeEventSource } from './helpers'
import { routerStub } from './servers-router'

const Blank = defineComponent({ render: () => h('div') })

async function open(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/profiles', component: Blank },
      { path: '/profiles/new', component: Blank },
      { path: '/profiles/:id', component: ProfileEditor, props: true },
      { path: '/servers', component: Blank },
      { path: '/servers/:profileId/logs', component: LogView, props: true },
    ],
  })
  await router.push(path)
  await router.isReady()
  mountInApp(RouterView, { plugins: [router] })
  return router
}

const text = (id: string) => requireTestId(id).textContent?.replace(/\s+/g, ' ').trim() ?? ''

describe('addresses that name nothing', () => {
  it('/profiles/9999 says there is no such profile and offers the list or a new one', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    fakeServer({
      'GET /api/profiles/9999': () => failure(404, 'profile-not-found', 'There is no profile with id 9999. The list may be out of date; reload it.'),
      'GET /api/servers': () => json([]),
      'GET /api/engines': () => json([]),
      'GET /api/models': () => json([]),
      'GET /api/templates': () => json([]),
    })
    const router = await open('/profiles/9999')
    await vi.waitFor(() => expect(text('profile-editor-title')).toBe('Profile not found'))
    expect(text('profile-missing')).toContain('There is no profile 9999')
    expect(byTestId('profile-form')).toBeNull()
    await click('profile-missing-new')
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/profiles/new'))
  })

  it('a profile still loading is not headed "New profile"', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = fakeServer({
      'GET /api/profiles/4': () => new Promise<Response>(() => undefined),
      'GET /api/servers': () => json([]),
    })
    await open('/profiles/4')
    // Asked, and the answer has not come.
    await vi.waitFor(() => expect(server.callsTo('GET /api/profiles/4')).toHaveLength(1))
    await flushPromises()
    expect(text('profile-editor-title')).toBe('Loading profile…')
    expect(byTestId('profile-form')).toBeNull()
  })

  it('/servers/9999/logs says there is no such server and leads back to Servers', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    useFakeEventSource()
    fakeServer({ 'GET /api/servers': () => json([makeServerStatus({ profileId: 1 })]), 'GET /api/profiles': () => json([makeProfile({ id: 1 })]) })
    const router = await open('/servers/9999/logs')
    await vi.waitFor(() => expect(text('log-title')).toBe('Server not found'))
    expect(text('log-missing')).toContain('There is no server 9999')
    expect(byTestId('log-status')).toBeNull()
    await click('log-missing-servers')
    await vi.waitFor(() => expect(router.currentRoute.value.path).toBe('/servers'))
  })

  it('a known server’s log opens as before', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    useFakeEventSource()
    fakeServer({ 'GET /api/servers': () => json([makeServerStatus({ profileId: 1 })]), 'GET /api/profiles': () => json([makeProfile({ id: 1 })]) })
    await open('/servers/1/logs')
    await vi.waitFor(() => expect(byTestId('log-status')).not.toBeNull())
    expect(byTestId('log-missing')).toBeNull()
  })
})

describe('Servers while loading', () => {
  it('does not claim "0 ready · 0 running" before the manager answers', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    let answer: (response: Response) => void = () => undefined
    const server = fakeServer({
      'GET /api/servers': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /api/profiles': () => json([]),
    })
    mountInApp(ServersView, { plugins: [routerStub()] })
    // Asked, and the answer has not come.
    await vi.waitFor(() => expect(server.callsTo('GET /api/servers')).toHaveLength(1))
    await flushPromises()
    expect(text('servers-ready-count')).not.toContain('0 ready')
    expect(byTestId('servers-count-loading')).not.toBeNull()
    answer(json([makeServerStatus({ profileId: 1, state: 'ready' })]))
    await vi.waitFor(() => expect(text('servers-ready-count')).toBe('1 ready · 1 running'))
  })
})

describe('a taken port is fixed in place', () => {
  it('the profile editor offers "Use port N" under the port the manager refused', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    const server = fakeServer({
      'GET /api/profiles/4': () => json(makeProfile({ id: 4, port: 8000 })),
      'GET /api/servers': () => json([]),
      'GET /api/profiles/suggest-port': () => json({ port: 8003 }),
      'PATCH /api/profiles/4': () => failure(409, 'port-in-use', 'Port 8001 on 127.0.0.1 is in use by another program. Stop that program or choose another port.'),
    })
    await open('/profiles/4')
    await vi.waitFor(() => expect((requireTestId('field-port') as HTMLInputElement).value).toBe('8000'))
    const input = requireTestId('field-port') as HTMLInputElement
    input.value = '8001'
    input.dispatchEvent(new Event('input', { bubbles: true }))
    input.dispatchEvent(new Event('blur', { bubbles: true }))
    await flushPromises()
    await click('profile-save')
    await vi.waitFor(() => expect(text('use-suggested-port')).toBe('Use port 8003'))
    await click('use-suggested-port')
    await vi.waitFor(() => expect((requireTestId('field-port') as HTMLInputElement).value).toBe('8003'))
    expect(byTestId('use-suggested-port')).toBeNull()
    expect(server.callsTo('GET /api/profiles/suggest-port')).toHaveLength(1)
  })

  it('Servers says in place that a start found its port taken, and moves it to a free port and starts', async () => {
    useAuthStore().user = makeUser({ isAdmin: true })
    let moved = false
    const server = fakeServer({
      'GET /api/servers': () => json([makeServerStatus({ profileId: 1 })]),
      'GET /api/profiles': () => json([makeProfile({ id: 1 })]),
      'GET /api/profiles/suggest-port': () => json({ port: 8005 }),
      'PATCH /api/profiles/1': () => {
        moved = true
        return json(makeProfile({ id: 1, port: 8005 }))
      },
      'POST /api/servers/1/start': () =>
        moved
          ? json(makeServerStatus({ profileId: 1, state: 'starting', port: 8005, pid: 3, startedAt: '2026-01-01T10:00:00.000Z' }))
          : failure(409, 'port-in-use', 'Port 8000 on 127.0.0.1 is in use by another program. Stop that program or choose another port.'),
    })
    mountInApp(ServersView, { plugins: [routerStub()] })
    await vi.waitFor(() => expect(byTestId('server-start')).not.toBeNull())
    await click('server-start')
    await vi.waitFor(() => expect(text('servers-port-conflict')).toContain('in use by another program'))
    await click('servers-use-port')
    await vi.waitFor(() => expect(server.callsTo('POST /api/servers/1/start')).toHaveLength(2))
    expect(server.callsTo('PATCH /api/profiles/1').map((call) => call.body)).toEqual([{ port: 8005 }])
    await vi.waitFor(() => expect(byTestId('servers-port-conflict')).toBeNull())
  })
})
