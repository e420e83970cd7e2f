import Dexie, { type Table } from 'dexie'
import type { CatalogModel, ModelDetails } from '../../../shared/catalog'
import type { MemoryBudget } from '../../../shared/memory-fit'
import type { PublicUser } from '../../../shared/users'
import type { ConversationRow, MessageRow, MessageVersionRow } from '../features/chat/types'

/** One row per preference, e.g. `{ key: 'theme', value: 'dark' }`. */
export interface SettingRow {
  key: string
  value: unknown
}

/** The last signed-in user, so the shell can open offline with what this device knows. */
export interface SessionRow {
  key: string
  user: PublicUser
  savedAt: string
}

/** A search result seen online, kept so the catalog can be searched offline. */
export interface CatalogModelRow {
  id: string
  model: CatalogModel
  /** When the manager last returned this model. */
  syncedAt: string
  /** Position in the hub's trending list when last seen there; null when never listed by trend. */
  trendingRank: number | null
}

/** A model page seen online. */
export interface CatalogDetailsRow {
  id: string
  details: ModelDetails
  syncedAt: string
}

/** Catalog facts that are not one model: this machine's memory budget, the last sync. */
export interface CatalogMetaRow {
  key: string
  budget: MemoryBudget | null
  syncedAt: string
}

/**
 * Every saved model's searchable facts in one row of parallel columns, so an offline search reads
 * one record instead of thousands (see features/catalog/local-search.ts for the columns).
 */
export interface CatalogIndexRow {
  key: string
  ids: string[]
  families: string[]
  bits: Int8Array
  capabilities: Uint8Array
  weightsBytes: Float64Array
  kvCacheBytes: Float64Array
  downloads: Float64Array
  likes: Float64Array
  modified: Float64Array
  trendingRanks: Float64Array
}

/**
 * A conversation's search words, apart from its row: the sidebar, opening a chat and search results
 * read conversations often, and a thousand words per row would be carried by every one of those reads.
 */
export interface ConversationTermsRow {
  /** The conversation's id. */
  id: string
  /** Folded words of the title and every message (features/chat/search.ts): a multi-entry index. */
  terms: string[]
}

export const DATABASE_NAME = 'mlx-manager'

/**
 * The browser-side store. Schema rule: a released version is never edited. A new table or index is
 * a new `this.version(n + 1).stores({...})` (listing only what changes) with an `.upgrade()` step
 * when existing rows must be rewritten, so every device migrates from whatever it has.
 */
export class ManagerDatabase extends Dexie {
  settings!: Table<SettingRow, string>
  session!: Table<SessionRow, string>
  catalogModels!: Table<CatalogModelRow, string>
  catalogDetails!: Table<CatalogDetailsRow, string>
  catalogMeta!: Table<CatalogMetaRow, string>
  catalogIndex!: Table<CatalogIndexRow, string>
  conversations!: Table<ConversationRow, string>
  messages!: Table<MessageRow, string>
  conversationTerms!: Table<ConversationTermsRow, string>
  messageVersions!: Table<MessageVersionRow, string>

  constructor(name = DATABASE_NAME) {
    super(name)
    this.version(1).stores({
      settings: 'key',
      session: 'key',
    })
    // The offline catalog: search results and model pages seen, each with when it was synced.
    this.version(2).stores({
      catalogModels: 'id, syncedAt',
      catalogDetails: 'id, syncedAt',
      catalogMeta: 'key',
      catalogIndex: 'key',
    })
    // Chat history. `conversationTerms.*terms` is the full-text index (one entry per word of a
    // conversation), in its own table so conversation rows stay small. Messages are reached only
    // through [conversationId+seq]: it also answers "all of one conversation", so a separate
    // conversationId index would only cost writes.
    this.version(3).stores({
      conversations: 'id, updatedAt, pinned',
      messages: 'id, [conversationId+seq]',
      conversationTerms: 'id, *terms',
    })
    // Earlier versions of a conversation's answers (a regenerate or an edit set them aside), reached
    // by the message they followed. A new table only: existing conversations and messages stay as they are.
    this.version(4).stores({
      messageVersions: 'id, [conversationId+parentId]',
    })
  }
}

export const db = new ManagerDatabase()
