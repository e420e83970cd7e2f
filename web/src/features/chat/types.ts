import type { ChatMetrics } from '../../../../shared/chat'

/**
 * Chat history as this device keeps it (Dexie tables `conversations` and `messages`). Ids are
 * random UUIDs made in the browser, so conversations exported from one device and imported on
 * another keep their identity and an import never duplicates what is already here.
 */

/** Per-conversation settings; null means "the profile's own setting". */
export interface ChatParameters {
  systemPrompt: string | null
  temperature: number | null
  topP: number | null
  maxTokens: number | null
}

export const DEFAULT_PARAMETERS: ChatParameters = { systemPrompt: null, temperature: null, topP: null, maxTokens: null }

export interface ConversationRow {
  id: string
  title: string
  createdAt: string
  /** The last message's time; the sidebar groups and sorts by it. */
  updatedAt: string
  /** 1 when pinned: IndexedDB cannot index booleans. */
  pinned: 0 | 1
  /** The profile it talks to, and what that profile served when the conversation was last used. */
  profileId: number | null
  profileName: string | null
  model: string | null
  parameters: ChatParameters
  messageCount: number
}

export type AttachmentKind = 'image' | 'text'

export interface Attachment {
  id: string
  kind: AttachmentKind
  name: string
  mimeType: string
  /** Bytes of the original file. */
  size: number
  /** Images: a `data:image/…;base64,` URL, sent to the engine as it is. */
  dataUrl?: string
  /** Text and code files: their contents, inlined into the message sent. */
  text?: string
}

export type MessageRole = 'user' | 'assistant'

/** How an assistant answer ended; user messages are always `complete`. */
export type MessageStatus = 'complete' | 'stopped' | 'error'

export interface MessageRow {
  id: string
  conversationId: string
  /** Position in the conversation, from 0; gaps are allowed after edits. */
  seq: number
  role: MessageRole
  content: string
  /** The model's thinking, when it showed any. */
  reasoning: string | null
  /** How long it thought, for "thought for N s". */
  reasoningMs: number | null
  attachments: Attachment[]
  /** What the proxy measured for an assistant answer. */
  metrics: ChatMetrics | null
  error: { code: string; message: string } | null
  status: MessageStatus
  createdAt: string
  /** The profile that wrote an assistant answer, for answers from different models in one chat. */
  profileName: string | null
}

/** A new message with nothing measured or failed yet; `fields` fills in what it says. */
export function newMessage(fields: Pick<MessageRow, 'conversationId' | 'seq' | 'role'> & Partial<MessageRow>): MessageRow {
  return {
    id: crypto.randomUUID(),
    content: '',
    reasoning: null,
    reasoningMs: null,
    attachments: [],
    metrics: null,
    error: null,
    status: 'complete',
    createdAt: new Date().toISOString(),
    profileName: null,
    ...fields,
  }
}

/**
 * An earlier version of what followed one message: the answer (and anything after it) that a
 * regenerate or an edit set aside. Versions are kept per point in the conversation, so each point
 * numbers its own ‹ 1/2 ›; the messages on screen stay in `messages`, these only in this table.
 */
export interface MessageVersionRow {
  id: string
  conversationId: string
  /** The message these followed; '' when they began the conversation (an edited first question). */
  parentId: string
  /** When its first message was written: the versions at one point are numbered in this order. */
  createdAt: string
  /** The set-aside messages in seq order, the first of them the one that was replaced. */
  messages: MessageRow[]
}
