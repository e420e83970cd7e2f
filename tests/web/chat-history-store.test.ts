import { afterEach, describe, expect, it, vi } from 'vitest'
import { db } from '../../web/src/db/database'
import { MESSAGE_WINDOW, useChatHistoryStore } from '../../web/src/features/chat/history-store'
import * as history from '../../web/src/features/chat/repository'
import { parseChatExport } from '../../web/src/features/chat/transfer'
import { newMessage, type MessageRow } from '../../web/src/features/chat/types'
import { ROOT } from '../../web/src/features/chat/versions'

/** A conversation saved on this device with these messages, user and assistant in turn, on the given day. */
async function conversationWith(title: string, contents: string[], day = 1) {
  const at = new Date(Date.UTC(2026, 0, day))
  const conversation = await history.createConversation(db, { title }, at)
  for (const [seq, content] of contents.entries()) await history.saveMessage(db, message(conversation.id, seq, content, at))
  return (await history.getConversation(db, conversation.id))!
}

function message(conversationId: string, seq: number, content: string, at = new Date(Date.UTC(2026, 0, 1))): MessageRow {
  return newMessage({ id: `${conversationId}-m${seq}`, conversationId, seq, role: seq % 2 === 0 ? 'user' : 'assistant', content, createdAt: at.toISOString() })
}

const titles = () => useChatHistoryStore().conversations.map((c) => c.title)
const contents = () => useChatHistoryStore().messages.map((m) => m.content)

afterEach(() => vi.restoreAllMocks())

describe('the conversations list', () => {
  it('is empty and unlisted until loaded, then lists newest first', async () => {
    const chats = useChatHistoryStore()
    expect(chats.conversations).toEqual([])
    expect(chats.listed).toBe(false)
    expect(chats.messages).toEqual([])
    expect(chats.hasEarlier).toBe(false)
    expect(chats.versions).toEqual([])
    expect(chats.query).toBe('')
    expect(chats.results).toEqual([])
    await conversationWith('Older', ['a'], 1)
    await conversationWith('Newer', ['b'], 2)
    await chats.loadList()
    expect(chats.listed).toBe(true)
    expect(titles()).toEqual(['Newer', 'Older'])
  })

  it('a changed conversation moves to the top once, and one that is gone changes nothing', async () => {
    const older = await conversationWith('Older', ['a'], 1)
    await conversationWith('Middle', ['b'], 2)
    await conversationWith('Newer', ['c'], 3)
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.update(older.id, { title: 'Renamed' })
    expect(titles()).toEqual(['Renamed', 'Newer', 'Middle'])
    await chats.update('gone', { title: 'Nothing' })
    expect(titles()).toEqual(['Renamed', 'Newer', 'Middle'])
  })

  it('renames with the name trimmed and cut at 200 characters, and ignores a blank name', async () => {
    const conversation = await conversationWith('Before', ['a'])
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.rename(conversation.id, '   After   ')
    expect(chats.conversations[0]?.title).toBe('After')
    await chats.rename(conversation.id, `  ${'x'.repeat(250)}`)
    expect(chats.conversations[0]?.title).toBe('x'.repeat(200))
    await chats.rename(conversation.id, '   ')
    expect(chats.conversations[0]?.title).toBe('x'.repeat(200))
    expect((await history.getConversation(db, conversation.id))?.title).toBe('x'.repeat(200))
  })

  it('pins and unpins a listed conversation, on the device too; an unknown one is left alone', async () => {
    const conversation = await conversationWith('Pin me', ['a'], 1)
    const other = await conversationWith('Other', ['b'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.togglePin(conversation.id)
    expect(chats.conversations.map((c) => [c.title, c.pinned])).toEqual([
      ['Pin me', 1],
      ['Other', 0],
    ])
    expect((await history.getConversation(db, conversation.id))?.pinned).toBe(1)
    // The other one pins by its own state, not the pinned one above it.
    await chats.togglePin(other.id)
    expect(chats.conversations.map((c) => [c.title, c.pinned])).toEqual([
      ['Other', 1],
      ['Pin me', 1],
    ])
    await chats.togglePin(other.id)
    await chats.togglePin(conversation.id)
    expect(chats.conversations.find((c) => c.id === conversation.id)?.pinned).toBe(0)
    expect((await history.getConversation(db, conversation.id))?.pinned).toBe(0)
    await chats.togglePin('unknown')
    expect(chats.conversations.map((c) => c.pinned)).toEqual([0, 0])
    expect(await db.conversations.count()).toBe(2)
  })

  it('deleting another conversation keeps the open one, and takes the deleted one out of the list and the results', async () => {
    const kept = await conversationWith('Kept', ['walnut bread'], 1)
    const gone = await conversationWith('Gone', ['walnut cake'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.open(kept.id)
    await chats.search('walnut')
    expect(chats.results.map((hit) => hit.conversation.title)).toEqual(['Gone', 'Kept'])
    await chats.remove(gone.id)
    expect(chats.activeId).toBe(kept.id)
    expect(contents()).toEqual(['walnut bread'])
    expect(titles()).toEqual(['Kept'])
    expect(chats.results.map((hit) => hit.conversation.title)).toEqual(['Kept'])
    expect(await history.getConversation(db, gone.id)).toBeNull()
    // Deleting the open one leaves an empty composer.
    await chats.remove(kept.id)
    expect(chats.activeId).toBeNull()
    expect(chats.messages).toEqual([])
    expect(titles()).toEqual([])
    expect(chats.results).toEqual([])
  })

  it('a blank search finds nothing and clears the results', async () => {
    await conversationWith('Soup', ['tomato soup'])
    const chats = useChatHistoryStore()
    await chats.search('tomato')
    expect(chats.results).toHaveLength(1)
    await chats.search('')
    expect(chats.query).toBe('')
    expect(chats.results).toEqual([])
  })
})

describe('opening a conversation', () => {
  it('opens one that is not listed yet at the top, returns whether it could, and keeps the order of one that is', async () => {
    const older = await conversationWith('Older', ['a'], 1)
    await conversationWith('Newer', ['b'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()
    const late = await conversationWith('Arrived later', ['c'], 0)
    expect(await chats.open(late.id)).toBe(true)
    expect(titles()).toEqual(['Arrived later', 'Newer', 'Older'])
    expect(await chats.open(older.id)).toBe(true)
    expect(chats.active?.title).toBe('Older')
    expect(titles()).toEqual(['Arrived later', 'Newer', 'Older'])
    expect(await chats.open('missing')).toBe(false)
    expect(chats.activeId).toBe(older.id)
    expect(contents()).toEqual(['a'])
  })

  it('opening the open conversation again keeps its window as it is', async () => {
    const conversation = await conversationWith('Open', ['question'])
    const chats = useChatHistoryStore()
    await chats.open(conversation.id)
    chats.append(newMessage({ conversationId: conversation.id, seq: chats.nextSeq(), role: 'assistant', content: 'being written' }))
    expect(await chats.open(conversation.id)).toBe(true)
    expect(contents()).toEqual(['question', 'being written'])
  })

  it('a slower open of an earlier choice never replaces the conversation opened after it', async () => {
    const first = await conversationWith('First', ['first question'])
    const second = await conversationWith('Second', ['second question'])
    const real = history.loadMessages
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    vi.spyOn(history, 'loadMessages').mockImplementation(async (database, id, window) => {
      if (id === first.id) await gate
      return real(database, id, window)
    })
    const chats = useChatHistoryStore()
    const slow = chats.open(first.id)
    await vi.waitFor(() => expect(chats.activeId).toBe(first.id))
    await chats.open(second.id)
    release()
    await slow
    expect(chats.activeId).toBe(second.id)
    expect(contents()).toEqual(['second question'])
  })

  it('a conversation whose first messages were removed starts its window at the first one left: nothing earlier', async () => {
    const conversation = await conversationWith('Trimmed', ['a', 'b', 'c', 'd', 'e', 'f'])
    await db.messages.where('[conversationId+seq]').between([conversation.id, 0], [conversation.id, 2], true, false).delete()
    const chats = useChatHistoryStore()
    await chats.open(conversation.id)
    expect(chats.messages.map((m) => m.seq)).toEqual([2, 3, 4, 5])
    expect(chats.hasEarlier).toBe(false)
  })

  it('loads earlier messages a window at a time, and nothing when none is open or the window is empty', async () => {
    const conversation = await conversationWith('Long', [])
    await db.messages.bulkPut(Array.from({ length: MESSAGE_WINDOW * 2 + 5 }, (_, seq) => message(conversation.id, seq, `m${seq}`)))
    const chats = useChatHistoryStore()
    await chats.open(conversation.id)
    expect(chats.messages[0]?.seq).toBe(MESSAGE_WINDOW + 5)
    expect(chats.hasEarlier).toBe(true)
    await chats.loadEarlier()
    expect(chats.messages[0]?.seq).toBe(5)
    expect(chats.hasEarlier).toBe(true)
    await chats.loadEarlier()
    expect(chats.messages.map((m) => m.seq)).toEqual(Array.from({ length: MESSAGE_WINDOW * 2 + 5 }, (_, seq) => seq))
    expect(chats.hasEarlier).toBe(false)

    // A conversation just created has nothing to load.
    await chats.create({ title: 'Empty' })
    await chats.loadEarlier()
    expect(chats.messages).toEqual([])
    expect(chats.hasEarlier).toBe(false)
    // Nor does the empty composer, whatever its window holds.
    chats.showEmpty(null)
    chats.append(message('draft', 3, 'not saved'))
    await chats.loadEarlier()
    expect(contents()).toEqual(['not saved'])
  })

  it('the empty composer shows no messages, versions or earlier messages of the conversation left', async () => {
    const conversation = await conversationWith('Versions', ['question', 'answer'])
    await history.saveMessage(db, message(conversation.id, 2, 'another', new Date(Date.UTC(2026, 0, 2))))
    const chats = useChatHistoryStore()
    await chats.open(conversation.id)
    await chats.setAsideFrom(1)
    expect(contents()).toEqual(['question'])
    expect(chats.versions).toHaveLength(1)
    chats.showEmpty(null)
    expect(chats.activeId).toBeNull()
    expect(chats.messages).toEqual([])
    expect(chats.versions).toEqual([])
    expect(chats.hasEarlier).toBe(false)
  })
})

describe('versions of the open conversation', () => {
  it('setting aside with nothing open changes nothing', async () => {
    const conversation = await conversationWith('Untouched', ['question', 'answer'])
    const chats = useChatHistoryStore()
    chats.append(message(conversation.id, 0, 'question'))
    await chats.setAsideFrom(0)
    expect(contents()).toEqual(['question'])
    expect(await history.countMessages(db, conversation.id)).toBe(2)
    expect(await db.messageVersions.count()).toBe(0)
  })

  it('sets aside from a message on, lists the version, and moves the conversation up', async () => {
    const conversation = await conversationWith('Asked', ['q1', 'a1', 'q2', 'a2'], 1)
    await conversationWith('Later', ['x'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.open(conversation.id)
    await chats.setAsideFrom(2)
    expect(contents()).toEqual(['q1', 'a1'])
    expect(chats.versions.map((v) => v.parentId)).toEqual([`${conversation.id}-m1`])
    expect(titles()).toEqual(['Asked', 'Later'])
    expect(chats.active?.messageCount).toBe(2)
  })

  it('showing a version with nothing open does nothing', async () => {
    const chats = useChatHistoryStore()
    await chats.showVersion(ROOT, 'any')
    expect(chats.activeId).toBeNull()
    expect(chats.messages).toEqual([])
  })

  it('a first question whose automatic title stays the same leaves the list as it is', async () => {
    const conversation = await conversationWith('Tell me about dogs', ['Tell me about dogs'], 1)
    await conversationWith('Later', ['x'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()
    const update = vi.spyOn(history, 'updateConversation')
    await chats.followFirstMessage(conversation, { content: 'Tell me about dogs', attachments: [] }, { content: 'Tell me about **dogs**', attachments: [] })
    expect(update).not.toHaveBeenCalled()
    expect(titles()).toEqual(['Later', 'Tell me about dogs'])
    await chats.followFirstMessage(conversation, { content: 'Tell me about dogs', attachments: [] }, { content: 'Tell me about cats', attachments: [] })
    expect(titles()).toEqual(['Tell me about cats', 'Later'])
  })

  it('the title follows the first question back and forth, also when the window does not reach it', async () => {
    const long = ['Tell me about dogs', ...Array.from({ length: MESSAGE_WINDOW + 10 }, (_, i) => `more ${i + 1}`)]
    const conversation = await conversationWith('Tell me about dogs', long)
    const chats = useChatHistoryStore()
    await chats.loadList()
    await chats.open(conversation.id)
    // The first question edited: everything is set aside and the new question starts again at 0.
    await chats.setAsideFrom(0)
    const edited = chats.append(newMessage({ conversationId: conversation.id, seq: 0, role: 'user', content: 'Tell me about cats' }))
    await chats.save(edited)
    await chats.followFirstMessage(conversation, { content: 'Tell me about dogs', attachments: [] }, edited)
    expect(chats.active?.title).toBe('Tell me about cats')

    // The long version back: its window starts past the first question, and the title follows it.
    await chats.showVersion(ROOT, chats.versions[0]?.id ?? '')
    expect(chats.messages[0]?.seq).toBeGreaterThan(0)
    expect(chats.hasEarlier).toBe(true)
    expect(chats.active?.title).toBe('Tell me about dogs')
    // And the short one again, from a window that does not show the first question.
    await chats.showVersion(ROOT, chats.versions[0]?.id ?? '')
    expect(contents()).toEqual(['Tell me about cats'])
    expect(chats.active?.title).toBe('Tell me about cats')
    expect((await history.getConversation(db, conversation.id))?.title).toBe('Tell me about cats')
  })
})

describe('export and import from the store', () => {
  it('exports one conversation under its title, or all, as JSON or Markdown', async () => {
    const soup = await conversationWith('Tomato soup', ['How long?', 'Twenty minutes.'], 1)
    await conversationWith('Bread', ['Which flour?'], 2)
    const chats = useChatHistoryStore()
    await chats.loadList()

    const one = await chats.exportChats('json', [soup.id])
    expect(one).toMatchObject({ name: 'chat-tomato-soup.json', type: 'application/json' })
    expect(parseChatExport(one.content).conversations.map((c) => [c.title, c.messages.map((m) => m.content)])).toEqual([['Tomato soup', ['How long?', 'Twenty minutes.']]])

    const all = await chats.exportChats('json')
    expect(all.name).toBe('chat-all-conversations.json')
    expect(parseChatExport(all.content).conversations.map((c) => c.title).sort()).toEqual(['Bread', 'Tomato soup'])
    const two = await chats.exportChats('markdown', [soup.id, (await history.listConversations(db))[0]?.id ?? ''])
    expect(two.name).toBe('chat-all-conversations.md')

    const markdown = await chats.exportChats('markdown', [soup.id])
    expect(markdown).toMatchObject({ name: 'chat-tomato-soup.md', type: 'text/markdown' })
    expect(markdown.content).toContain('Twenty minutes.')
    expect(markdown.content).not.toContain('Which flour?')
  })

  it('importing lists what came in and reopens the open conversation with the messages it gained', async () => {
    const soup = await conversationWith('Tomato soup', ['How long?', 'Twenty minutes.', 'And salt?', 'A pinch.'])
    const chats = useChatHistoryStore()
    const file = await chats.exportChats('json')
    await history.deleteMessagesFrom(db, soup.id, 2)
    await chats.open(soup.id)
    expect(contents()).toEqual(['How long?', 'Twenty minutes.'])
    expect(chats.listed).toBe(false)

    const result = await chats.importChats(file.content)
    expect(result).toMatchObject({ added: 1, messagesAdded: 2 })
    expect(chats.listed).toBe(true)
    expect(chats.activeId).toBe(soup.id)
    expect(contents()).toEqual(['How long?', 'Twenty minutes.', 'And salt?', 'A pinch.'])
  })

  it('importing with nothing open lists the conversations and opens none', async () => {
    await conversationWith('Tomato soup', ['How long?'])
    const chats = useChatHistoryStore()
    const file = await chats.exportChats('json')
    await Promise.all(db.tables.map((table) => table.clear()))
    const result = await chats.importChats(file.content)
    expect(result).toMatchObject({ added: 1 })
    expect(chats.activeId).toBeNull()
    expect(chats.messages).toEqual([])
    expect(titles()).toEqual(['Tomato soup'])
  })
})
