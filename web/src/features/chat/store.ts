import { defineStore } from 'pinia'
import { computed, ref, toRaw } from 'vue'
import { CHAT_LIMITS, type ChatRequest } from '../../../../shared/chat'
import { modelTypeChats, type Profile } from '../../../../shared/profiles'
import { api, ApiError, request as call, toApiError } from '../../api/client'
import { isAbort } from '../../api/chat-stream'
import { guarded } from '../auth/guarded'
import { useAuthStore } from '../auth/store'
import { useProfilesStore } from '../profiles/store'
import { useServersStore } from '../servers/store'
import { requestFor, streamAnswer, type StreamPhase } from './reply'
import { fitRequest } from './request'
import { db } from '../../db/database'
import * as history from './repository'
import type { Conversation } from './repository'
import { isAutomaticTitle, titleFor } from './title'
import * as versionStore from './versions'
import { ROOT, type VersionSummary } from './versions'
import { downloadName, exportJson, exportMarkdown, importJson } from './transfer'
import { DEFAULT_PARAMETERS, newMessage, type Attachment, type ChatParameters, type MessageRow } from './types'

/** Messages a conversation shows at first; earlier ones load on demand, so a long chat opens at once. */
export const MESSAGE_WINDOW = 60

export type ExportKind = 'markdown' | 'json'

export interface ExportFile {
  name: string
  type: string
  content: string
}

export interface Streaming {
  conversationId: string
  messageId: string
  phase: StreamPhase
  /** Shown while waiting, e.g. "still loading its model, trying again in 2 s". */
  notice: string | null
}

/** A refusal before any reply (not running, images not taken, offline): shown above the composer. */
export interface SendFailure {
  code: string
  message: string
  profileId: number | null
}

export function canChat(profile: Pick<Profile, 'engine' | 'modelType'>): boolean {
  return profile.engine === 'custom' || modelTypeChats(profile.modelType)
}

/**
 * Conversations on this device and the one open now. History reads and writes go to Dexie, so
 * everything but sending works offline; replies stream from `/api/chat`.
 */
export const useChatStore = defineStore('chat', () => {
  const profiles = useProfilesStore()
  const servers = useServersStore()

  const conversations = ref<Conversation[]>([])
  const listed = ref(false)
  const activeId = ref<string | null>(null)
  const messages = ref<MessageRow[]>([])
  const hasEarlier = ref(false)
  const streaming = ref<Streaming | null>(null)
  const failure = ref<SendFailure | null>(null)
  /** Settings for the next new conversation, before it exists. */
  const draftProfileId = ref<number | null>(null)
  const draftParameters = ref<ChatParameters>({ ...DEFAULT_PARAMETERS })
  const query = ref('')
  /** The profile whose server a chat is starting, while that call is in flight. */
  const startingProfileId = ref<number | null>(null)
  const results = ref<history.SearchHit[]>([])
  /** Earlier versions of the open conversation's answers, by the message they followed. */
  const versions = ref<VersionSummary[]>([])
  let controller: AbortController | null = null

  const active = computed(() => conversations.value.find((c) => c.id === activeId.value) ?? null)
  const chatProfiles = computed(() => profiles.profiles.filter(canChat))
  const profileId = computed(() => (active.value === null ? draftProfileId.value : active.value.profileId))
  const profile = computed(() => (profileId.value === null ? null : (profiles.byId.get(profileId.value) ?? null)))
  const parameters = computed(() => active.value?.parameters ?? draftParameters.value)
  /** Null while the servers are unknown (offline, not loaded yet): never guess "stopped" for a server that may be running. */
  const serverState = computed(() => (profileId.value === null || !servers.loaded ? null : (servers.byId.get(profileId.value)?.state ?? 'stopped')))

  async function loadList(): Promise<void> {
    conversations.value = await history.listConversations(db)
    listed.value = true
  }

  /** Profiles and servers come from the manager; offline, the saved history still opens. */
  async function loadServing(): Promise<void> {
    await Promise.allSettled([profiles.loaded ? Promise.resolve() : profiles.load(), servers.loaded ? Promise.resolve() : servers.load()])
    if (draftProfileId.value === null) draftProfileId.value = pickDefaultProfile()
  }

  /** A ready server first, then any that can chat. */
  function pickDefaultProfile(): number | null {
    const ready = chatProfiles.value.find((p) => servers.byId.get(p.id)?.state === 'ready')
    return (ready ?? chatProfiles.value[0])?.id ?? null
  }

  function replaceRow(row: Conversation | null): void {
    if (row === null) return
    conversations.value = [row, ...conversations.value.filter((c) => c.id !== row.id)]
  }

  async function open(id: string): Promise<boolean> {
    if (activeId.value === id) return true
    const row = await history.getConversation(db, id)
    if (row === null) return false
    stop()
    failure.value = null
    activeId.value = id
    if (!conversations.value.some((c) => c.id === id)) replaceRow(row)
    await loadWindow(id)
    return true
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

  /** Back to an empty composer; the next message starts a new conversation with the same model. */
  function startNew(profileIdHint: number | null = null): void {
    stop()
    if (active.value !== null) {
      draftProfileId.value = active.value.profileId
      draftParameters.value = { ...active.value.parameters }
    }
    if (profileIdHint !== null) draftProfileId.value = profileIdHint
    activeId.value = null
    messages.value = []
    versions.value = []
    hasEarlier.value = false
    failure.value = null
  }

  async function chooseProfile(id: number): Promise<void> {
    failure.value = null
    if (active.value === null) {
      draftProfileId.value = id
      return
    }
    const chosen = profiles.byId.get(id)
    replaceRow(await history.updateConversation(db, active.value.id, { profileId: id, profileName: chosen?.name ?? null, model: chosen?.model ?? null }))
  }

  async function setParameters(next: ChatParameters): Promise<void> {
    if (active.value === null) draftParameters.value = { ...next }
    else replaceRow(await history.updateConversation(db, active.value.id, { parameters: { ...next } }))
  }

  function nextSeq(): number {
    const last = messages.value[messages.value.length - 1]
    return last === undefined ? 0 : last.seq + 1
  }

  /** Why a message cannot be sent now, checked before anything is saved so nothing typed is lost. */
  function preflight(chosen: Profile | null = profile.value): SendFailure | null {
    if (chosen === null) return { code: 'no-profile', message: 'Choose a model to answer: pick a profile above.', profileId: null }
    if (!navigator.onLine) return { code: 'offline', message: 'You are offline. Conversations stay readable and searchable; sending needs the manager.', profileId: chosen.id }
    return null
  }

  /** Sends a user message (starting a conversation when none is open) and streams the answer. */
  async function send(text: string, attachments: Attachment[] = []): Promise<void> {
    if (streaming.value !== null) return
    const content = text.trim()
    if (content === '' && attachments.length === 0) return
    failure.value = null
    let conversation = active.value
    if (conversation === null) {
      const chosen = profile.value
      conversation = await history.createConversation(db, {
        title: titleFor(content, attachments),
        profileId: chosen?.id ?? null,
        profileName: chosen?.name ?? null,
        model: chosen?.model ?? null,
        parameters: { ...draftParameters.value },
      })
      activeId.value = conversation.id
      messages.value = []
      versions.value = []
      hasEarlier.value = false
    }
    const user = newMessage({ conversationId: conversation.id, seq: nextSeq(), role: 'user', content, attachments: attachments.map((a) => ({ ...a })) })
    replaceRow(await history.saveMessage(db, user))
    messages.value = [...messages.value, user]
    await generate()
  }

  /** Streams an answer to the open conversation's messages into a new assistant message. */
  async function generate(): Promise<void> {
    const conversation = active.value
    if (conversation === null || streaming.value !== null) return
    const prepared = await prepare(conversation)
    if (prepared === null) return
    messages.value = [...messages.value, newMessage({ conversationId: conversation.id, seq: nextSeq(), role: 'assistant', profileName: prepared.chosen.name })]
    // The reactive copy, so every token shows as it lands.
    const answer = messages.value[messages.value.length - 1] as MessageRow
    const refused = await write(conversation.id, answer, prepared)
    if (refused !== null) {
      // Nothing was answered: drop the empty answer and say why, with the way out.
      messages.value = messages.value.filter((m) => m.id !== answer.id)
      return
    }
    replaceRow(await history.saveMessage(db, structuredClone(toRaw(answer))))
  }

  /**
   * Goes on with an answer that was stopped: what it wrote so far is sent as the start of its own
   * turn, and what the model adds is written into the same message.
   */
  async function continueAnswer(): Promise<void> {
    const conversation = active.value
    const answer = messages.value[messages.value.length - 1]
    if (conversation === null || answer === undefined || answer.role !== 'assistant' || answer.status !== 'stopped' || answer.content === '' || streaming.value !== null) return
    const prepared = await prepare(conversation)
    if (prepared === null) return
    answer.status = 'complete'
    answer.error = null
    const refused = await write(conversation.id, answer, prepared)
    // Refused before a word: it is still the stopped answer it was.
    if (refused !== null) answer.status = 'stopped'
    else replaceRow(await history.saveMessage(db, structuredClone(toRaw(answer))))
  }

  interface Prepared {
    chosen: Profile
    request: ChatRequest
  }

  /** The profile and the request for the conversation as saved; null (and a failure said) when it cannot be sent. */
  async function prepare(conversation: Conversation): Promise<Prepared | null> {
    const chosen = conversation.profileId === null ? undefined : profiles.byId.get(conversation.profileId)
    const problem = preflight(chosen ?? null)
    if (problem !== null || chosen === undefined) {
      failure.value = problem
      return null
    }
    // The engine sees at most the last messagesMax messages; a long chat sends its recent part.
    const sent = await history.loadMessages(db, conversation.id, { limit: CHAT_LIMITS.messagesMax })
    const request = fitRequest(requestFor(chosen.id, conversation.parameters, sent))
    if (request === null) {
      failure.value = { code: 'too-large', message: 'This message and its attachments are too large to send. Remove an image or a file and send again.', profileId: chosen.id }
      return null
    }
    return { chosen, request }
  }

  /** Streams the reply into `answer`; the refusal when nothing was answered (said as the failure), else null. */
  async function write(conversationId: string, answer: MessageRow, { chosen, request }: Prepared): Promise<ApiError | null> {
    const own = new AbortController()
    controller = own
    streaming.value = { conversationId, messageId: answer.id, phase: 'waiting', notice: null }
    let refused: ApiError | null = null
    try {
      await streamAnswer(request, answer, own.signal, (phase, notice) => {
        if (streaming.value?.messageId !== answer.id) return
        streaming.value.phase = phase
        streaming.value.notice = notice
      })
    } catch (error) {
      if (isAbort(error)) answer.status = 'stopped'
      else if (error instanceof ApiError && error.status !== null) refused = error
      else {
        const lost = toApiError(error)
        if (answer.content === '' && answer.reasoning === null) refused = lost
        else {
          answer.status = 'error'
          answer.error = { code: lost.code, message: lost.message }
        }
      }
    } finally {
      if (controller === own) controller = null
      streaming.value = null
    }
    if (refused !== null) {
      failure.value = { code: refused.code, message: refused.message, profileId: chosen.id }
      if (refused.status === 401 || refused.status === 403) await useAuthStore().handleFailure(refused)
    }
    return refused
  }

  /** The last message is a question nothing answered (the send was refused): it can be sent again. */
  const unanswered = computed(() => streaming.value === null && messages.value[messages.value.length - 1]?.role === 'user')

  /**
   * Starts a stopped profile's server for chatting. This is the chat's own route, which members may
   * use on the profiles shared with them; the Servers screen's start is an administrator's.
   */
  async function startServer(profileId: number): Promise<void> {
    startingProfileId.value = profileId
    try {
      servers.applyState(await guarded(() => call(api.chat.start.post({ profileId }))))
    } finally {
      if (startingProfileId.value === profileId) startingProfileId.value = null
    }
  }

  /** Stops the answer being written; what arrived is kept and marked stopped. */
  function stop(): void {
    controller?.abort()
    controller = null
  }

  /** A new answer in place of the last one; the one it replaces stays as an earlier version. */
  async function regenerate(): Promise<void> {
    const conversation = active.value
    const last = messages.value[messages.value.length - 1]
    if (conversation === null || last === undefined || streaming.value !== null) return
    if (last.role === 'assistant') await setAsideFrom(last.seq)
    await generate()
  }

  /**
   * Rewrites a user message and sends it: what followed it is set aside as an earlier version.
   * An edited first question renames the conversation, unless the user named it.
   */
  async function editAndResend(messageId: string, text: string): Promise<void> {
    const message = messages.value.find((m) => m.id === messageId)
    const conversation = active.value
    if (message === undefined || conversation === null || message.role !== 'user' || streaming.value !== null) return
    const attachments = message.attachments
    await setAsideFrom(message.seq)
    if (message.seq === 0) await followFirstMessage(conversation, message, { content: text.trim(), attachments })
    await send(text, attachments)
  }

  async function setAsideFrom(seq: number): Promise<void> {
    const id = activeId.value
    if (id === null) return
    replaceRow(await versionStore.setAsideFrom(db, id, seq))
    messages.value = messages.value.filter((m) => m.seq < seq)
    versions.value = await versionStore.listVersions(db, id)
  }

  /** The title made from the first message follows that message when it changes. */
  async function followFirstMessage(conversation: Conversation, was: Pick<MessageRow, 'content' | 'attachments'>, now: Pick<MessageRow, 'content' | 'attachments'>): Promise<void> {
    if (!isAutomaticTitle(conversation.title, was.content, was.attachments)) return
    const title = titleFor(now.content, now.attachments)
    if (title !== conversation.title) replaceRow(await history.updateConversation(db, conversation.id, { title }))
  }

  /** Shows another version of what follows `parentId` (ROOT: the first question). */
  async function showVersion(parentId: string, versionId: string): Promise<void> {
    const conversation = active.value
    if (conversation === null || streaming.value !== null) return
    const first = parentId === ROOT ? messages.value[0] : messages.value[messages.value.findIndex((m) => m.id === parentId) + 1]
    replaceRow(await versionStore.switchVersion(db, conversation.id, parentId, versionId))
    await loadWindow(conversation.id)
    const shown = messages.value[0]
    if (parentId === ROOT && first !== undefined && shown !== undefined && shown.seq === 0) await followFirstMessage(conversation, first, shown)
  }

  async function rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim().slice(0, 200)
    if (trimmed === '') return
    replaceRow(await history.updateConversation(db, id, { title: trimmed }))
  }

  async function togglePin(id: string): Promise<void> {
    const row = conversations.value.find((c) => c.id === id)
    if (row !== undefined) replaceRow(await history.updateConversation(db, id, { pinned: row.pinned === 1 ? 0 : 1 }))
  }

  async function remove(id: string): Promise<void> {
    if (activeId.value === id) startNew()
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
    streaming,
    failure,
    draftProfileId,
    query,
    results,
    chatProfiles,
    profileId,
    profile,
    parameters,
    serverState,
    loadList,
    loadServing,
    preflight,
    open,
    loadEarlier,
    startNew,
    chooseProfile,
    setParameters,
    send,
    generate,
    stop,
    continueAnswer,
    versions,
    showVersion,
    unanswered,
    startingProfileId,
    startServer,
    regenerate,
    editAndResend,
    rename,
    togglePin,
    remove,
    search,
    exportChats,
    importChats,
  }
})
