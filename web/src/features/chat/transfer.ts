import { formatBytes } from '../../format/bytes'
import type { ConversationTermsRow, ManagerDatabase } from '../../db/database'
import { addTerms, allMessages, conversationTerms, messageText } from './repository'
import { termsOf } from './search'
import type { Attachment, ChatParameters, ConversationRow, MessageRow } from './types'

/**
 * Chat history out of and into this device: JSON that imports back without duplicates (ids are
 * UUIDs, so the same conversation keeps its identity across devices) and Markdown for reading.
 */


// ---- The format, and the checks an import runs on every field before anything is written ----

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

// ---- Export ----

/** The conversations asked for (all of them, newest first, when `ids` is unset) with their messages in order. */
async function collect(db: ManagerDatabase, ids?: readonly string[]): Promise<Array<{ row: ConversationRow; messages: MessageRow[] }>> {
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

const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`


/** A fence longer than any backtick run inside, so a file that contains fences cannot close ours. */
function fenced(text: string, name: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length))
  const fence = '`'.repeat(Math.max(3, longest + 1))
  const extension = /\.([A-Za-z0-9+-]{1,10})$/.exec(name)?.[1] ?? ''
  return `${fence}${extension.toLowerCase()}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`
}

const quote = (text: string): string =>
  text
    .split('\n')
    .map((line) => `> ${line}`.trimEnd())
    .join('\n')

function parametersLine(p: ChatParameters): string | null {
  const set = [
    p.temperature === null ? null : `temperature ${p.temperature}`,
    p.topP === null ? null : `top-p ${p.topP}`,
    p.maxTokens === null ? null : `max tokens ${p.maxTokens}`,
  ].filter((part): part is string => part !== null)
  return set.length === 0 ? null : set.join(' · ')
}

function metricsLine(message: MessageRow): string | null {
  const m = message.metrics
  if (m === null) return null
  const parts = [
    `${m.completionTokens} tokens`,
    m.generationTokensPerSecond === null ? null : `${m.generationTokensPerSecond.toFixed(1)} tokens/s`,
    m.timeToFirstTokenMs === null ? null : `first token ${Math.round(m.timeToFirstTokenMs)} ms`,
    `${(m.totalMs / 1000).toFixed(1)} s in all`,
  ].filter((part): part is string => part !== null)
  return `*${parts.join(' · ')}*`
}

function attachmentsBlock(attachments: readonly Attachment[]): string | null {
  if (attachments.length === 0) return null
  const lines = attachments.map((a) => {
    const head = `- ${a.kind === 'image' ? 'Image' : 'File'} \`${a.name}\` (${a.mimeType}, ${formatBytes(a.size)})`
    // Images are named only: a base64 picture would drown the text.
    return a.kind === 'text' && a.text !== undefined ? `${head}\n\n${fenced(a.text, a.name)}` : head
  })
  return `**Attachments**\n\n${lines.join('\n\n')}`
}

function messageMarkdown(message: MessageRow): string {
  const who = message.role === 'user' ? 'User' : `Assistant${message.profileName === null ? '' : ` (${message.profileName})`}`
  const parts: Array<string | null> = [`## ${who}`, `*${when(message.createdAt)}*`]
  if (message.reasoning !== null && message.reasoning.trim() !== '') {
    const took = message.reasoningMs === null ? '' : ` for ${(message.reasoningMs / 1000).toFixed(1)} s`
    parts.push(`<details>\n<summary>Thought${took}</summary>\n\n${message.reasoning.trim()}\n\n</details>`)
  }
  parts.push(message.content === '' ? null : message.content, attachmentsBlock(message.attachments))
  if (message.status === 'stopped') parts.push('*Stopped before the end.*')
  if (message.error !== null) parts.push(`**Error:** ${message.error.message}`)
  parts.push(metricsLine(message))
  return parts.filter((part): part is string => part !== null).join('\n\n')
}

function conversationMarkdown({ row, messages }: { row: ConversationRow; messages: MessageRow[] }): string {
  const title = row.title.replace(/\s+/g, ' ').trim() || 'Untitled chat'
  const facts = [
    row.model === null ? null : `- **Model:** \`${row.model}\`${row.profileName === null ? '' : ` (profile ${row.profileName})`}`,
    `- **Started:** ${when(row.createdAt)} · **Last message:** ${when(row.updatedAt)} · ${row.messageCount} messages`,
  ]
  const parameters = parametersLine(row.parameters)
  if (parameters !== null) facts.push(`- **Parameters:** ${parameters}`)
  const head = [`# ${title}`, facts.filter((fact): fact is string => fact !== null).join('\n')]
  if (row.parameters.systemPrompt !== null && row.parameters.systemPrompt !== '') head.push(`**System prompt**\n\n${quote(row.parameters.systemPrompt)}`)
  return [...head, ...messages.map(messageMarkdown)].join('\n\n')
}

/** Readable Markdown of the conversations (all when `ids` is unset), one after another. */
export async function exportMarkdown(db: ManagerDatabase, ids?: readonly string[]): Promise<string> {
  const conversations = await collect(db, ids)
  return `${conversations.map(conversationMarkdown).join('\n\n---\n\n')}\n`
}

/**
 * A file name safe on every system: words of the title (diacritics dropped, any script kept) joined
 * by dashes; with no title, the whole history with today's date. The prefix keeps clear of names
 * Windows reserves (CON, NUL…) and of hidden dot-files.
 */
export function downloadName(kind: 'json' | 'markdown', title?: string | null, now: Date = new Date()): string {
  const extension = kind === 'json' ? 'json' : 'md'
  if (title === undefined || title === null) {
    const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`
    return `mlx-manager-chats-${day}.${extension}`
  }
  const words = title.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  let slug = ''
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`
    if ([...next].length > 60) break
    slug = next
  }
  if (slug === '') slug = [...(words[0] ?? 'untitled')].slice(0, 60).join('')
  return `chat-${slug}.${extension}`
}

// ---- Import ----

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
