import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { useAuthStore } from '../../web/src/features/auth/store'
import ChatHeader from '../../web/src/features/chat/components/ChatHeader.vue'
import { useChatStore } from '../../web/src/features/chat/store'
import { useProfilesStore } from '../../web/src/features/profiles/store'
import { byTestId, click, mountInApp } from './components/mount'
import { fakeServer, json, makeProfile, makeServerStatus, makeUser } from './helpers'
import { routerStub } from './servers-router'

const profile = makeProfile({ id: 1, name: 'Qwen3 4B' })

describe('chat header and warnings follow the server', () => {
  it('the header starts the server ahead of the first question through the chat’s own route', async () => {
    const server = fakeServer({
      'GET /api/profiles': () => json([profile]),
      'GET /api/servers': () => json([makeServerStatus({ profileId: 1 })]),
      'POST /api/chat/start': () => json(makeServerStatus({ profileId: 1, state: 'starting', pid: 12, startedAt: '2026-01-01T10:00:00.000Z' }), 202),
    })
    useAuthStore().user = makeUser({ isAdmin: true })
    const chat = useChatStore()
    await chat.loadServing()
    chat.draftProfileId = 1
    mountInApp(ChatHeader, { props: { showChatsButton: false }, plugins: [routerStub()] })
    await flushPromises()
    await click('chat-start-server')
    await flushPromises()
    expect(server.callsTo('POST /api/chat/start')[0]?.body).toEqual({ profileId: 1 })
    expect(chat.serverState).toBe('starting')
  })

  it('offline, a chat whose servers are unknown shows no "Stopped" and no Start', async () => {
    fakeServer({})
    const auth = useAuthStore()
    auth.user = makeUser({ isAdmin: true })
    auth.offline = true
    useProfilesStore().profiles = [profile]
    const chat = useChatStore()
    chat.draftProfileId = 1
    mountInApp(ChatHeader, { props: { showChatsButton: false }, plugins: [routerStub()] })
    await flushPromises()
    expect(chat.serverState).toBeNull()
    expect(byTestId('server-state')).toBeNull()
    expect(byTestId('chat-start-server')).toBeNull()
  })

  it('offline with a last-known stopped server, offers no Start it cannot do', async () => {
    fakeServer({ 'GET /api/profiles': () => json([profile]), 'GET /api/servers': () => json([makeServerStatus({ profileId: 1 })]) })
    const auth = useAuthStore()
    auth.user = makeUser({ isAdmin: true })
    const chat = useChatStore()
    await chat.loadServing()
    chat.draftProfileId = 1
    auth.offline = true
    mountInApp(ChatHeader, { props: { showChatsButton: false }, plugins: [routerStub()] })
    await flushPromises()
    expect(byTestId('chat-start-server')).toBeNull()
  })
})
