import type { ConversationTermsRow, ManagerDatabase } from '../../db/database'
import { addTerms, conversationTerms, messageText } from './repository'
import { termsOf } from './search'
import { parseChatExport } from './transfer-json'
import type { ConversationRow, MessageRow } from './types'

// A JSON export read back into this device, all of it or none, without duplicates.

export interface ImportResult {
  /** Conversations created, or already here and given messages they lacked. */
  added: number
  /** Conversations already here with every message: nothing changed. */
  skipped: number
  messagesAdded: number
}

const later = (a: string, b: string): string => (Date.parse(b) > Date.parse(a) ? b : a)

const WHOLE_TABLE_FACTOR = 20

/**
 * Which of `ids` are already here, in any conversation (a message is never moved or added twice).
 * `anyOf` costs a cursor step per id, `primaryKeys` of the whole table one request for every id
 * here: the second is far cheaper per key, so it wins unless the history dwarfs the file.
 */
async function knownMessageIds(db: ManagerDatabase, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const here = await db.messages.count()
  if (here > WHOLE_TABLE_FACTOR * ids.length) return new Set(await db.messages.where('id').anyOf(ids).primaryKeys())
  const wanted = new Set(ids)
  return new Set((await db.messages.toCollection().primaryKeys()).filter((id) => wanted.has(id)))
}

/** The words of `base` plus those of `messages`, as a terms row. */
function termsWith(id: string, base: Set<string>, messages: readonly MessageRow[]): ConversationTermsRow {
  for (const m of messages) addTerms(base, termsOf(messageText(m)))
  return { id, terms: [...base] }
}

/**
 * Reads a JSON export into this device, all of it or (when the file is wrong) none of it. Nothing is
 * duplicated: a message whose id is already here is skipped, and a conversation already here keeps
 * its title, pin and settings and gains only the messages it lacks. Reads and writes are a handful
 * of bulk requests for the whole file, not a few per conversation: a request costs far more than
 * the row it carries, and a history of a thousand chats should import in seconds.
 */
export async function importJson(db: ManagerDatabase, text: string): Promise<ImportResult> {
  const document = parseChatExport(text)
  return db.transaction('rw', [db.conversations, db.messages, db.conversationTerms], async () => {
    const [existing, known] = await Promise.all([
      db.conversations.bulkGet(document.conversations.map((c) => c.id)),
      knownMessageIds(db, document.conversations.flatMap((c) => c.messages.map((m) => m.id))),
    ])
    const changes = document.conversations.map(({ messages, ...fields }, i) => ({
      fields,
      here: existing[i],
      fresh: messages.filter((m) => !known.has(m.id)).map((m): MessageRow => ({ ...m, conversationId: fields.id })),
    }))
    const created = changes.filter((c) => c.here === undefined)
    const grown = changes.flatMap(({ here, fresh }) => (here !== undefined && fresh.length > 0 ? [{ here, fresh }] : []))
    // Only conversations gaining messages have their words read: they are the heavy part of a row.
    const oldTerms = await db.conversationTerms.bulkGet(grown.map(({ here }) => here.id))

    const rows: ConversationRow[] = [
      ...created.map(({ fields, fresh }) => ({ ...fields, messageCount: fresh.length })),
      ...grown.map(({ here, fresh }) => ({ ...here, updatedAt: fresh.reduce((at, m) => later(at, m.createdAt), here.updatedAt), messageCount: here.messageCount + fresh.length })),
    ]
    const messages: MessageRow[] = []
    // Not push(...fresh): spreading a conversation of 100,000 messages would overflow the stack.
    for (const { fresh } of [...created, ...grown]) for (const m of fresh) messages.push(m)
    await db.messages.bulkAdd(messages)
    await db.conversations.bulkPut(rows)
    // New conversations' words are added, not put: a put first looks for a row to replace.
    await db.conversationTerms.bulkAdd(created.map(({ fields, fresh }) => ({ id: fields.id, terms: conversationTerms(fields.title, fresh) })))
    await db.conversationTerms.bulkPut(grown.map(({ here, fresh }, i) => termsWith(here.id, new Set(oldTerms[i]?.terms ?? termsOf(here.title)), fresh)))
    return { added: rows.length, skipped: changes.length - rows.length, messagesAdded: messages.length }
  })
}
