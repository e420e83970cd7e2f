import Dexie from 'dexie'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { db, ManagerDatabase } from '../../web/src/db/database'
import { groupConversations } from '../../web/src/features/chat/groups'
import {
  countMessages,
  createConversation,
  deleteConversation,
  deleteMessagesFrom,
  getConversation,
  listConversations,
  loadMessages,
  saveMessage,
  searchConversations,
  updateConversation,
} from '../../web/src/features/chat/repository'
import { queryTerms, snippet, termsOf } from '../../web/src/features/chat/search'
import { isAutomaticTitle, titleFor } from '../../web/src/features/chat/title'
import { newMessage, type ConversationRow, type MessageRow } from '../../web/src/features/chat/types'
import { listVersions, setAsideFrom, switchVersion, versionPoint } from '../../web/src/features/chat/versions'

const opened: ManagerDatabase[] = []
afterEach(() => {
  for (const database of opened.splice(0)) database.close()
})

function message(conversationId: string, seq: number, content: string, extra: Partial<MessageRow> = {}): MessageRow {
  const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString()
  return newMessage({ id: `${conversationId}-m${seq}`, conversationId, seq, role: seq % 2 === 0 ? 'user' : 'assistant', content, createdAt, ...extra })
}

async function conversationWith(title: string, contents: string[], at?: string) {
  const conversation = await createConversation(db, { title }, at === undefined ? undefined : new Date(at))
  for (const [seq, content] of contents.entries()) {
    await saveMessage(db, message(conversation.id, seq, content, at === undefined ? {} : { createdAt: at }))
  }
  return conversation
}

const termsIn = async (id: string) => (await db.conversationTerms.get(id))?.terms ?? []
const found = async (query: string, limit?: number) => (await searchConversations(db, query, limit)).map((hit) => hit.conversation.title)

describe('chat tables (database version 3)', () => {
  it('opens over a version-2 database with catalog rows, keeps them, and adds the chat tables', async () => {
    const name = `chat-upgrade-${Date.now()}`
    const old = new Dexie(name)
    old.version(1).stores({ settings: 'key', session: 'key' })
    old.version(2).stores({ catalogModels: 'id, syncedAt', catalogDetails: 'id, syncedAt', catalogMeta: 'key', catalogIndex: 'key' })
    await old.table('settings').put({ key: 'theme', value: 'dark' })
    await old.table('catalogModels').put({ id: 'mlx-community/a', model: { id: 'mlx-community/a' }, syncedAt: '2026-01-01T00:00:00.000Z', trendingRank: 3 })
    old.close()

    const current = new ManagerDatabase(name)
    opened.push(current)
    await current.open()
    expect(current.verno).toBeGreaterThanOrEqual(3)
    expect(await current.settings.get('theme')).toEqual({ key: 'theme', value: 'dark' })
    expect((await current.catalogModels.get('mlx-community/a'))?.trendingRank).toBe(3)
    expect(current.conversations.schema.indexes.map((index) => index.name).sort()).toEqual(['pinned', 'updatedAt'])
    expect(current.conversationTerms.schema.indexes.map((index) => index.name)).toEqual(['terms'])
    expect(current.conversationTerms.schema.idxByName.terms?.multi).toBe(true)
    const conversation = await createConversation(current, { title: 'After the upgrade' })
    await saveMessage(current, message(conversation.id, 0, 'hello'))
    expect(await countMessages(current, conversation.id)).toBe(1)
  })
})

describe('answer versions (database version 4)', () => {
  it('opens over a version-3 database with conversations, keeps every conversation and message, and adds the versions table', async () => {
    const name = `versions-upgrade-${Date.now()}`
    const old = new Dexie(name)
    old.version(1).stores({ settings: 'key', session: 'key' })
    old.version(2).stores({ catalogModels: 'id, syncedAt', catalogDetails: 'id, syncedAt', catalogMeta: 'key', catalogIndex: 'key' })
    old.version(3).stores({ conversations: 'id, updatedAt, pinned', messages: 'id, [conversationId+seq]', conversationTerms: 'id, *terms' })
    const row: ConversationRow = {
      id: 'c1',
      title: 'Kept across the upgrade',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
      pinned: 1,
      profileId: 3,
      profileName: 'Qwen',
      model: 'mlx-community/q',
      parameters: { systemPrompt: 'Be brief.', temperature: 0.3, topP: null, maxTokens: null },
      messageCount: 2,
    }
    await old.table('conversations').put(row)
    await old.table('messages').bulkPut([message('c1', 0, 'an old question'), message('c1', 1, 'an old answer')])
    await old.table('conversationTerms').put({ id: 'c1', terms: ['kept', 'across', 'the', 'upgrade', 'an', 'old', 'question', 'answer'] })
    old.close()

    const current = new ManagerDatabase(name)
    opened.push(current)
    await current.open()
    expect(current.verno).toBe(4)
    expect(await getConversation(current, 'c1')).toEqual(row)
    expect((await loadMessages(current, 'c1', { limit: 10 })).map((m) => m.content)).toEqual(['an old question', 'an old answer'])
    expect((await searchConversations(current, 'old answer')).map((hit) => hit.conversation.id)).toEqual(['c1'])
    expect(current.messageVersions.schema.indexes.map((index) => index.name)).toEqual(['[conversationId+parentId]'])

    // An old conversation's answer can now be set aside and brought back.
    await setAsideFrom(current, 'c1', 1)
    const [version] = await listVersions(current, 'c1')
    expect(version).toMatchObject({ parentId: 'c1-m0' })
    expect(await countMessages(current, 'c1')).toBe(1)
    expect(await switchVersion(current, 'c1', 'c1-m0', version?.id ?? '')).toMatchObject({ messageCount: 2 })
    expect((await loadMessages(current, 'c1', { limit: 10 })).map((m) => m.content)).toEqual(['an old question', 'an old answer'])
    expect(await listVersions(current, 'c1')).toEqual([])
  })

  it('sets aside everything after an edited question, numbers versions per point, and deletes them with the conversation', async () => {
    const conversation = await conversationWith('Points', ['q1', 'a1', 'q2', 'a2'])
    const id = conversation.id
    // Two more answers to q2, then q1 edited: each point keeps its own versions.
    await setAsideFrom(db, id, 3)
    await saveMessage(db, message(id, 3, 'a2 again', { id: 'a2b', createdAt: '2026-01-02T00:00:00.000Z' }))
    await setAsideFrom(db, id, 2)
    expect(await countMessages(db, id)).toBe(2)
    const points = await listVersions(db, id)
    expect(points.map((v) => v.parentId).sort()).toEqual([`${id}-m1`, `${id}-m2`])
    expect(versionPoint(points, `${id}-m1`, { id: 'none-yet', createdAt: '2026-01-03T00:00:00.000Z' })).toMatchObject({ position: 2, total: 2, nextId: null })
    expect(versionPoint(points, 'elsewhere', { id: 'x', createdAt: '2026-01-03T00:00:00.000Z' })).toBeNull()
    // Bringing q2 back brings its shown answer (a2 again), and its own earlier version is still found by q2's id.
    const q2Version = points.find((v) => v.parentId === `${id}-m1`)
    await switchVersion(db, id, `${id}-m1`, q2Version?.id ?? '')
    expect((await loadMessages(db, id, { limit: 10 })).map((m) => m.content)).toEqual(['q1', 'a1', 'q2', 'a2 again'])
    expect(versionPoint(await listVersions(db, id), `${id}-m2`, { id: 'a2b', createdAt: '2026-01-02T00:00:00.000Z' })).toMatchObject({ position: 2, total: 2 })
    // A version of another point is refused, not mixed in.
    expect(await switchVersion(db, id, `${id}-m0`, q2Version?.id ?? '')).toBeNull()

    await deleteConversation(db, id)
    expect(await db.messageVersions.count()).toBe(0)
  })
})

describe('titles', () => {
  it('are plain text: Markdown symbols are stripped, links keep their words', () => {
    expect(titleFor('# How do I **sort** a `Map` in _TypeScript_?')).toBe('How do I sort a Map in TypeScript?')
    expect(titleFor('> quoted\n- item one\n1. step [the docs](https://example.com) ![chart](x.png)')).toBe('quoted item one step the docs chart')
    expect(titleFor('```ts\nconst x = 1\n```\nWhy?')).toBe('const x = 1 Why?')
    expect(titleFor('~~old~~ new <b>bold</b> __strong__ snake_case_name')).toBe('old new bold strong snake_case_name')
    expect(titleFor('***', [{ name: 'notes.txt' }])).toBe('notes.txt')
  })

  it('know when they were made from the first message, also before Markdown was stripped', () => {
    expect(isAutomaticTitle('Tell me about dogs', 'Tell me about **dogs**')).toBe(true)
    expect(isAutomaticTitle('Tell me about **dogs**', 'Tell me about **dogs**')).toBe(true)
    expect(isAutomaticTitle('Dogs', 'Tell me about **dogs**')).toBe(false)
  })
})

describe('conversations', () => {
  it('creates with defaults, lists newest first, renames, pins, and deletes with its messages', async () => {
    const older = await createConversation(db, { title: 'Older', model: 'mlx-community/x' }, new Date('2026-01-01T00:00:00Z'))
    const newer = await createConversation(db, { title: 'Newer' }, new Date('2026-01-02T00:00:00Z'))
    expect(older.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(older).toMatchObject({ pinned: 0, messageCount: 0, model: 'mlx-community/x', parameters: { systemPrompt: null, temperature: null, topP: null, maxTokens: null } })
    expect((await listConversations(db)).map((c) => c.title)).toEqual(['Newer', 'Older'])

    const pinned = await updateConversation(db, older.id, { pinned: 1, title: 'Renamed' })
    expect(pinned).toMatchObject({ pinned: 1, title: 'Renamed', updatedAt: older.updatedAt })
    expect(await getConversation(db, older.id)).toEqual(pinned)
    expect(await found('older')).toEqual([])
    expect(await found('renamed')).toEqual(['Renamed'])
    expect(await updateConversation(db, 'missing', { title: 'x' })).toBeNull()

    await saveMessage(db, message(newer.id, 0, 'one'))
    await saveMessage(db, message(newer.id, 1, 'two'))
    await saveMessage(db, message(older.id, 0, 'kept'))
    await deleteConversation(db, newer.id)
    expect(await getConversation(db, newer.id)).toBeNull()
    expect(await countMessages(db, newer.id)).toBe(0)
    expect(await db.messages.count()).toBe(1)
    expect(await db.conversationTerms.get(newer.id)).toBeUndefined()
  })

  it('keeps the words out of conversation rows: listing, opening and search results carry none', async () => {
    const conversation = await conversationWith('Words apart', ['a sentence with several words', 'another one'])
    expect(await termsIn(conversation.id)).toEqual(['words', 'apart', 'sentence', 'with', 'several', 'another', 'one'])
    const listed = await listConversations(db)
    expect(listed).toHaveLength(1)
    for (const row of [...listed, await getConversation(db, conversation.id), (await db.conversations.toArray())[0]]) {
      expect(row).not.toHaveProperty('terms')
      expect(Object.keys(row ?? {}).sort()).toEqual(['createdAt', 'id', 'messageCount', 'model', 'parameters', 'pinned', 'profileId', 'profileName', 'title', 'updatedAt'])
    }
    const [hit] = await searchConversations(db, 'several')
    expect(hit?.conversation).toEqual(await getConversation(db, conversation.id))
  })

  it('saveMessage writes the words row only when the message brings a new word', async () => {
    const conversation = await conversationWith('Rust', ['borrow checker'])
    const put = vi.spyOn(db.conversationTerms, 'put')
    const answer = message(conversation.id, 1, 'The borrow')
    await saveMessage(db, answer)
    expect(put).toHaveBeenCalledTimes(1)
    // Saving a streamed answer again with words the conversation already has writes nothing.
    await saveMessage(db, { ...answer, content: 'the Borrow checker, the borrow' })
    await saveMessage(db, message(conversation.id, 2, 'RUST checker'))
    expect(put).toHaveBeenCalledTimes(1)
    await saveMessage(db, message(conversation.id, 3, 'lifetimes and the checker'))
    expect(put).toHaveBeenCalledTimes(2)
    expect(await termsIn(conversation.id)).toEqual(['rust', 'borrow', 'checker', 'the', 'lifetimes', 'and'])
    expect((await getConversation(db, conversation.id))?.messageCount).toBe(4)
    expect(await found('lifet')).toEqual(['Rust'])
  })

  it('saveMessage counts new messages once, moves updatedAt forward, and adds the words to the index', async () => {
    const conversation = await createConversation(db, { title: 'Plans' }, new Date('2025-12-31T00:00:00Z'))
    const first = message(conversation.id, 0, 'Wandern im Schwarzwald')
    let row = await saveMessage(db, first)
    expect(row).toMatchObject({ messageCount: 1, updatedAt: first.createdAt })
    expect(await termsIn(conversation.id)).toEqual(['plans', 'wandern', 'im', 'schwarzwald'])

    // A streamed answer saved again as it grows is still one message.
    const answer = message(conversation.id, 1, 'Gute')
    await saveMessage(db, answer)
    row = await saveMessage(db, { ...answer, content: 'Gute Idee', status: 'complete' })
    expect(row.messageCount).toBe(2)
    expect(await countMessages(db, conversation.id)).toBe(2)
    expect(await termsIn(conversation.id)).toEqual(['plans', 'wandern', 'im', 'schwarzwald', 'gute', 'idee'])

    // An older timestamp never moves the conversation back.
    row = await saveMessage(db, message(conversation.id, 2, 'late', { createdAt: '2020-01-01T00:00:00.000Z' }))
    expect(row.updatedAt).toBe(answer.createdAt)
    await expect(saveMessage(db, message('nowhere', 0, 'x'))).rejects.toThrow(/no longer on this device/)
  })

  it('loads the newest window before a seq, oldest first, through the boundaries', async () => {
    const conversation = await createConversation(db, { title: 'Long' })
    const other = await createConversation(db, { title: 'Other' })
    // Gaps in seq are allowed (after edits); another conversation's messages must never leak in.
    const seqs = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12]
    await db.messages.bulkPut(seqs.map((seq) => message(conversation.id, seq, `m${seq}`)))
    await db.messages.bulkPut([message(other.id, 4, 'other'), message(other.id, 13, 'other')])

    const seqsOf = (rows: MessageRow[]) => rows.map((row) => row.seq)
    expect(seqsOf(await loadMessages(db, conversation.id, { limit: 5 }))).toEqual([8, 9, 10, 11, 12])
    expect(seqsOf(await loadMessages(db, conversation.id, { beforeSeq: 8, limit: 5 }))).toEqual([2, 3, 5, 6, 7])
    expect(seqsOf(await loadMessages(db, conversation.id, { beforeSeq: 2, limit: 5 }))).toEqual([0, 1])
    expect(await loadMessages(db, conversation.id, { beforeSeq: 0, limit: 5 })).toEqual([])
    expect(seqsOf(await loadMessages(db, conversation.id, { limit: 100 }))).toEqual(seqs)
    expect(await countMessages(db, conversation.id)).toBe(12)
    expect(await loadMessages(db, 'unknown', { limit: 5 })).toEqual([])
    await expect(loadMessages(db, conversation.id, { limit: 0 })).rejects.toThrow(RangeError)
  })

  it('deleteMessagesFrom truncates and rebuilds the index from what remains', async () => {
    const conversation = await conversationWith('Trip', ['pack the tent', 'take a kayak', 'and the zeppelin'])
    expect(await found('zeppelin')).toEqual(['Trip'])
    const row = await deleteMessagesFrom(db, conversation.id, 1)
    expect(row?.messageCount).toBe(1)
    expect((await loadMessages(db, conversation.id, { limit: 10 })).map((m) => m.content)).toEqual(['pack the tent'])
    expect(await found('zeppelin')).toEqual([])
    expect(await found('kayak')).toEqual([])
    expect(await found('tent')).toEqual(['Trip'])
    expect(await found('trip')).toEqual(['Trip'])
    expect(await deleteMessagesFrom(db, 'missing', 0)).toBeNull()
  })
})

describe('search', () => {
  it('folds words: lower case, diacritics off, unique, no one-letter words, capped', () => {
    expect(termsOf('Café CAFE naïve a I x2 über-cool Straße ﬁle')).toEqual(['cafe', 'naive', 'x2', 'uber', 'cool', 'strasse', 'file'])
    // Letters without a decomposition are spelled as typed without them.
    expect(termsOf('Tromsø Æsir Łódź')).toEqual(['tromso', 'aesir', 'lodz'])
    expect(termsOf('x'.repeat(500))).toEqual(['x'.repeat(40)])
    expect(termsOf(Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' '))).toHaveLength(2000)
    expect(termsOf('日本語 текст ΟΔΟΣ')).toEqual(['日本語', 'текст', 'οδοσ'])
    expect(queryTerms('  Café, a  ')).toEqual(['cafe'])
  })

  it('matches every query word as a word prefix, in titles and messages, newest first', async () => {
    await conversationWith('Pasta recipes', ['How long to boil spaghetti?', 'About nine minutes.'], '2026-01-01T00:00:00.000Z')
    await conversationWith('Travel', ['Best café in Lisbon', 'Try the pastéis de nata'], '2026-01-03T00:00:00.000Z')
    await conversationWith('Rust lifetimes', ['borrow checker error', 'spaghetti code again'], '2026-01-02T00:00:00.000Z')

    expect(await found('spag')).toEqual(['Rust lifetimes', 'Pasta recipes'])
    expect(await found('SPAGHETTI boil')).toEqual(['Pasta recipes'])
    expect(await found('spaghetti lisbon')).toEqual([])
    expect(await found('cafe')).toEqual(['Travel'])
    expect(await found('pasteis')).toEqual(['Travel'])
    expect(await found('past')).toEqual(['Travel', 'Pasta recipes'])
    expect(await found('recipes')).toEqual(['Pasta recipes'])
    // Prefix of a word, not a substring inside one.
    expect(await found('hetti')).toEqual([])
    expect(await found('')).toEqual([])
    expect(await found('   a ')).toEqual([])
    expect(await found('spag', 1)).toEqual(['Rust lifetimes'])
    // Two-letter words match whole words only: "ab" is not a prefix search for "about".
    expect(await found('ab')).toEqual([])
    expect(await found('de')).toEqual(['Travel'])
  })

  it('quotes the first matching message, or the title when it has every word', async () => {
    const conversation = await conversationWith('Lisbon trip', ['Where should we eat?', 'The Café Central near the river is good', 'ok'])
    const [hit] = await searchConversations(db, 'cafe river')
    expect(hit?.messageId).toBe(`${conversation.id}-m1`)
    expect(hit?.seq).toBe(1)
    expect(hit?.snippet?.text).toBe('The Café Central near the river is good')
    const marked = hit?.snippet?.matches.map(({ start, end }) => hit.snippet?.text.slice(start, end))
    expect(marked).toEqual(['Café', 'river'])

    const [byTitle] = await searchConversations(db, 'lisb')
    expect(byTitle?.messageId).toBeNull()
    expect(byTitle?.snippet).toEqual({ text: 'Lisbon trip', matches: [{ start: 0, end: 4 }] })
  })

  it('reads on past the first messages for the one to quote', async () => {
    const contents = Array.from({ length: 40 }, (_, i) => (i === 37 ? 'finally the narwhal' : `filler ${i}`))
    const conversation = await conversationWith('Deep', contents)
    const [hit] = await searchConversations(db, 'narwhal')
    expect(hit).toMatchObject({ messageId: `${conversation.id}-m37`, seq: 37, snippet: { text: 'finally the narwhal' } })
  })

  it('cuts long texts around the first match at spaces and collapses whitespace', () => {
    const text = `${'lorem ipsum '.repeat(20)}the   needle\n\nis here ${'dolor sit '.repeat(20)}`
    const cut = snippet(text, 'needle', 20)
    expect(cut?.text.startsWith('…')).toBe(true)
    expect(cut?.text.endsWith('…')).toBe(true)
    expect(cut?.text).toContain('the needle is here')
    expect(cut?.text.length).toBeLessThan(70)
    const match = cut?.matches[0]
    expect(match === undefined ? '' : cut?.text.slice(match.start, match.end)).toBe('needle')
    expect(snippet('nothing to see', 'needle')).toBeNull()
    expect(snippet('a kayak, ka', 'ka')?.matches).toEqual([{ start: 9, end: 11 }])
    expect(snippet('anything', '')).toBeNull()
    // Matches keep their place in the original text even when folding changes lengths (ﬁ → fi).
    const ligature = snippet('the ﬁnal ﬁle', 'file')
    expect(ligature?.matches.map(({ start, end }) => ligature.text.slice(start, end))).toEqual(['ﬁle'])
  })
})

describe('sidebar groups', () => {
  const row = (title: string, updatedAt: string, pinned: 0 | 1 = 0) => ({ title, updatedAt, pinned }) as Pick<ConversationRow, 'title' | 'updatedAt' | 'pinned'>
  const local = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).toISOString()

  it('puts pinned first, then days, then months for a year, then years, each newest first', () => {
    const now = new Date(2026, 2, 10, 9, 30) // 10 March 2026, 09:30 local
    const groups = groupConversations(
      [
        row('old year', local(2024, 6, 1)),
        row('this morning', local(2026, 3, 10, 0)),
        row('pinned old', local(2023, 1, 1), 1),
        row('late last night', new Date(2026, 2, 9, 23, 59).toISOString()),
        row('yesterday early', local(2026, 3, 9, 0)),
        row('three days ago', local(2026, 3, 7)),
        row('seven days ago', local(2026, 3, 3)),
        row('eight days ago', local(2026, 3, 2)),
        row('thirty days ago', local(2026, 2, 8)),
        row('thirty-one days ago', local(2026, 2, 7)),
        row('january', local(2026, 1, 5)),
        row('december', local(2025, 12, 24)),
        row('april last year', local(2025, 4, 30)),
        row('march last year', local(2025, 3, 31)),
        row('pinned new', local(2026, 3, 10), 1),
        row('future', local(2026, 3, 12)),
      ],
      now,
    )
    expect(groups.map((g) => [g.label, g.rows.map((r) => r.title)])).toEqual([
      ['Pinned', ['pinned new', 'pinned old']],
      ['Today', ['future', 'this morning']],
      ['Yesterday', ['late last night', 'yesterday early']],
      ['Previous 7 days', ['three days ago', 'seven days ago']],
      ['Previous 30 days', ['eight days ago', 'thirty days ago']],
      ['February 2026', ['thirty-one days ago']],
      ['January 2026', ['january']],
      ['December 2025', ['december']],
      ['April 2025', ['april last year']],
      ['2025', ['march last year']],
      ['2024', ['old year']],
    ])
    expect(groups.map((g) => g.key)).toContain('month:2026-02')
    expect(groups.map((g) => g.key)).toContain('year:2024')
  })

  it('crosses a year boundary on the first of January and omits empty groups', () => {
    const now = new Date(2027, 0, 1, 0, 5)
    const groups = groupConversations(
      [row('new year', local(2027, 1, 1, 0)), row('eve', new Date(2026, 11, 31, 23, 0).toISOString()), row('december', local(2026, 12, 10)), row('november', local(2026, 11, 15))],
      now,
    )
    expect(groups.map((g) => [g.label, g.rows.map((r) => r.title)])).toEqual([
      ['Today', ['new year']],
      ['Yesterday', ['eve']],
      ['Previous 30 days', ['december']],
      ['November 2026', ['november']],
    ])
    expect(groupConversations([], now)).toEqual([])
  })
})
