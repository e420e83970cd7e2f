import { afterEach, describe, expect, it, vi } from 'vitest'
import { db, ManagerDatabase } from '../../web/src/db/database'
import { createConversation, listConversations, saveMessage, searchConversations, updateConversation } from '../../web/src/features/chat/repository'
import { downloadName, exportJson, exportMarkdown, importJson } from '../../web/src/features/chat/transfer'
import { newMessage, type MessageRow } from '../../web/src/features/chat/types'

const opened: ManagerDatabase[] = []
afterEach(() => {
  for (const database of opened.splice(0)) database.close()
})

function freshDb(): ManagerDatabase {
  const database = new ManagerDatabase(`chat-transfer-${crypto.randomUUID()}`)
  opened.push(database)
  return database
}

function message(conversationId: string, seq: number, content: string, extra: Partial<MessageRow> = {}): MessageRow {
  const createdAt = new Date(Date.UTC(2026, 4, 1, 10, 0, seq)).toISOString()
  return newMessage({ conversationId, seq, role: seq % 2 === 0 ? 'user' : 'assistant', content, createdAt, ...extra })
}

/** Two conversations with everything a message can carry: reasoning, metrics, attachments, an error. */
async function seed(database: ManagerDatabase) {
  const first = await createConversation(database, {
    title: 'Ünïcode & `fences`',
    profileId: 3,
    profileName: 'Qwen fast',
    model: 'mlx-community/Qwen3-8B-4bit',
    parameters: { systemPrompt: 'Be brief.\nAlways.', temperature: 0.7, topP: null, maxTokens: 512 },
  }, new Date('2026-05-01T09:00:00Z'))
  await saveMessage(database, message(first.id, 0, 'Read this file and the picture', {
    attachments: [
      { id: 'a1', kind: 'text', name: 'notes.md', mimeType: 'text/markdown', size: 30, text: 'inside ``` a fence\nline two' },
      { id: 'a2', kind: 'image', name: 'cat.png', mimeType: 'image/png', size: 2048, dataUrl: 'data:image/png;base64,iVBORw0KGgo=' },
    ],
  }))
  await saveMessage(database, message(first.id, 1, 'A **cat** reading notes.', {
    reasoning: 'The user wants a summary.',
    reasoningMs: 3200,
    metrics: { timeToFirstTokenMs: 230, promptTokens: 40, completionTokens: 128, generationTokensPerSecond: 42.13, promptTokensPerSecond: 170, totalMs: 3100 },
    profileName: 'Qwen fast',
  }))
  await saveMessage(database, message(first.id, 2, 'And again?'))
  await saveMessage(database, message(first.id, 3, 'Partial', { status: 'error', error: { code: 'engine-crashed', message: 'The server stopped.' } }))
  const second = await createConversation(database, { title: 'Second', pinned: 1 }, new Date('2026-04-01T00:00:00Z'))
  await saveMessage(database, message(second.id, 0, 'zebra crossing', { createdAt: '2026-04-01T00:00:01.000Z' }))
  return { first, second }
}

const sortedTerms = (terms: string[]) => [...terms].sort()

async function snapshot(database: ManagerDatabase) {
  const conversations = await database.conversations.orderBy('id').toArray()
  const terms = (await database.conversationTerms.orderBy('id').toArray()).map((row) => ({ ...row, terms: sortedTerms(row.terms) }))
  const messages = await database.messages.orderBy('id').toArray()
  return { conversations, terms, messages }
}

describe('JSON export and import', () => {
  it('exports a versioned document that imports into a fresh database exactly', async () => {
    const { first, second } = await seed(db)
    const text = await exportJson(db, undefined, new Date('2026-06-01T00:00:00Z'))
    const document = JSON.parse(text) as { format: string; version: number; exportedAt: string; conversations: Array<Record<string, unknown> & { messages: Array<Record<string, unknown>> }> }
    expect(document).toMatchObject({ format: 'mlx-manager-chats', version: 1, exportedAt: '2026-06-01T00:00:00.000Z' })
    expect(document.conversations.map((c) => c.id)).toEqual([first.id, second.id])
    expect(document.conversations[0]).not.toHaveProperty('terms')
    expect(document.conversations[0]?.messages[0]).not.toHaveProperty('conversationId')

    const target = freshDb()
    expect(await importJson(target, text)).toEqual({ added: 2, skipped: 0, messagesAdded: 5 })
    expect(await snapshot(target)).toEqual(await snapshot(db))
    // The rebuilt index finds what the original found.
    expect((await searchConversations(target, 'zebra')).map((hit) => hit.conversation.id)).toEqual([second.id])
    expect((await searchConversations(target, 'unicode')).map((hit) => hit.conversation.id)).toEqual([first.id])
  })

  it('exports only the conversations asked for', async () => {
    const { second } = await seed(db)
    const document = JSON.parse(await exportJson(db, [second.id, 'gone'])) as { conversations: Array<{ id: string }> }
    expect(document.conversations.map((c) => c.id)).toEqual([second.id])
  })

  it('adds nothing when the same file is imported twice', async () => {
    await seed(db)
    const text = await exportJson(db)
    const target = freshDb()
    await importJson(target, text)
    const before = await snapshot(target)
    expect(await importJson(target, text)).toEqual({ added: 0, skipped: 2, messagesAdded: 0 })
    expect(await snapshot(target)).toEqual(before)
    // Importing into the device it came from is the same: everything is already here.
    expect(await importJson(db, text)).toEqual({ added: 0, skipped: 2, messagesAdded: 0 })
  })

  it('merges a partial overlap by message id and keeps the local title, pin and settings', async () => {
    const { first } = await seed(db)
    const early = await exportJson(db, [first.id])
    const target = freshDb()
    await importJson(target, early)
    await updateConversation(target, first.id, { title: 'Renamed here', pinned: 1 })

    await saveMessage(db, message(first.id, 4, 'a brand new quokka question', { createdAt: '2026-05-02T00:00:00.000Z' }))
    await saveMessage(db, message(first.id, 5, 'and its answer', { createdAt: '2026-05-02T00:00:05.000Z' }))
    expect(await importJson(target, await exportJson(db))).toEqual({ added: 2, skipped: 0, messagesAdded: 3 })

    const merged = await target.conversations.get(first.id)
    expect(merged).toMatchObject({ title: 'Renamed here', pinned: 1, messageCount: 6, updatedAt: '2026-05-02T00:00:05.000Z' })
    expect(await target.messages.count()).toBe(7)
    expect((await searchConversations(target, 'quokka')).map((hit) => hit.conversation.title)).toEqual(['Renamed here'])
    expect((await searchConversations(target, 'renamed')).map((hit) => hit.conversation.title)).toEqual(['Renamed here'])
  })

  it('imports many conversations in one go, with a few bulk writes, merging the one already here', async () => {
    const target = freshDb()
    const here = await createConversation(target, { title: 'Already here' }, new Date('2026-01-01T00:00:00Z'))
    await saveMessage(target, message(here.id, 0, 'the first question', { createdAt: '2026-01-01T00:00:01.000Z' }))
    const exported = JSON.parse(await exportJson(target)) as { conversations: Array<{ messages: unknown[] }> }
    const conversations = Array.from({ length: 300 }, (_, i) => {
      const id = `c${String(i).padStart(3, '0')}`
      const at = new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString()
      const messages = Array.from({ length: 6 }, (_, seq) => ({ ...message(id, seq, `message ${seq} of chat ${i} mentions topic${i}`, { createdAt: at }), conversationId: undefined }))
      return { id, title: `Chat ${i}`, createdAt: at, updatedAt: at, pinned: 0, profileId: null, profileName: null, model: null, parameters: { systemPrompt: null, temperature: null, topP: null, maxTokens: null }, messageCount: 6, messages }
    })
    const old = exported.conversations[0]!
    old.messages.push({ ...message(here.id, 1, 'a wombat answer', { createdAt: '2026-01-01T00:00:02.000Z' }), conversationId: undefined })
    const text = JSON.stringify({ format: 'mlx-manager-chats', version: 1, exportedAt: '2026-03-02T00:00:00.000Z', conversations: [...conversations, old] })

    const bulkAdd = vi.spyOn(target.messages, 'bulkAdd')
    const put = vi.spyOn(target.conversations, 'put')
    expect(await importJson(target, text)).toEqual({ added: 301, skipped: 0, messagesAdded: 1801 })
    expect(bulkAdd).toHaveBeenCalledTimes(1)
    expect(put).not.toHaveBeenCalled()

    expect(await target.messages.count()).toBe(1802)
    expect(await target.conversationTerms.count()).toBe(301)
    const listed = await listConversations(target)
    expect(listed.map((c) => c.title).slice(0, 3)).toEqual(['Chat 299', 'Chat 298', 'Chat 297'])
    expect(listed.at(-1)).toMatchObject({ id: here.id, title: 'Already here', messageCount: 2, updatedAt: '2026-01-01T00:00:02.000Z' })
    expect((await searchConversations(target, 'topic123')).map((hit) => hit.conversation.title)).toEqual(['Chat 123'])
    expect((await searchConversations(target, 'wombat first')).map((hit) => hit.conversation.id)).toEqual([here.id])
    expect(await searchConversations(target, 'mentions')).toHaveLength(50)
    expect(await importJson(target, text)).toEqual({ added: 0, skipped: 301, messagesAdded: 0 })

    // A small file into a large history looks its ids up one by one: a message already in another
    // conversation stays there and is not added again.
    const taken = (await target.messages.limit(1).toArray())[0]!
    const stray = { ...conversations[0]!, id: 'stray', title: 'Stray', messages: [{ ...taken, conversationId: undefined }, { ...message('stray', 1, 'new'), conversationId: undefined }] }
    expect(await importJson(target, JSON.stringify({ format: 'mlx-manager-chats', version: 1, exportedAt: '2026-03-02T00:00:00.000Z', conversations: [stray] }))).toEqual({ added: 1, skipped: 0, messagesAdded: 1 })
    expect(await target.messages.get(taken.id)).toEqual(taken)
    expect(await target.conversations.get('stray')).toMatchObject({ messageCount: 1 })
  })

  it('rejects malformed documents with a sentence saying what is wrong, and writes nothing', async () => {
    const target = freshDb()
    const { first } = await seed(db)
    const good = JSON.parse(await exportJson(db)) as Record<string, unknown> & { conversations: Array<Record<string, unknown> & { messages: Array<Record<string, unknown>> }> }
    const broken = (change: (doc: typeof good) => void) => {
      const copy = structuredClone(good)
      change(copy)
      return JSON.stringify(copy)
    }
    const cases: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON.*exported from MLX Manager/],
      ['[]', /not an MLX Manager chat export/],
      [JSON.stringify({ format: 'something-else', version: 1 }), /not an MLX Manager chat export/],
      [broken((d) => (d.version = 2)), /version 2, made by a newer MLX Manager.*Update MLX Manager/],
      [broken((d) => (d.version = 0)), /version 0, which MLX Manager cannot read/],
      [broken((d) => delete d.version), /no version number/],
      [broken((d) => (d.conversations = {} as never)), /The export: "conversations" must be a list/],
      [broken((d) => (d.exportedAt = 'yesterday')), /"exportedAt" must be a date/],
      [broken((d) => delete d.conversations[0]?.title), /Conversation 1: "title" must be text/],
      [broken((d) => (d.conversations[1]!.pinned = true)), /Conversation 2 \("Second"\): "pinned" must be 0 or 1/],
      [broken((d) => (d.conversations[0]!.messages[2]!.seq = -1)), /Conversation 1 \("Ünïcode & `fences`"\), message 3: "seq" must be a whole number/],
      [broken((d) => (d.conversations[0]!.messages[0]!.role = 'system')), /message 1: "role" must be one of "user", "assistant"/],
      [broken((d) => ((d.conversations[0]!.messages[0]!.attachments as Array<Record<string, unknown>>)[1]!.kind = 'video')), /message 1, attachment 2: "kind"/],
      [broken((d) => (d.conversations[0]!.messages[1]!.metrics = { totalMs: 1 })), /message 2, metrics: "timeToFirstTokenMs" must be a number/],
      [broken((d) => (d.conversations[0]!.messages[3]!.id = d.conversations[0]!.messages[0]!.id)), /appears twice/],
      [broken((d) => d.conversations.push(structuredClone(d.conversations[0]!))), /Conversation 3: its id .* is used by an earlier conversation/],
    ]
    for (const [text, expected] of cases) {
      const failure = importJson(target, text)
      await expect(failure, text.slice(0, 80)).rejects.toThrow(expected)
      await expect(failure).rejects.toThrow(/[.!]$/)
    }
    expect(await target.conversations.count()).toBe(0)
    expect(await target.messages.count()).toBe(0)
    expect(first.id).toBeTruthy()
  })
})

describe('Markdown export', () => {
  it('writes a readable document with settings, reasoning, attachments and metrics', async () => {
    await seed(db)
    const markdown = await exportMarkdown(db)
    expect(markdown).toContain('# Ünïcode & `fences`')
    expect(markdown).toContain('- **Model:** `mlx-community/Qwen3-8B-4bit` (profile Qwen fast)')
    expect(markdown).toContain('- **Parameters:** temperature 0.7 · max tokens 512')
    expect(markdown).toContain('**System prompt**\n\n> Be brief.\n> Always.')
    expect(markdown).toContain('## User')
    expect(markdown).toContain('## Assistant (Qwen fast)')
    expect(markdown).toContain('<details>\n<summary>Thought for 3.2 s</summary>\n\nThe user wants a summary.\n\n</details>')
    // The text file is inlined in a fence longer than the one inside it; the picture is only named.
    expect(markdown).toContain('- File `notes.md` (text/markdown, 30 B)\n\n````md\ninside ``` a fence\nline two\n````')
    expect(markdown).toContain('- Image `cat.png` (image/png, 2.0 KB)')
    expect(markdown).not.toContain('base64')
    expect(markdown).toContain('*128 tokens · 42.1 tokens/s · first token 230 ms · 3.1 s in all*')
    expect(markdown).toContain('**Error:** The server stopped.')
    expect(markdown.indexOf('# Ünïcode')).toBeLessThan(markdown.indexOf('# Second'))
    expect(markdown).toContain('\n\n---\n\n# Second')
  })
})

describe('download names', () => {
  it('makes safe file names from titles, and dated ones for the whole history', () => {
    expect(downloadName('markdown', 'Café: plans / “2026”?')).toBe('chat-cafe-plans-2026.md')
    expect(downloadName('json', '../../etc/passwd')).toBe('chat-etc-passwd.json')
    expect(downloadName('json', 'CON')).toBe('chat-con.json')
    expect(downloadName('json', '   ')).toBe('chat-untitled.json')
    expect(downloadName('markdown', '日本語のチャット')).toBe('chat-日本語のチャット.md')
    expect(downloadName('json', 'word '.repeat(40)).length).toBeLessThanOrEqual('chat-.json'.length + 60)
    expect(downloadName('json', null, new Date(2026, 9, 5, 12))).toBe('mlx-manager-chats-2026-10-05.json')
  })
})
