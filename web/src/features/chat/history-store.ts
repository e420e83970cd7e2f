import { defineStore } from 'pinia'
import { computed, ref, toRaw } from 'vue'
import { db } from '../../db/database'
import * as history from './repository'
import type { Conversation } from './repository'
import { isAutomaticTitle, titleFor } from './title'
import { downloadName, exportJson, exportMarkdown, importJson } from './transfer'
import type { MessageRow } from './types'
import * as versionStore from './versions'
import { ROOT, type VersionSummary } from './versions'

/** Messages a conversation shows at first; earlier ones load on demand, so a long chat opens at once. */
export const MESSAGE_WINDOW = 60

export type ExportKind = 'markdown' | 'json'

export interface ExportFile {
  name: string
  type: string
  content: string
}

type MessageText = Pick<MessageRow, 'content' | 'attachments'>

/**
 * The conversations kept on this device and the one open now: its window of messages and the
 * earlier versions of its answers, search, export and import. Everything here is Dexie, so it all
 * works offline; writing answers is the chat store's.
 */
export const useChatHistoryStore = defineStore('chat-history', () => {
  const conversations = ref<Conversation[]>([])
  const listed = ref(false)
  const activeId = ref<string | null>(null)
  const messages = ref<MessageRow[]>([])
  const hasEarlier = ref(false)
  /** Earlier versions of the open conversation's answers, by the message they followed. */
  const versions = ref<VersionSummary[]>([])
  const query = ref('')
  const results = ref<history.SearchHit[]>([])

  const active = computed(() => conversations.value.find((c) => c.id === activeId.value) ?? null)

  async function loadList(): Promise<void> {
    conversations.value = await history.listConversations(db)
    listed.value = true
  }

  function replaceRow(row: Conversation | null): void {
    if (row === null) return
    conversations.value = [row, ...conversations.value.filter((c) => c.id !== row.id)]
  }

  async function open(id: string): Promise<boolean> {
    if (activeId.value === id) return true
    const row = await history.getConversation(db, id)
    if (row === null) return false
    activeId.value = id
    if (!conversations.value.some((c) => c.id === id)) replaceRow(row)
    await loadWindow(id)
    return true
  }

  /** Shows a conversation with nothing in it yet: none open (the empty composer), or one just created. */
  function showEmpty(id: string | null): void {
    activeId.value = id
    messages.value = []
    versions.value = []
    hasEarlier.value = false
  }

  /** Creates a conversation and opens it, empty, for its first message. */
  async function create(fields: Parameters<typeof history.createConversation>[1]): Promise<Conversation> {
    const conversation = await history.createConversation(db, fields)
    showEmpty(conversation.id)
    return conversation
  }

  /** The newest messages of a conversation and the versions of its answers. */
  async function loadWindow(id: string): Promise<void> {
    const [window, kept] = await Promise.all([history.loadMessages(db, id, { limit: MESSAGE_WINDOW }), versionStore.listVersions(db, id)])
    if (activeId.value !== id) return
    messages.value = window
    versions.value = kept
    hasEarlier.value = window.length > 0 && (window[0]?.seq ?? 0) > 0 && (await history.countMessages(db, id)) > window.length
  }

  async function loadEarlier(): Promise<void> {
    const id = activeId.value
    const first = messages.value[0]
    if (id === null || first === undefined) return
    const earlier = await history.loadMessages(db, id, { beforeSeq: first.seq, limit: MESSAGE_WINDOW })
    messages.value = [...earlier, ...messages.value]
    hasEarlier.value = earlier.length === MESSAGE_WINDOW
  }

  function nextSeq(): number {
    const last = messages.value[messages.value.length - 1]
    return last === undefined ? 0 : last.seq + 1
  }

  /** Adds a message to the open conversation's window; returns the reactive copy, so what is written into it shows. */
  function append(message: MessageRow): MessageRow {
    messages.value = [...messages.value, message]
    return messages.value[messages.value.length - 1] as MessageRow
  }

  /** Takes a message that was never saved out of the window. */
  function discard(messageId: string): void {
    messages.value = messages.value.filter((m) => m.id !== messageId)
  }

  /** Saves a message as it is now; its conversation moves to the top of the list. */
  async function save(message: MessageRow): Promise<void> {
    replaceRow(await history.saveMessage(db, structuredClone(toRaw(message))))
  }

  async function update(id: string, changes: Parameters<typeof history.updateConversation>[2]): Promise<void> {
    replaceRow(await history.updateConversation(db, id, changes))
  }

  /** Sets the open conversation's messages from `seq` on aside as an earlier version. */
  async function setAsideFrom(seq: number): Promise<void> {
    const id = activeId.value
    if (id === null) return
    replaceRow(await versionStore.setAsideFrom(db, id, seq))
    messages.value = messages.value.filter((m) => m.seq < seq)
    versions.value = await versionStore.listVersions(db, id)
  }

  /** The title made from the first message follows that message when it changes. */
  async function followFirstMessage(conversation: Conversation, was: MessageText, now: MessageText): Promise<void> {
    if (!isAutomaticTitle(conversation.title, was.content, was.attachments)) return
    const title = titleFor(now.content, now.attachments)
    if (title !== conversation.title) await update(conversation.id, { title })
  }

  /** The first question (seq 0) as saved: a long conversation's window does not reach it. */
  async function firstQuestion(id: string): Promise<MessageRow | undefined> {
    return (await history.loadMessages(db, id, { beforeSeq: 1, limit: 1 }))[0]
  }

  /** Shows another version of what follows `parentId` (ROOT: the first question, which the title may follow). */
  async function showVersion(parentId: string, versionId: string): Promise<void> {
    const conversation = active.value
    if (conversation === null) return
    const was = parentId === ROOT ? await firstQuestion(conversation.id) : undefined
    replaceRow(await versionStore.switchVersion(db, conversation.id, parentId, versionId))
    await loadWindow(conversation.id)
    const now = was === undefined ? undefined : await firstQuestion(conversation.id)
    if (was !== undefined && now !== undefined) await followFirstMessage(conversation, was, now)
  }

  async function rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim().slice(0, 200)
    if (trimmed === '') return
    await update(id, { title: trimmed })
  }

  async function togglePin(id: string): Promise<void> {
    const row = conversations.value.find((c) => c.id === id)
    if (row !== undefined) await update(id, { pinned: row.pinned === 1 ? 0 : 1 })
  }

  async function remove(id: string): Promise<void> {
    if (activeId.value === id) showEmpty(null)
    await history.deleteConversation(db, id)
    conversations.value = conversations.value.filter((c) => c.id !== id)
    results.value = results.value.filter((hit) => hit.conversation.id !== id)
  }

  async function search(text: string): Promise<void> {
    query.value = text
    const found = text.trim() === '' ? [] : await history.searchConversations(db, text)
    // A slower earlier search must not overwrite a newer one.
    if (query.value === text) results.value = found
  }

  /** One conversation, some, or all (no ids) as a file to save. */
  async function exportChats(kind: ExportKind, ids?: string[]): Promise<ExportFile> {
    const only = ids?.length === 1 ? conversations.value.find((c) => c.id === ids[0]) : undefined
    const title = only?.title ?? 'all conversations'
    return kind === 'json'
      ? { name: downloadName('json', title), type: 'application/json', content: await exportJson(db, ids) }
      : { name: downloadName('markdown', title), type: 'text/markdown', content: await exportMarkdown(db, ids) }
  }

  /** Reads an export back; conversations already here gain only the messages they lack. */
  async function importChats(text: string): Promise<Awaited<ReturnType<typeof importJson>>> {
    const result = await importJson(db, text)
    await loadList()
    if (activeId.value !== null) {
      const id = activeId.value
      activeId.value = null
      await open(id)
    }
    return result
  }

  return {
    conversations,
    listed,
    activeId,
    active,
    messages,
    hasEarlier,
    versions,
    query,
    results,
    loadList,
    open,
    showEmpty,
    create,
    loadEarlier,
    nextSeq,
    append,
    discard,
    save,
    update,
    setAsideFrom,
    followFirstMessage,
    showVersion,
    rename,
    togglePin,
    remove,
    search,
    exportChats,
    importChats,
  }
})
