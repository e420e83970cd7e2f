import type { ManagerDatabase } from '../../db/database'
import { allMessages } from './repository'
import type { Attachment, ChatParameters, ConversationRow, MessageRow } from './types'

/**
 * The JSON export: the format, the checks an import runs on every field before anything is
 * written, and the document itself. Ids are UUIDs, so the same conversation keeps its identity
 * across devices and imports back without duplicates.
 */

export const EXPORT_FORMAT = 'mlx-manager-chats'
export const EXPORT_VERSION = 1

export type ExportedMessage = Omit<MessageRow, 'conversationId'>

/** A conversation as stored, with its messages inside it. */
export type ExportedConversation = ConversationRow & { messages: ExportedMessage[] }

export interface ChatExport {
  format: typeof EXPORT_FORMAT
  version: typeof EXPORT_VERSION
  exportedAt: string
  conversations: ExportedConversation[]
}

const AGAIN = 'The file may have been edited or damaged; export it again from MLX Manager and import that file.'

class Invalid extends Error {}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function fail(where: string, what: string): never {
  throw new Invalid(`${where}: ${what}. ${AGAIN}`)
}

function object(value: unknown, where: string): Json {
  if (!isObject(value)) fail(where, 'it must be an object')
  return value
}

function string(o: Json, key: string, where: string): string {
  const value = o[key]
  if (typeof value !== 'string') fail(where, `"${key}" must be text`)
  return value
}

function nullableString(o: Json, key: string, where: string): string | null {
  const value = o[key]
  if (value !== null && typeof value !== 'string') fail(where, `"${key}" must be text or null`)
  return value
}

function number(o: Json, key: string, where: string): number {
  const value = o[key]
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, `"${key}" must be a number`)
  return value
}

function nullableNumber(o: Json, key: string, where: string): number | null {
  return o[key] === null ? null : number(o, key, where)
}

function count(o: Json, key: string, where: string): number {
  const value = number(o, key, where)
  if (!Number.isInteger(value) || value < 0) fail(where, `"${key}" must be a whole number of 0 or more`)
  return value
}

function date(o: Json, key: string, where: string): string {
  const value = string(o, key, where)
  if (Number.isNaN(Date.parse(value))) fail(where, `"${key}" must be a date like 2026-01-31T12:00:00.000Z, not "${value.slice(0, 40)}"`)
  return value
}

function id(o: Json, where: string): string {
  const value = string(o, 'id', where)
  if (value.length === 0 || value.length > 200) fail(where, '"id" must be 1 to 200 characters')
  return value
}

function oneOf<T extends string>(o: Json, key: string, allowed: readonly T[], where: string): T {
  const value = o[key]
  if (!allowed.includes(value as T)) fail(where, `"${key}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`)
  return value as T
}

function array(o: Json, key: string, where: string): unknown[] {
  const value = o[key]
  if (!Array.isArray(value)) fail(where, `"${key}" must be a list`)
  return value
}

function parameters(value: unknown, where: string): ChatParameters {
  const o = object(value, `${where}, parameters`)
  const at = `${where}, parameters`
  return { systemPrompt: nullableString(o, 'systemPrompt', at), temperature: nullableNumber(o, 'temperature', at), topP: nullableNumber(o, 'topP', at), maxTokens: nullableNumber(o, 'maxTokens', at) }
}

function attachment(value: unknown, where: string): Attachment {
  const o = object(value, where)
  const result: Attachment = { id: id(o, where), kind: oneOf(o, 'kind', ['image', 'text'], where), name: string(o, 'name', where), mimeType: string(o, 'mimeType', where), size: count(o, 'size', where) }
  if (o.dataUrl !== undefined) result.dataUrl = string(o, 'dataUrl', where)
  if (o.text !== undefined) result.text = string(o, 'text', where)
  return result
}

function message(value: unknown, where: string): ExportedMessage {
  const o = object(value, where)
  let metrics: ExportedMessage['metrics'] = null
  if (o.metrics !== null) {
    const m = object(o.metrics, `${where}, metrics`)
    const at = `${where}, metrics`
    metrics = {
      timeToFirstTokenMs: nullableNumber(m, 'timeToFirstTokenMs', at),
      promptTokens: nullableNumber(m, 'promptTokens', at),
      completionTokens: number(m, 'completionTokens', at),
      generationTokensPerSecond: nullableNumber(m, 'generationTokensPerSecond', at),
      totalMs: number(m, 'totalMs', at),
    }
    if (m.promptTokensPerSecond !== undefined) metrics.promptTokensPerSecond = nullableNumber(m, 'promptTokensPerSecond', at)
  }
  let error: ExportedMessage['error'] = null
  if (o.error !== null) {
    const e = object(o.error, `${where}, error`)
    error = { code: string(e, 'code', `${where}, error`), message: string(e, 'message', `${where}, error`) }
  }
  const attachments = array(o, 'attachments', where).map((a, i) => attachment(a, `${where}, attachment ${i + 1}`))
  return {
    id: id(o, where),
    seq: count(o, 'seq', where),
    role: oneOf(o, 'role', ['user', 'assistant'], where),
    content: string(o, 'content', where),
    reasoning: nullableString(o, 'reasoning', where),
    reasoningMs: nullableNumber(o, 'reasoningMs', where),
    attachments,
    metrics,
    error,
    status: oneOf(o, 'status', ['complete', 'stopped', 'error'], where),
    createdAt: date(o, 'createdAt', where),
    profileName: nullableString(o, 'profileName', where),
  }
}

function conversation(value: unknown, where: string): ExportedConversation {
  const o = object(value, where)
  const title = typeof o.title === 'string' ? o.title : ''
  const named = title === '' ? where : `${where} ("${title.slice(0, 60)}")`
  const profileId = nullableNumber(o, 'profileId', named)
  if (profileId !== null && !Number.isInteger(profileId)) fail(named, '"profileId" must be a whole number or null')
  const messages = array(o, 'messages', named).map((m, i) => message(m, `${named}, message ${i + 1}`))
  const ids = new Set<string>()
  for (const m of messages) {
    if (ids.has(m.id)) fail(named, `message id ${m.id} appears twice`)
    ids.add(m.id)
  }
  return {
    id: id(o, named),
    title: string(o, 'title', named),
    createdAt: date(o, 'createdAt', named),
    updatedAt: date(o, 'updatedAt', named),
    pinned: o.pinned === 1 ? 1 : o.pinned === 0 ? 0 : fail(named, '"pinned" must be 0 or 1'),
    profileId,
    profileName: nullableString(o, 'profileName', named),
    model: nullableString(o, 'model', named),
    parameters: parameters(o.parameters, named),
    messageCount: count(o, 'messageCount', named),
    messages,
  }
}

/**
 * Parses and checks a whole export before anything is written, returning a clean copy (unknown
 * fields dropped). Throws an Error whose message says what is wrong and what to do.
 */
export function parseChatExport(text: string): ChatExport {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new Error(`This file is not valid JSON (${error instanceof Error ? error.message : String(error)}). Choose a .json file exported from MLX Manager's chat history.`)
  }
  if (!isObject(data) || data.format !== EXPORT_FORMAT) {
    throw new Error(`This file is not an MLX Manager chat export (it has no "format": "${EXPORT_FORMAT}"). Choose a .json file made with "Export as JSON" in the chat history.`)
  }
  if (typeof data.version !== 'number') throw new Error(`This chat export has no version number. ${AGAIN}`)
  if (data.version > EXPORT_VERSION) throw new Error(`This chat export is version ${data.version}, made by a newer MLX Manager; this one reads version ${EXPORT_VERSION}. Update MLX Manager, then import it again.`)
  if (data.version !== EXPORT_VERSION) throw new Error(`This chat export is version ${data.version}, which MLX Manager cannot read (it reads version ${EXPORT_VERSION}). ${AGAIN}`)
  try {
    const exportedAt = date(data, 'exportedAt', 'The export')
    const conversations = array(data, 'conversations', 'The export').map((c, i) => conversation(c, `Conversation ${i + 1}`))
    const ids = new Set<string>()
    for (const [i, c] of conversations.entries()) {
      if (ids.has(c.id)) fail(`Conversation ${i + 1}`, `its id ${c.id} is used by an earlier conversation in the file`)
      ids.add(c.id)
    }
    return { format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt, conversations }
  } catch (error) {
    // Our own messages are already sentences for the user; anything else is a bug worth seeing as is.
    if (error instanceof Invalid) throw new Error(error.message)
    throw error
  }
}

/** The conversations asked for (all of them, newest first, when `ids` is unset) with their messages in order. */
export async function collect(db: ManagerDatabase, ids?: readonly string[]): Promise<Array<{ row: ConversationRow; messages: MessageRow[] }>> {
  return db.transaction('r', db.conversations, db.messages, async () => {
    const rows =
      ids === undefined
        ? await db.conversations.orderBy('updatedAt').reverse().toArray()
        : (await db.conversations.bulkGet([...ids])).filter((row): row is ConversationRow => row !== undefined)
    return Promise.all(rows.map(async (row) => ({ row, messages: await allMessages(db, row.id) })))
  })
}

function exportedMessage(message: MessageRow): ExportedMessage {
  const { conversationId: _conversationId, ...rest } = message
  return rest
}

/** A JSON document of the conversations (all when `ids` is unset) that `importJson` reads back. */
export async function exportJson(db: ManagerDatabase, ids?: readonly string[], now: Date = new Date()): Promise<string> {
  const conversations = await collect(db, ids)
  const document: ChatExport = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now.toISOString(),
    conversations: conversations.map(({ row, messages }) => ({ ...row, messages: messages.map(exportedMessage) })),
  }
  return JSON.stringify(document, null, 2)
}
