import Dexie from 'dexie'
import type { ManagerDatabase } from '../../db/database'
import { conversationTerms, type Conversation } from './repository'
import type { MessageRow, MessageVersionRow } from './types'

/**
 * Earlier versions of answers. Regenerating an answer or editing a question sets the messages from
 * that point aside as a version of what followed the message before it, instead of deleting them;
 * switching puts the shown ones aside in turn and brings the chosen ones back. Versions further
 * down travel with the messages they follow, since they are found by that message's id.
 */

/** What the message list needs to number a point's versions: not their messages. */
export interface VersionSummary {
  id: string
  parentId: string
  createdAt: string
}

/** The parent id of a conversation's first message. */
export const ROOT = ''

const tables = (db: ManagerDatabase) => [db.conversations, db.messages, db.conversationTerms, db.messageVersions]

function tailOf(db: ManagerDatabase, conversationId: string, fromSeq: number) {
  return db.messages.where('[conversationId+seq]').between([conversationId, fromSeq], [conversationId, Dexie.maxKey], true, true)
}

function versionsOf(db: ManagerDatabase, conversationId: string) {
  return db.messageVersions.where('[conversationId+parentId]').between([conversationId, Dexie.minKey], [conversationId, Dexie.maxKey], true, true)
}

/** The message before `seq` (its parent), or ROOT when none is. */
async function parentBefore(db: ManagerDatabase, conversationId: string, seq: number): Promise<string> {
  const before = await db.messages.where('[conversationId+seq]').between([conversationId, Dexie.minKey], [conversationId, seq], true, false).last()
  return before?.id ?? ROOT
}

/** After messages moved: the count and the search words follow what is shown. */
async function refresh(db: ManagerDatabase, row: Conversation): Promise<Conversation> {
  const remaining = await tailOf(db, row.id, -Infinity).toArray()
  const next: Conversation = { ...row, messageCount: remaining.length }
  await db.conversations.put(next)
  await db.conversationTerms.put({ id: row.id, terms: conversationTerms(row.title, remaining) })
  return next
}

/** Moves the shown messages from `seq` on into a new version of what followed their parent. */
async function setAside(db: ManagerDatabase, conversationId: string, seq: number): Promise<MessageVersionRow | null> {
  const tail = await tailOf(db, conversationId, seq).toArray()
  const first = tail[0]
  if (first === undefined) return null
  const version: MessageVersionRow = { id: crypto.randomUUID(), conversationId, parentId: await parentBefore(db, conversationId, first.seq), createdAt: first.createdAt, messages: tail }
  await db.messageVersions.add(version)
  await db.messages.bulkDelete(tail.map((m) => m.id))
  return version
}

/**
 * Sets the messages from `seq` on aside (before a regenerate or an edited question takes their
 * place). Null when the conversation is gone.
 */
export async function setAsideFrom(db: ManagerDatabase, conversationId: string, seq: number): Promise<Conversation | null> {
  return db.transaction('rw', tables(db), async () => {
    const row = await db.conversations.get(conversationId)
    if (row === undefined) return null
    await setAside(db, conversationId, seq)
    return refresh(db, row)
  })
}

/** Every version of a conversation, oldest first within each point. */
export async function listVersions(db: ManagerDatabase, conversationId: string): Promise<VersionSummary[]> {
  const rows = await versionsOf(db, conversationId).toArray()
  return rows.map(({ id, parentId, createdAt }) => ({ id, parentId, createdAt })).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

/**
 * Shows version `versionId` of what follows `parentId`: the messages shown there now become a
 * version, the chosen ones come back in their place. Null when the conversation or the version is gone.
 */
export async function switchVersion(db: ManagerDatabase, conversationId: string, parentId: string, versionId: string): Promise<Conversation | null> {
  return db.transaction('rw', tables(db), async () => {
    const row = await db.conversations.get(conversationId)
    const chosen = await db.messageVersions.get(versionId)
    if (row === undefined || chosen === undefined || chosen.conversationId !== conversationId || chosen.parentId !== parentId) return null
    const parent = parentId === ROOT ? null : await db.messages.get(parentId)
    if (parent === undefined) return null
    await setAside(db, conversationId, parent === null ? -Infinity : parent.seq + 1)
    // Renumbered after the parent, in their own order, so they follow it whatever seq they had.
    const start = parent === null ? 0 : parent.seq + 1
    const restored: MessageRow[] = chosen.messages.map((m, i) => ({ ...m, seq: start + i }))
    await db.messages.bulkPut(restored)
    await db.messageVersions.delete(versionId)
    return refresh(db, row)
  })
}

/** Where the shown message stands among the versions at its point: for ‹ 2/3 ›. */
export interface VersionPoint {
  parentId: string
  /** From 1. */
  position: number
  total: number
  previousId: string | null
  nextId: string | null
}

/**
 * The versions at the point after `parentId`, with `shown` (the message on screen there) among
 * them in time order; null when that point has only the one shown.
 */
export function versionPoint(versions: readonly VersionSummary[], parentId: string, shown: { id: string; createdAt: string }): VersionPoint | null {
  const kept = versions.filter((v) => v.parentId === parentId)
  if (kept.length === 0) return null
  const all = [...kept, { id: shown.id, parentId, createdAt: shown.createdAt }].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
  const index = all.findIndex((v) => v.id === shown.id)
  return { parentId, position: index + 1, total: all.length, previousId: all[index - 1]?.id ?? null, nextId: all[index + 1]?.id ?? null }
}
