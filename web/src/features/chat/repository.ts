import Dexie from 'dexie'
import type { ConversationTermsRow, ManagerDatabase } from '../../db/database'
import { isWholeWord, matchesQuery, queryTerms, snippet, termsOf, type Snippet } from './search'
import { DEFAULT_PARAMETERS, type ChatParameters, type ConversationRow, type MessageRow } from './types'

/**
 * Chat history on this device. Every function takes the database first, so tests and the benchmark
 * can pass a fresh one; the chat store passes the app's `db`. A conversation's search words live in
 * `conversationTerms`, apart from its row, so listing, opening and showing conversations never read them.
 */

export type Conversation = ConversationRow

export interface NewConversation {
  title?: string
  pinned?: 0 | 1
  profileId?: number | null
  profileName?: string | null
  model?: string | null
  parameters?: ChatParameters
}

export type ConversationPatch = Partial<Pick<ConversationRow, 'title' | 'pinned' | 'profileId' | 'profileName' | 'model' | 'parameters'>>

export interface SearchHit {
  conversation: Conversation
  /** From the first matching message, or from the title; null only when the match was not found within the scan limit. */
  snippet: Snippet | null
  /** The message the snippet comes from (to scroll to it); null when it comes from the title. */
  messageId: string | null
  seq: number | null
}

/** Index entries one conversation may hold; a save that adds words rewrites them all, so they are bounded. */
export const MAX_CONVERSATION_TERMS = 20_000
/** Messages read per search hit looking for the one to quote, so one huge conversation cannot stall a search. */
export const SNIPPET_SCAN_LIMIT = 2000

/**
 * What search sees of a message: its text and its attachments' names. Reasoning is left out on
 * purpose: thinking text restates the question at length and would make most searches match it.
 */
export function messageText(message: Pick<MessageRow, 'content' | 'attachments'>): string {
  return message.attachments.length === 0 ? message.content : `${message.content}\n${message.attachments.map((a) => a.name).join('\n')}`
}

/** Adds `more` to `terms` up to the cap; true when anything was added. */
export function addTerms(terms: Set<string>, more: Iterable<string>): boolean {
  const before = terms.size
  for (const term of more) {
    if (terms.size >= MAX_CONVERSATION_TERMS) break
    terms.add(term)
  }
  return terms.size > before
}

/** The full index entries of a conversation, built from scratch (import, truncation, rename). */
export function conversationTerms(title: string, messages: Iterable<Pick<MessageRow, 'content' | 'attachments'>>): string[] {
  const terms = new Set(termsOf(title))
  for (const message of messages) addTerms(terms, termsOf(messageText(message)))
  return [...terms]
}

const later = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a)

/** One conversation's messages in seq order, from `fromSeq` (inclusive) to `toSeq` (exclusive). */
function messagesOf(db: ManagerDatabase, conversationId: string, fromSeq: number = -Infinity, toSeq?: number) {
  return db.messages.where('[conversationId+seq]').between([conversationId, fromSeq], [conversationId, toSeq ?? Dexie.maxKey], true, false)
}

/**
 * Every conversation, most recently active first. Pinned ones are not moved to the top here:
 * `groupConversations` (groups.ts) puts them in their own group, which is where the UI shows them.
 */
export async function listConversations(db: ManagerDatabase): Promise<Conversation[]> {
  // Forward then reversed here: one getAll, where a reversed read is a cursor step per row in most browsers.
  return (await db.conversations.orderBy('updatedAt').toArray()).reverse()
}

export async function getConversation(db: ManagerDatabase, id: string): Promise<Conversation | null> {
  return (await db.conversations.get(id)) ?? null
}

/** A conversation's index entries; a missing row (nothing indexed yet) reads as none. */
async function termsRow(db: ManagerDatabase, id: string): Promise<ConversationTermsRow> {
  return (await db.conversationTerms.get(id)) ?? { id, terms: [] }
}

export async function createConversation(db: ManagerDatabase, init: NewConversation = {}, now: Date = new Date()): Promise<Conversation> {
  const at = now.toISOString()
  // An empty title means "not named yet"; the UI shows its own placeholder, which is not indexed.
  const title = init.title ?? ''
  const row: ConversationRow = {
    id: crypto.randomUUID(),
    title,
    createdAt: at,
    updatedAt: at,
    pinned: init.pinned ?? 0,
    profileId: init.profileId ?? null,
    profileName: init.profileName ?? null,
    model: init.model ?? null,
    parameters: { ...DEFAULT_PARAMETERS, ...init.parameters },
    messageCount: 0,
  }
  await db.transaction('rw', db.conversations, db.conversationTerms, async () => {
    await db.conversations.add(row)
    await db.conversationTerms.put({ id: row.id, terms: termsOf(title) })
  })
  return row
}

/**
 * Renames, pins, or changes what a conversation talks to. `updatedAt` is left alone: it is the last
 * message's time, and renaming or pinning should not move a conversation in the sidebar. A new title
 * rebuilds the index entries from every message, since the old title's words may appear nowhere else.
 */
export async function updateConversation(db: ManagerDatabase, id: string, patch: ConversationPatch): Promise<Conversation | null> {
  return db.transaction('rw', [db.conversations, db.messages, db.conversationTerms], async () => {
    const row = await db.conversations.get(id)
    if (row === undefined) return null
    const next: ConversationRow = { ...row, ...patch }
    await db.conversations.put(next)
    if (patch.title !== undefined && patch.title !== row.title) await db.conversationTerms.put({ id, terms: conversationTerms(next.title, await messagesOf(db, id).toArray()) })
    return next
  })
}

/** The conversation, its messages, their earlier versions and its index entries, together or not at all. */
export async function deleteConversation(db: ManagerDatabase, id: string): Promise<void> {
  await db.transaction('rw', [db.conversations, db.messages, db.conversationTerms, db.messageVersions], async () => {
    await messagesOf(db, id).delete()
    await db.messageVersions.where('[conversationId+parentId]').between([id, Dexie.minKey], [id, Dexie.maxKey], true, true).delete()
    await db.conversations.delete(id)
    await db.conversationTerms.delete(id)
  })
}

/**
 * The newest `limit` messages before `beforeSeq` (all of them when it is unset), oldest first. Only
 * that window is read, backwards through [conversationId+seq], so a long conversation opens as fast
 * as a short one and scrolling up asks for the next window with the first loaded seq.
 */
export async function loadMessages(db: ManagerDatabase, conversationId: string, window: { beforeSeq?: number; limit: number }): Promise<MessageRow[]> {
  if (!Number.isInteger(window.limit) || window.limit < 1) throw new RangeError(`limit must be a positive whole number, not ${window.limit}`)
  const rows = await messagesOf(db, conversationId, -Infinity, window.beforeSeq).reverse().limit(window.limit).toArray()
  return rows.reverse()
}

/** Every message of a conversation in order: for export and rebuilding its index, never for showing it. */
export function allMessages(db: ManagerDatabase, conversationId: string): Promise<MessageRow[]> {
  return messagesOf(db, conversationId).toArray()
}

export function countMessages(db: ManagerDatabase, conversationId: string): Promise<number> {
  return messagesOf(db, conversationId).count()
}

/**
 * Adds or replaces a message (a streamed answer is saved again as it grows) and, in the same
 * transaction, moves the conversation's `updatedAt` forward, counts a new message, and adds the
 * message's words to the conversation's index entries. The terms row is written only when the
 * message brings a word it lacks: rewriting a multi-entry row rewrites every one of its index
 * entries, and most saves (a growing answer, a chat on one topic) add none. Words a replaced
 * version had and the new one lacks stay until `deleteMessagesFrom` or a rename rebuilds them:
 * harmless, and it keeps a save from reading the rest of the conversation.
 */
export async function saveMessage(db: ManagerDatabase, message: MessageRow): Promise<Conversation> {
  const id = message.conversationId
  return db.transaction('rw', [db.conversations, db.messages, db.conversationTerms], async () => {
    const row = await db.conversations.get(id)
    if (row === undefined) throw new Error('This conversation is no longer on this device (it may have been deleted in another tab), so the message was not saved.')
    const isNew = (await db.messages.where('id').equals(message.id).count()) === 0
    await db.messages.put(message)
    const next: ConversationRow = { ...row, updatedAt: later(row.updatedAt, message.createdAt), messageCount: row.messageCount + (isNew ? 1 : 0) }
    if (next.updatedAt !== row.updatedAt || next.messageCount !== row.messageCount) await db.conversations.put(next)
    const terms = new Set((await termsRow(db, id)).terms)
    if (addTerms(terms, termsOf(messageText(message)))) await db.conversationTerms.put({ id, terms: [...terms] })
    return next
  })
}

/**
 * Removes the messages from `seq` on (editing a question and sending it again, or regenerating an
 * answer) and rebuilds the conversation's index entries from what remains, so a word that only the
 * removed messages had no longer finds it. `updatedAt` stays: the next saved message moves it.
 */
export async function deleteMessagesFrom(db: ManagerDatabase, conversationId: string, seq: number): Promise<Conversation | null> {
  return db.transaction('rw', [db.conversations, db.messages, db.conversationTerms], async () => {
    const row = await db.conversations.get(conversationId)
    if (row === undefined) return null
    await messagesOf(db, conversationId, seq).delete()
    const remaining = await messagesOf(db, conversationId).toArray()
    const next: ConversationRow = { ...row, messageCount: remaining.length }
    await db.conversations.put(next)
    await db.conversationTerms.put({ id: conversationId, terms: conversationTerms(row.title, remaining) })
    return next
  })
}

/** Ids of conversations having, for every word, an index entry starting with it. */
async function matchingIds(db: ManagerDatabase, words: readonly string[]): Promise<Set<string>> {
  // A conversation appears once per matching entry ("cafe" and "cafeteria" for "caf"): dedupe.
  const perWord = await Promise.all(
    words.map(async (word) => {
      const entries = isWholeWord(word) ? db.conversationTerms.where('terms').equals(word) : db.conversationTerms.where('terms').startsWith(word)
      return new Set(await entries.primaryKeys())
    }),
  )
  perWord.sort((a, b) => a.size - b.size)
  const [smallest, ...others] = perWord
  if (smallest === undefined) return new Set()
  return new Set([...smallest].filter((id) => others.every((set) => set.has(id))))
}

/**
 * The `limit` newest of `ids`, from the conversations' ids oldest first (`order`, the updatedAt index
 * read as keys only: one getAllKeys, where a reversed read is a cursor step per key in most browsers).
 */
function newestOf(order: readonly string[], ids: Set<string>, limit: number): string[] {
  const chosen: string[] = []
  for (let i = order.length - 1; i >= 0 && chosen.length < limit; i--) {
    const id = order[i]
    if (id !== undefined && ids.has(id)) chosen.push(id)
  }
  return chosen
}

/** Messages read first for an excerpt: the first one or two usually match. */
const FIRST_BATCH = 4

/**
 * Quotes the title when it has every word, else the first message with any of them (reading no
 * further than that).
 */
async function hitOf(db: ManagerDatabase, conversation: ConversationRow, query: string, words: readonly string[]): Promise<SearchHit> {
  const { id, title } = conversation
  const first = await messagesOf(db, id).limit(FIRST_BATCH).toArray()
  if (words.every((word) => matchesQuery(title, [word]))) return { conversation, snippet: snippet(title, query), messageId: null, seq: null }
  // Then batches of 32, one request each: a filtered cursor would cost a round trip per message.
  let batch = first
  let message = batch.find((m) => matchesQuery(messageText(m), words))
  for (let read = batch.length, size = FIRST_BATCH; message === undefined && batch.length === size && read < SNIPPET_SCAN_LIMIT; read += batch.length) {
    const from = (batch[batch.length - 1]?.seq ?? 0) + 1
    size = 32
    batch = await messagesOf(db, id, from).limit(size).toArray()
    message = batch.find((m) => matchesQuery(messageText(m), words))
  }
  if (message !== undefined) return { conversation, snippet: snippet(messageText(message), query), messageId: message.id, seq: message.seq }
  return { conversation, snippet: snippet(title, query), messageId: null, seq: null }
}

/**
 * Conversations where every word of `query` starts a word of the title or of some message
 * (diacritics and case ignored), newest first, at most `limit`, each with an excerpt to show.
 * Two-letter words match whole words only (see `isWholeWord`). A query without words (empty, or
 * only one-letter words) finds nothing.
 */
export async function searchConversations(db: ManagerDatabase, query: string, limit = 50): Promise<SearchHit[]> {
  const words = queryTerms(query)
  if (words.length === 0 || limit < 1) return []
  return db.transaction('r', [db.conversations, db.messages, db.conversationTerms], async () => {
    // The order is read alongside the matches, not after them (keys-only reads, all in flight at
    // once), so a search usually waits for two round trips: those, then rows with their first messages.
    const [ids, order] = await Promise.all([matchingIds(db, words), db.conversations.orderBy('updatedAt').primaryKeys()])
    // The rows in one request; their first messages (for excerpts) in parallel with each other.
    const rows = await db.conversations.bulkGet(newestOf(order, ids, limit))
    return Promise.all(rows.filter((row): row is ConversationRow => row !== undefined).map((row) => hitOf(db, row, query, words)))
  })
}
