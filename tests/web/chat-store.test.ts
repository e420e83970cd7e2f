import { flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { toRaw, watch } from 'vue'
import { db } from '../../web/src/db/database'
import { useAuthStore } from '../../web/src/features/auth/store'
import { useProfilesStore } from '../../web/src/features/profiles/store'
import * as history from '../../web/src/features/chat/repository'
import { useChatHistoryStore } from '../../web/src/features/chat/history-store'
import { useChatStore } from '../../web/src/features/chat/store'
import { ROOT, versionPoint } from '../../web/src/features/chat/versions'
import { answerWith, chatServer, METRICS, type Reply, until } from './chat-replies'
import { failure, makeProfile, makeUser } from './helpers'

beforeEach(() => {
  useProfilesStore().profiles = [makeProfile(), makeProfile({ id: 2, name: 'Vision', modelType: 'multimodal', systemPrompt: 'Be brief.' })]
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(true)
})

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('chat store', () => {
  it('starts a conversation, streams reasoning and tokens, and keeps both messages with the metrics', async () => {
    const server = chatServer(answerWith('Thinking it over.', 'Hello', ' there', '!'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('  Say hello to the  world  ')
    expect(server.requests[0]).toMatchObject({ profileId: 1, messages: [{ role: 'user', content: 'Say hello to the  world' }] })
    expect(chats.active?.title).toBe('Say hello to the world')
    const [user, answer] = chats.messages
    expect(answer).toMatchObject({ role: 'assistant', content: 'Hello there!', reasoning: 'Thinking it over.', status: 'complete', metrics: METRICS, profileName: 'Qwen3 4B' })
    expect(answer?.reasoningMs).toBeGreaterThanOrEqual(0)
    expect(chat.streaming).toBeNull()
    const stored = await db.messages.where('conversationId').equals(chats.activeId ?? '').sortBy('seq')
    expect(stored.map((m) => [m.seq, m.role, m.content])).toEqual([[0, 'user', user?.content], [1, 'assistant', 'Hello there!']])
    expect(stored[1]?.metrics).toEqual(METRICS)
  })

  it('sends the history, the conversation parameters, and the next answer after the last', async () => {
    const server = chatServer(answerWith(null, 'One.'), answerWith(null, 'Two.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 2
    await chat.setParameters({ systemPrompt: 'Answer in French.', temperature: 0.2, topP: null, maxTokens: 64 })
    await chat.send('first')
    await chat.send('second')
    expect(server.requests[1]).toEqual({
      profileId: 2,
      systemPrompt: 'Answer in French.',
      temperature: 0.2,
      maxTokens: 64,
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'One.' },
        { role: 'user', content: 'second' },
      ],
    })
    expect(chats.active?.parameters).toEqual({ systemPrompt: 'Answer in French.', temperature: 0.2, topP: null, maxTokens: 64 })
    expect(chats.messages.map((m) => m.seq)).toEqual([0, 1, 2, 3])
  })

  it('stops an answer mid-stream and keeps what arrived, marked stopped', async () => {
    let reply: Reply | null = null
    chatServer((_request, r) => {
      reply = r
      queueMicrotask(() => r.event('token', { text: 'Partial' }))
      return undefined
    })
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const sending = chat.send('Write a long story')
    await until(() => chats.messages[1]?.content === 'Partial')
    expect(chat.streaming?.phase).toBe('streaming')
    expect(reply).not.toBeNull()
    chat.stop()
    await sending
    expect(chats.messages[1]).toMatchObject({ content: 'Partial', status: 'stopped' })
    expect((await db.messages.get(chats.messages[1]?.id ?? ''))?.status).toBe('stopped')
  })

  it('shows an engine error with the answer and keeps it', async () => {
    chatServer((_request, reply) => {
      queueMicrotask(() => {
        reply.event('token', { text: 'Half' })
        reply.event('error', { code: 'engine-error', message: 'The engine said: out of memory' })
        reply.end()
      })
      return undefined
    })
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('hi')
    expect(chats.messages[1]).toMatchObject({ content: 'Half', status: 'error', error: { code: 'engine-error', message: 'The engine said: out of memory' } })
  })

  it('a reply from a server started for it says the model is loading until the first words, in one request', async () => {
    const loading = 'Qwen3 4B is not running, so it is being started; the answer follows once it is ready.'
    const server = chatServer((_request, reply) => {
      queueMicrotask(() => {
        reply.event('loading', { message: loading })
        reply.event('token', { text: 'Ready now.' })
        reply.event('metrics', METRICS)
        reply.event('done', { finishReason: 'stop' })
        reply.end()
      })
      return undefined
    })
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const seen: [string | undefined, string | null | undefined][] = []
    const stopWatching = watch(() => [chat.streaming?.phase, chat.streaming?.notice] as const, ([phase, notice]) => void seen.push([phase, notice]), { flush: 'sync' })
    await chat.send('hi')
    stopWatching()
    expect(server.requests).toHaveLength(1)
    expect(seen).toContainEqual(['loading-model', loading])
    expect(seen).toContainEqual(['streaming', null])
    expect(chats.messages[1]?.content).toBe('Ready now.')
    expect(chat.failure).toBeNull()
  })

  it('a refusal saves no answer and says what to do', async () => {
    chatServer(() => failure(400, 'images-not-supported', 'Qwen3 4B is not set up for images: its model type is lm. Use a multimodal profile, or send text only.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('hi')
    expect(chats.messages.map((m) => m.role)).toEqual(['user'])
    expect(chat.failure).toEqual({ code: 'images-not-supported', message: expect.stringContaining('not set up for images') as string, profileId: 1 })
    expect(await db.messages.count()).toBe(1)
  })

  it('a refusal that means the session ended goes to the auth store, as every store’s calls do', async () => {
    chatServer(() => failure(401, 'unauthorized', 'Sign in again.'))
    const auth = useAuthStore()
    const handled = vi.spyOn(auth, 'handleFailure').mockResolvedValue()
    const chat = useChatStore()
    chat.draftProfileId = 1
    await chat.send('hi')
    expect(handled).toHaveBeenCalledWith(expect.objectContaining({ code: 'unauthorized', status: 401 }))
    expect(chat.failure?.code).toBe('unauthorized')
  })

  it('a manager that cannot be reached before a word marks the app offline and keeps the question to send again', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    const auth = useAuthStore()
    auth.user = makeUser()
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('hi')
    expect(chat.failure?.code).toBe('network-unreachable')
    expect(auth.offline).toBe(true)
    expect(chats.messages.map((m) => m.role)).toEqual(['user'])
    expect(chat.unanswered).toBe(true)
  })

  it('leaving the conversation being answered stops the answer, and an empty composer keeps its model and settings', async () => {
    chatServer(answerWith(null, 'Short.'), (_request, r) => {
      queueMicrotask(() => r.event('token', { text: 'Partial' }))
      return undefined
    })
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('first')
    const first = chats.activeId ?? ''
    chat.startNew()
    chat.draftProfileId = 2
    await chat.setParameters({ systemPrompt: 'Be short.', temperature: null, topP: null, maxTokens: null })
    const sending = chat.send('second')
    await until(() => chats.messages[1]?.content === 'Partial')
    const second = chats.activeId ?? ''
    await chats.open(first)
    await sending
    expect(chat.streaming).toBeNull()
    expect((await db.messages.where('conversationId').equals(second).sortBy('seq')).map((m) => m.status)).toEqual(['complete', 'stopped'])
    // Deleting the open conversation leaves an empty composer with that conversation's model and settings.
    await chats.open(second)
    await chats.remove(second)
    expect(chats.activeId).toBeNull()
    expect(chat.profileId).toBe(2)
    expect(chat.parameters.systemPrompt).toBe('Be short.')
  })

  it('before sending, offline and no chosen profile are each refused with their reason', () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const chat = useChatStore()
    chat.draftProfileId = 1
    expect(chat.preflight()).toMatchObject({ code: 'offline', message: expect.stringContaining('You are offline') as string })
    chat.draftProfileId = null
    expect(chat.preflight()?.code).toBe('no-profile')
  })

  it('regenerates the last answer in place and resends an edited question without what followed', async () => {
    const server = chatServer(answerWith(null, 'First try.'), answerWith(null, 'Second try.'), answerWith(null, 'About cats.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('Tell me about dogs')
    await chat.regenerate()
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'Second try.'])
    expect(server.requests[1]?.messages).toEqual([{ role: 'user', content: 'Tell me about dogs' }])
    await chat.editAndResend(chats.messages[0]?.id ?? '', 'Tell me about cats')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about cats', 'About cats.'])
    const stored = await db.messages.where('conversationId').equals(chats.activeId ?? '').sortBy('seq')
    expect(stored.map((m) => m.content)).toEqual(['Tell me about cats', 'About cats.'])
    // Words only the dropped answers had are gone from the search index too.
    await chats.search('second')
    expect(chats.results).toEqual([])
    await chats.search('cats')
    expect(chats.results.map((hit) => hit.conversation.id)).toEqual([chats.activeId])
  })

  it('keeps a regenerated answer as an earlier version and switches between them, also after reopening', async () => {
    chatServer(answerWith(null, 'First try.'), answerWith(null, 'Second try.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('Tell me about dogs')
    const question = chats.messages[0]?.id ?? ''
    const first = chats.messages[1]?.id ?? ''
    await chat.regenerate()
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'Second try.'])
    expect(chats.versions).toEqual([{ id: expect.any(String) as string, parentId: question, createdAt: expect.any(String) as string }])
    expect(versionPoint(chats.versions, question, chats.messages[1]!)).toMatchObject({ position: 2, total: 2, nextId: null })

    // ‹ brings the first answer back in place (same message, same id), and the second becomes the version.
    await chat.showVersion(question, chats.versions[0]?.id ?? '')
    expect(chats.messages.map((m) => [m.id === first, m.content])).toEqual([[false, 'Tell me about dogs'], [true, 'First try.']])
    expect(versionPoint(chats.versions, question, chats.messages[1]!)).toMatchObject({ position: 1, total: 2, previousId: null })
    expect(chats.active?.messageCount).toBe(2)

    // Saved: a fresh open shows the chosen version and still knows the other.
    const id = chats.activeId ?? ''
    chat.startNew()
    await chats.open(id)
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'First try.'])
    expect(chats.versions).toHaveLength(1)
    await chat.showVersion(question, chats.versions[0]?.id ?? '')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about dogs', 'Second try.'])
    // Search sees the shown version only.
    await chats.search('second')
    expect(chats.results.map((hit) => hit.conversation.id)).toEqual([id])
    await chats.search('first')
    expect(chats.results).toEqual([])
  })

  it('an edited first question keeps the old question and answer as a version and renames an automatic title', async () => {
    chatServer(answerWith(null, 'About dogs.'), answerWith(null, 'About cats.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('Tell me about **dogs**')
    expect(chats.active?.title).toBe('Tell me about dogs')
    await chat.editAndResend(chats.messages[0]?.id ?? '', '## Tell me about `cats`')
    expect(chats.messages.map((m) => m.content)).toEqual(['## Tell me about `cats`', 'About cats.'])
    expect(chats.active?.title).toBe('Tell me about cats')
    expect(chats.versions.map((v) => v.parentId)).toEqual([ROOT])
    expect(versionPoint(chats.versions, ROOT, chats.messages[0]!)).toMatchObject({ position: 2, total: 2 })
    // Back to the first question: its answer comes with it, and the title follows it back.
    await chat.showVersion(ROOT, chats.versions[0]?.id ?? '')
    expect(chats.messages.map((m) => m.content)).toEqual(['Tell me about **dogs**', 'About dogs.'])
    expect(chats.active?.title).toBe('Tell me about dogs')
    expect((await history.getConversation(db, chats.activeId ?? ''))?.title).toBe('Tell me about dogs')
  })

  it('a title the user chose stays when the first question is edited', async () => {
    chatServer(answerWith(null, 'One.'), answerWith(null, 'Two.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('first question')
    await chats.rename(chats.activeId ?? '', 'My own name')
    await chat.editAndResend(chats.messages[0]?.id ?? '', 'another question')
    expect(chats.active?.title).toBe('My own name')
  })

  it('continues a stopped answer in the same message, sending what it wrote as the start of its turn', async () => {
    const server = chatServer((_request, r) => {
      queueMicrotask(() => r.event('token', { text: 'Once upon' }))
      return undefined
    }, answerWith(null, ' a time.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const sending = chat.send('Write a long story')
    await until(() => chats.messages[1]?.content === 'Once upon')
    chat.stop()
    await sending
    const stopped = chats.messages[1]
    expect(stopped?.status).toBe('stopped')
    await chat.continueAnswer()
    expect(server.requests[1]?.messages).toEqual([
      { role: 'user', content: 'Write a long story' },
      { role: 'assistant', content: 'Once upon' },
    ])
    expect(chats.messages).toHaveLength(2)
    expect(chats.messages[1]).toMatchObject({ id: stopped?.id, content: 'Once upon a time.', status: 'complete', metrics: METRICS })
    expect(await db.messages.get(stopped?.id ?? '')).toMatchObject({ content: 'Once upon a time.', status: 'complete' })
    expect(chats.active?.messageCount).toBe(2)
    // Only a stopped answer continues.
    await chat.continueAnswer()
    expect(server.requests).toHaveLength(2)
  })

  it('a refused continue leaves the answer stopped, to continue later', async () => {
    chatServer((_request, r) => {
      queueMicrotask(() => r.event('token', { text: 'Half' }))
      return undefined
    }, () => failure(403, 'profile-not-available', 'Qwen3 4B is no longer shared with you.'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    const sending = chat.send('Go on')
    await until(() => chats.messages[1]?.content === 'Half')
    chat.stop()
    await sending
    await chat.continueAnswer()
    expect(chats.messages[1]).toMatchObject({ content: 'Half', status: 'stopped' })
    expect(chat.failure?.code).toBe('profile-not-available')
  })

  it('opens a long conversation at its end and loads earlier messages on demand', async () => {
    chatServer(answerWith(null, 'ok'))
    const chat = useChatStore()
    const chats = useChatHistoryStore()
    chat.draftProfileId = 1
    await chat.send('start')
    const id = chats.activeId ?? ''
    const first = structuredClone(toRaw(chats.messages[0]!))
    const rows = Array.from({ length: 150 }, (_, i) => ({ ...first, id: `m${i}`, seq: 10 + i, content: `message ${i}` }))
    await db.messages.bulkPut(rows)
    chat.startNew()
    await chats.open(id)
    expect(chats.messages).toHaveLength(60)
    expect(chats.messages.at(-1)?.content).toBe('message 149')
    expect(chats.hasEarlier).toBe(true)
    // A new conversation has nothing earlier to offer.
    chat.startNew()
    expect(chats.hasEarlier).toBe(false)
    await chats.open(id)
    expect(chats.hasEarlier).toBe(true)
    await chats.loadEarlier()
    expect(chats.messages).toHaveLength(120)
    expect(chats.messages[0]?.content).toBe('message 30')
    expect(chats.hasEarlier).toBe(true)
    // The last 32 (the first messages, the answer and 30 more): nothing earlier is left.
    await chats.loadEarlier()
    expect(chats.messages).toHaveLength(152)
    expect(chats.hasEarlier).toBe(false)
    // A short conversation has nothing earlier from the start.
    chat.startNew()
    await chats.open(id)
    await db.messages.where('conversationId').equals(id).and((row) => row.seq >= 20).delete()
    chat.startNew()
    await chats.open(id)
    expect(chats.messages.length).toBeLessThan(60)
    expect(chats.hasEarlier).toBe(false)
    await flushPromises()
  })
})

describe('which profiles the chat offers', () => {
  it('only those whose model chats: language and multimodal models, and custom commands', () => {
    useProfilesStore().profiles = [
      makeProfile({ id: 1, name: 'Words', modelType: 'lm' }),
      makeProfile({ id: 2, name: 'Eyes', modelType: 'multimodal' }),
      makeProfile({ id: 3, name: 'Vectors', modelType: 'embeddings' }),
      makeProfile({ id: 4, name: 'Ears', modelType: 'whisper' }),
      makeProfile({ id: 5, name: 'Pictures', modelType: 'image-generation' }),
      makeProfile({ id: 6, name: 'Anything', engine: 'custom', modelType: 'embeddings' }),
    ]
    expect(useChatStore().chatProfiles.map((profile) => profile.name)).toEqual(['Words', 'Eyes', 'Anything'])
  })
})

describe('chat searches that cross', () => {
  it('a slower earlier search never overwrites the newer one’s results', async () => {
    const real = history.searchConversations
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    vi.spyOn(history, 'searchConversations').mockImplementation(async (database, text, limit) => {
      if (text === 'slow') await gate
      return real(database, text, limit)
    })
    const chats = useChatHistoryStore()
    await history.createConversation(db, { title: 'Slow words' }, new Date('2026-01-01T00:00:00Z'))
    await history.createConversation(db, { title: 'Fast words' }, new Date('2026-01-02T00:00:00Z'))
    const slow = chats.search('slow')
    await chats.search('fast')
    release()
    await slow
    expect(chats.results.map((hit) => hit.conversation.title)).toEqual(['Fast words'])
  })
})
