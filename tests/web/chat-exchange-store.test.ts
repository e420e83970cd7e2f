import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Peer, RemoteProfile } from '../../shared/peers'
import { db } from '../../web/src/db/database'
import { useChatHistoryStore } from '../../web/src/features/chat/history-store'
import * as history from '../../web/src/features/chat/repository'
import { useChatStore } from '../../web/src/features/chat/store'
import { DEFAULT_PARAMETERS, newMessage, type Attachment } from '../../web/src/features/chat/types'
import { peerChatId } from '../../web/src/features/peers/chat'
import { usePeersStore } from '../../web/src/features/peers/store'
import { useProfilesStore } from '../../web/src/features/profiles/store'
import { useServersStore } from '../../web/src/features/servers/store'
import { answerWith, chatServer, type ChatHandler, type Reply, until } from './chat-replies'
import { failure, fakeServer, json, makeProfile, makeServerStatus } from './helpers'

const BRIEF = { systemPrompt: 'Be brief.', temperature: 0.3, topP: null, maxTokens: 100 }

beforeEach(() => {
  useProfilesStore().profiles = [makeProfile(), makeProfile({ id: 2, name: 'Vision', model: 'mlx-community/vision', modelType: 'multimodal' })]
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
})

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

/** A reply the test writes into by hand, through `replies`. */
function held(replies: Reply[]): ChatHandler {
  return (_request, reply) => {
    replies.push(reply)
    return undefined
  }
}

function remote(overrides: Partial<RemoteProfile> = {}): RemoteProfile {
  return { id: 4, name: 'Fox', aliases: [], model: 'mlx-community/fox', engine: 'mlx_lm.server', modelType: 'lm', state: 'ready', failure: null, ...overrides }
}

function peer(overrides: Partial<Peer> = {}): Peer {
  return {
    id: 1,
    name: 'studio',
    state: 'online',
    availableToMembers: true,
    profiles: [],
    since: '2026-03-01T10:00:00.000Z',
    url: null,
    keyPrefix: null,
    lastError: null,
    createdAt: '2026-03-01T10:00:00.000Z',
    ...overrides,
  }
}

const textFile = (text: string): Attachment => ({ id: 'a1', kind: 'text', name: 'notes.txt', mimeType: 'text/plain', size: text.length, text })
const roles = () => useChatHistoryStore().messages.map((m) => m.role)

describe('the model and settings of the chat', () => {
  it('a new chat has the default settings, no model, and nothing to answer', () => {
    useServersStore().loaded = true
    const chat = useChatStore()
    expect(chat.parameters).toEqual(DEFAULT_PARAMETERS)
    expect(chat.profileId).toBeNull()
    expect(chat.profile).toBeNull()
    expect(chat.serverState).toBeNull()
    expect(chat.onPeer).toBe(false)
    expect(chat.unanswered).toBe(false)
  })

  it('the open conversation’s model and settings win over the draft’s, and choosing changes the conversation', async () => {
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const conversation = await history.createConversation(db, { title: 'Pictures', profileId: 2, profileName: 'Vision', model: 'mlx-community/vision', parameters: BRIEF })
    await chats.open(conversation.id)
    expect(chat.profileId).toBe(2)
    expect(chat.profile?.name).toBe('Vision')
    expect(chat.parameters).toEqual(BRIEF)

    await chat.chooseProfile(1)
    expect(chats.active).toMatchObject({ profileId: 1, profileName: 'Qwen3 4B', model: 'mlx-community/Qwen3-4B-4bit' })
    expect(await history.getConversation(db, conversation.id)).toMatchObject({ profileId: 1, profileName: 'Qwen3 4B' })
    await chat.chooseProfile(99)
    expect(chats.active).toMatchObject({ profileId: 99, profileName: null, model: null })
    expect(chat.profile).toBeNull()

    await chat.setParameters({ ...BRIEF, temperature: 0.9 })
    expect(chats.active?.parameters.temperature).toBe(0.9)
    expect((await history.getConversation(db, conversation.id))?.parameters.temperature).toBe(0.9)
    expect(chat.draftProfileId).toBe(1)
  })

  it('with no conversation open, choosing a model and settings changes the draft and clears a refusal', async () => {
    const chat = useChatStore()
    chat.failure = { code: 'offline', message: 'offline', profileId: 1 }
    await chat.chooseProfile(2)
    expect(chat.draftProfileId).toBe(2)
    expect(chat.failure).toBeNull()
    await chat.setParameters(BRIEF)
    expect(chat.parameters).toEqual(BRIEF)
    expect(await db.conversations.count()).toBe(0)
  })

  it('an empty composer keeps the model and settings of the conversation left, not the newest one’s, and moving between conversations keeps the draft', async () => {
    const left = await history.createConversation(db, { title: 'Left', profileId: 2, parameters: BRIEF }, new Date('2026-01-01T00:00:00Z'))
    const newer = await history.createConversation(db, { title: 'Newer', profileId: 1 }, new Date('2026-01-02T00:00:00Z'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    await chats.loadList()
    chat.draftProfileId = 1
    await chats.open(left.id)
    await chats.open(newer.id)
    expect(chat.draftProfileId).toBe(1)
    await chats.open(left.id)
    chat.startNew()
    expect(chats.activeId).toBeNull()
    expect(chat.draftProfileId).toBe(2)
    expect(chat.parameters).toEqual(BRIEF)
    // A hint names the model for the next conversation; none keeps the one there is.
    chat.startNew(1)
    expect(chat.profileId).toBe(1)
    chat.startNew()
    expect(chat.profileId).toBe(1)
  })
})

describe('the model picker', () => {
  it('names a local profile with its server’s state unless ready, and says stopped while the servers are unknown', () => {
    const chat = useChatStore()
    const servers = useServersStore()
    const [qwen, vision] = chat.chatProfiles
    expect(chat.stateOf(1)).toBeNull()
    expect(chat.optionLabel(qwen!)).toBe('Qwen3 4B (stopped)')
    servers.servers = [makeServerStatus({ profileId: 1, state: 'ready' })]
    servers.loaded = true
    expect(chat.stateOf(1)).toBe('ready')
    expect(chat.stateOf(2)).toBe('stopped')
    expect(chat.chatProfiles.map((p) => chat.optionLabel(p))).toEqual(['Qwen3 4B', 'Vision (stopped)'])
    servers.servers = [makeServerStatus({ profileId: 1, state: 'ready' }), makeServerStatus({ profileId: 2, name: 'Vision', state: 'starting' })]
    expect(chat.optionLabel(vision!)).toBe('Vision (starting)')
  })

  it('lists other managers’ chat models as model@machine after this one’s, with their states there, and an unreachable one’s as unreachable', () => {
    const servers = useServersStore()
    servers.servers = [makeServerStatus({ profileId: 1, state: 'ready' })]
    servers.loaded = true
    usePeersStore().peers = [
      peer({ profiles: [remote(), remote({ id: 5, name: 'Owl', state: 'stopped' }), remote({ id: 6, name: 'Vectors', modelType: 'embeddings' })] }),
      peer({ id: 2, name: 'attic', state: 'unreachable', profiles: [remote({ id: 4, name: 'Bee' })] }),
    ]
    const chat = useChatStore()
    expect(chat.chatProfiles.map((p) => p.name)).toEqual(['Qwen3 4B', 'Vision', 'Fox@studio', 'Owl@studio', 'Bee@attic'])
    expect(chat.chatProfiles.map((p) => chat.optionLabel(p))).toEqual(['Qwen3 4B', 'Vision (stopped)', 'Fox@studio', 'Owl@studio (stopped)', 'Bee@attic (unreachable)'])
    expect(chat.stateOf(peerChatId(1, 4))).toBe('ready')
    expect(chat.stateOf(peerChatId(1, 5))).toBe('stopped')
    // As last heard: a profile or a manager that is gone is unknown, not stopped.
    expect(chat.stateOf(peerChatId(1, 7))).toBeNull()
    expect(chat.stateOf(peerChatId(3, 4))).toBeNull()
    const gone = { ...chat.chatProfiles[2]!, id: peerChatId(1, 7), name: 'Gone@studio' }
    expect(chat.optionLabel(gone)).toBe('Gone@studio (stopped)')
    // A manager no longer followed cannot be reached.
    expect(chat.optionLabel({ ...gone, id: peerChatId(3, 4), name: 'Fox@cellar' })).toBe('Fox@cellar (unreachable)')
  })

  it('a peer’s model is answered there: the chat knows it is on a peer and names it in the conversation', async () => {
    usePeersStore().peers = [peer({ profiles: [remote()] })]
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    expect(chat.onPeer).toBe(false)
    chat.draftProfileId = peerChatId(1, 4)
    expect(chat.onPeer).toBe(true)
    expect(chat.profile?.name).toBe('Fox@studio')
    // A profile that is gone is no model at all, not some peer's.
    chat.draftProfileId = 99
    expect(chat.profile).toBeNull()
    chat.draftProfileId = peerChatId(1, 4)
    expect(chat.serverState).toBe('ready')
    await chats.open((await history.createConversation(db, { title: 'Local first', profileId: 1 })).id)
    await chat.chooseProfile(peerChatId(1, 4))
    expect(chats.active).toMatchObject({ profileId: peerChatId(1, 4), profileName: 'Fox@studio', model: 'mlx-community/fox' })
    expect(chat.onPeer).toBe(true)
  })

  it('loading picks a ready server’s model first, else the first that chats, else none; a chosen one stays', async () => {
    const profiles = [makeProfile({ id: 3, name: 'Vectors', modelType: 'embeddings' }), makeProfile(), makeProfile({ id: 2, name: 'Vision', modelType: 'multimodal' })]
    fakeServer({
      'GET /api/profiles': () => json(profiles),
      'GET /api/servers': () => json([makeServerStatus({ profileId: 1 }), makeServerStatus({ profileId: 2, state: 'ready' }), makeServerStatus({ profileId: 3, state: 'ready' })]),
      'GET /api/peers/servers': () => failure(500, 'internal', 'Something went wrong.'),
    })
    const chat = useChatStore()
    await chat.loadServing()
    expect(chat.draftProfileId).toBe(2)
    expect(chat.optionLabel(chat.profile!)).toBe('Vision')

    chat.draftProfileId = 1
    await chat.loadServing()
    expect(chat.draftProfileId).toBe(1)
  })

  it('with no server ready the first model that chats is chosen, and with none that chats, none', async () => {
    const server = fakeServer({
      'GET /api/profiles': () => json([makeProfile({ id: 3, name: 'Vectors', modelType: 'embeddings' }), makeProfile({ id: 2, name: 'Vision', modelType: 'multimodal' }), makeProfile()]),
      'GET /api/servers': () => json([makeServerStatus({ profileId: 3, state: 'ready' })]),
      'GET /api/peers/servers': () => json([]),
    })
    const chat = useChatStore()
    await chat.loadServing()
    expect(chat.chatProfiles.map((p) => p.name)).toEqual(['Qwen3 4B', 'Vision'])
    expect(chat.draftProfileId).toBe(1)

    server.on('GET /api/profiles', () => json([makeProfile({ id: 3, name: 'Vectors', modelType: 'embeddings' })]))
    await useProfilesStore().load()
    chat.draftProfileId = null
    await chat.loadServing()
    expect(chat.draftProfileId).toBeNull()
  })
})

describe('sending', () => {
  it('the conversation is started with the chosen model, and the question is kept as typed with no attachments', async () => {
    const server = chatServer(answerWith(null, 'Hi.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 2
    await chat.setParameters(BRIEF)
    await chat.send('hello')
    expect(chats.active).toMatchObject({ profileId: 2, profileName: 'Vision', model: 'mlx-community/vision', parameters: BRIEF })
    expect(chats.messages[0]).toMatchObject({ role: 'user', content: 'hello', attachments: [] })
    expect(server.requests[0]?.messages).toEqual([{ role: 'user', content: 'hello' }])
    expect(chat.unanswered).toBe(false)
  })

  it('without a chosen model the question starts a conversation, is kept, and the way out is said', async () => {
    const server = chatServer()
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    await chat.send('hello')
    expect(chats.active).toMatchObject({ profileId: null, profileName: null, model: null })
    expect(roles()).toEqual(['user'])
    expect(chat.failure).toEqual({ code: 'no-profile', message: 'Choose a model to answer: pick a profile above.', profileId: null })
    expect(chat.unanswered).toBe(true)
    expect(server.requests).toEqual([])
  })

  it('a conversation whose model is gone is refused with the same way out', async () => {
    const server = chatServer()
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    await chats.open((await history.createConversation(db, { title: 'Orphan', profileId: 42 })).id)
    await chat.send('still there?')
    expect(chats.active?.title).toBe('Orphan')
    expect(chat.failure?.code).toBe('no-profile')
    expect(roles()).toEqual(['user'])
    expect(server.requests).toEqual([])
  })

  it('a blank message is not sent; an attachment alone is, as a copy', async () => {
    const server = chatServer(answerWith(null, 'Read it.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('   ')
    expect(chats.activeId).toBeNull()
    expect(await db.conversations.count()).toBe(0)
    const file = textFile('line one')
    await chat.send('', [file])
    expect(chats.messages[0]?.attachments).toEqual([file])
    expect(chats.messages[0]?.attachments[0]).not.toBe(file)
    expect(server.requests[0]?.messages[0]?.content).toContain('line one')
    expect(chats.active?.title).toBe('notes.txt')
    expect(roles()).toEqual(['user', 'assistant'])
  })

  it('offline, the question is kept to send again and nothing is sent; back online it is answered', async () => {
    const online = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const server = chatServer(answerWith(null, 'Back.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('are you there?')
    expect(chat.failure).toMatchObject({ code: 'offline', profileId: 1 })
    expect(roles()).toEqual(['user'])
    expect(chat.unanswered).toBe(true)
    expect(server.requests).toEqual([])
    online.mockReturnValue(true)
    await chat.generate()
    expect(chats.messages.map((m) => m.content)).toEqual(['are you there?', 'Back.'])
    expect(chat.unanswered).toBe(false)
  })

  it('a message too large to send is refused before any request, and the question stays', async () => {
    const server = chatServer()
    const chat = useChatStore()
    chat.draftProfileId = 1
    await chat.send('summarise this', [textFile('x'.repeat(33 * 1024 * 1024))])
    expect(chat.failure).toMatchObject({ code: 'too-large', message: expect.stringContaining('too large to send') as string, profileId: 1 })
    expect(roles()).toEqual(['user'])
    expect(server.requests).toEqual([])
  })

  it('with nothing open, generating does nothing', async () => {
    const server = chatServer()
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chats.append(newMessage({ conversationId: 'none', seq: 1, role: 'assistant', content: 'Once', status: 'stopped' }))
    await chat.generate()
    await chat.regenerate()
    await chat.continueAnswer()
    expect(server.requests).toEqual([])
    expect(chat.failure).toBeNull()
  })
})

describe('while an answer is being written', () => {
  it('it waits for the first words, and nothing else is sent, regenerated, edited or switched', async () => {
    const replies: Reply[] = []
    const server = chatServer(answerWith(null, 'First.'), held(replies))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('question')
    const regenerating = chat.regenerate()
    await until(() => replies.length === 1)
    await until(() => chat.streaming !== null)
    expect(chat.streaming).toMatchObject({ phase: 'waiting', notice: null, conversationId: chats.activeId })
    expect(chats.versions).toHaveLength(1)
    const question = chats.messages[0]!

    await chat.send('another')
    await chat.generate()
    await chat.regenerate()
    await chat.editAndResend(question.id, 'edited')
    await chat.showVersion(question.id, chats.versions[0]?.id ?? '')
    expect(chats.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'question'],
      ['assistant', ''],
    ])
    expect(chats.versions).toHaveLength(1)
    expect(server.requests).toHaveLength(2)
    expect(chat.unanswered).toBe(false)

    replies[0]?.event('token', { text: 'Second.' })
    await until(() => chat.streaming?.phase === 'streaming')
    replies[0]?.end()
    await regenerating
    expect(chats.messages.map((m) => m.content)).toEqual(['question', 'Second.'])
    expect(chat.streaming).toBeNull()
  })

  it('a connection lost after some words keeps them, marked as an error; lost before any, nothing is kept', async () => {
    const replies: Reply[] = []
    chatServer(held(replies), held(replies), held(replies))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1

    const first = chat.send('one')
    await until(() => replies.length === 1)
    replies[0]?.event('token', { text: 'Half' })
    await until(() => chats.messages[1]?.content === 'Half')
    replies[0]?.drop()
    await first
    expect(chats.messages[1]).toMatchObject({ content: 'Half', status: 'error', error: { code: 'stream-interrupted' } })
    expect((await db.messages.get(chats.messages[1]?.id ?? ''))?.status).toBe('error')
    expect(chat.failure).toBeNull()

    // Only thoughts so far are an answer too.
    const second = chat.send('two')
    await until(() => replies.length === 2)
    replies[1]?.event('reasoning', { text: 'Hmm' })
    await until(() => chats.messages[3]?.reasoning === 'Hmm')
    replies[1]?.drop()
    await second
    expect(chats.messages[3]).toMatchObject({ content: '', reasoning: 'Hmm', status: 'error' })

    const third = chat.send('three')
    await until(() => replies.length === 3)
    replies[2]?.drop()
    await third
    expect(roles()).toEqual(['user', 'assistant', 'user', 'assistant', 'user'])
    expect(chat.failure).toMatchObject({ code: 'stream-interrupted', profileId: 1 })
    expect(chat.unanswered).toBe(true)
  })
})

describe('continuing, regenerating and editing', () => {
  it('an answer stopped before a word, a question, or an empty conversation has nothing to continue', async () => {
    const replies: Reply[] = []
    const server = chatServer(held(replies))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    await chats.open((await history.createConversation(db, { title: 'Empty', profileId: 1 })).id)
    expect(chats.active?.title).toBe('Empty')
    await chat.continueAnswer()
    await chat.regenerate()
    expect(server.requests).toEqual([])

    chat.draftProfileId = 1
    chat.startNew()
    const sending = chat.send('tell me')
    await until(() => replies.length === 1)
    chat.stop()
    await sending
    expect(chats.messages[1]).toMatchObject({ content: '', status: 'stopped' })
    await chat.continueAnswer()
    expect(server.requests).toHaveLength(1)
  })

  it('continuing offline says so and leaves the answer stopped', async () => {
    const replies: Reply[] = []
    const server = chatServer(held(replies))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const sending = chat.send('tell me')
    await until(() => replies.length === 1)
    replies[0]?.event('token', { text: 'Once' })
    await until(() => chats.messages[1]?.content === 'Once')
    chat.stop()
    await sending
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await chat.continueAnswer()
    expect(chat.failure?.code).toBe('offline')
    expect(chats.messages[1]).toMatchObject({ content: 'Once', status: 'stopped' })
    expect(server.requests).toHaveLength(1)
  })

  it('regenerating after a refused question answers it and keeps it, with no version set aside', async () => {
    const server = chatServer(() => failure(409, 'busy', 'Busy, try again.'), answerWith(null, 'Now.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('please')
    expect(roles()).toEqual(['user'])
    await chat.regenerate()
    expect(chats.messages.map((m) => m.content)).toEqual(['please', 'Now.'])
    expect(chats.versions).toEqual([])
    expect(server.requests[1]?.messages).toEqual([{ role: 'user', content: 'please' }])
  })

  it('edits the question asked, not another one, and a later question never renames the conversation', async () => {
    const server = chatServer(answerWith(null, 'Dogs.'), answerWith(null, 'Dogs again.'), answerWith(null, 'Cats.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('Tell me about dogs')
    await chat.send('Tell me about dogs')
    await chat.editAndResend(chats.messages[2]?.id ?? '', 'Tell me about cats')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'Dogs.', 'Tell me about cats', 'Cats.'])
    expect(chats.active?.title).toBe('Tell me about dogs')
    expect(server.requests).toHaveLength(3)
  })

  it('an answer, an unknown message, or a message with no conversation open is not edited', async () => {
    const server = chatServer(answerWith(null, 'Dogs.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('Tell me about dogs')
    await chat.editAndResend(chats.messages[1]?.id ?? '', 'Cats.')
    await chat.editAndResend('unknown', 'Cats.')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'Dogs.'])
    expect(chats.versions).toEqual([])
    const question = chats.messages[0]!
    chats.showEmpty(null)
    chats.append(question)
    await chat.editAndResend(question.id, 'Tell me about cats')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs'])
    expect(server.requests).toHaveLength(1)
  })
})

describe('starting a server from the chat', () => {
  it('marks the profile starting while the call runs, and only the latest start when two overlap', async () => {
    const release = new Map<number, () => void>()
    fakeServer({
      'POST /api/chat/start': async (call) => {
        const { profileId } = call.body as { profileId: number }
        await new Promise<void>((resolve) => release.set(profileId, resolve))
        return json(makeServerStatus({ profileId, state: 'starting' }), 202)
      },
    })
    const chat = useChatStore()
    const first = chat.startServer(1)
    expect(chat.startingProfileId).toBe(1)
    const second = chat.startServer(2)
    expect(chat.startingProfileId).toBe(2)
    await until(() => release.size === 2)
    release.get(1)?.()
    await first
    expect(chat.startingProfileId).toBe(2)
    release.get(2)?.()
    await second
    expect(chat.startingProfileId).toBeNull()
    expect(useServersStore().byId.get(1)?.state).toBe('starting')
  })

  it('a refused start is said and the profile is no longer marked starting', async () => {
    fakeServer({ 'POST /api/chat/start': () => failure(403, 'profile-not-available', 'This profile is not shared with you.') })
    const chat = useChatStore()
    await expect(chat.startServer(1)).rejects.toMatchObject({ code: 'profile-not-available' })
    expect(chat.startingProfileId).toBeNull()
  })
})
