import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { CHAT_LIMITS, type ChatRequest } from '../../../../shared/chat'
import { modelTypeChats, type Profile } from '../../../../shared/profiles'
import type { ServerState } from '../../../../shared/servers'
import { api, isAbort, request as call, toApiError, type ApiError } from '../../api/client'
import { db } from '../../db/database'
import { guarded } from '../auth/guarded'
import { fromPeerChatId, peerChatProfiles, routedToPeer } from '../peers/chat'
import { usePeersStore } from '../peers/store'
import { useProfilesStore } from '../profiles/store'
import { useServersStore } from '../servers/store'
import { useChatHistoryStore } from './history-store'
import { requestFor, streamAnswer, type StreamPhase } from './reply'
import { fitRequest } from './request'
import * as history from './repository'
import type { Conversation } from './repository'
import { titleFor } from './title'
import { DEFAULT_PARAMETERS, newMessage, type Attachment, type ChatParameters, type MessageRow } from './types'

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
 * The exchange with a model in the open conversation: which profile answers and with what settings,
 * sending, the answer streaming from `/api/chat`, stopping, continuing and regenerating, and why a
 * message could not be sent. What is kept on this device is the chat history store's.
 */
export const useChatStore = defineStore('chat', () => {
  const profiles = useProfilesStore()
  const servers = useServersStore()
  const chats = useChatHistoryStore()
  const peers = usePeersStore()

  const streaming = ref<Streaming | null>(null)
  const failure = ref<SendFailure | null>(null)
  /** Settings for the next new conversation, before it exists. */
  const draftProfileId = ref<number | null>(null)
  const draftParameters = ref<ChatParameters>({ ...DEFAULT_PARAMETERS })
  /** The profile whose server a chat is starting, while that call is in flight. */
  const startingProfileId = ref<number | null>(null)
  let controller: AbortController | null = null

  // Other managers' chat models come after this one's, named model@machine (see peers/chat.ts).
  const peerProfiles = computed(() => peerChatProfiles(peers.peers))
  const chatProfiles = computed(() => [...profiles.profiles.filter(canChat), ...peerProfiles.value])
  const profileById = (id: number) => profiles.byId.get(id) ?? peerProfiles.value.find((p) => p.id === id)
  const profileId = computed(() => (chats.active === null ? draftProfileId.value : chats.active.profileId))
  const profile = computed(() => (profileId.value === null ? null : (profileById(profileId.value) ?? null)))
  /** A peer's model: that manager starts it when a message is sent; there is no Start here. */
  const onPeer = computed(() => profileId.value !== null && fromPeerChatId(profileId.value) !== null)
  const parameters = computed(() => chats.active?.parameters ?? draftParameters.value)
  /** Null while the servers are unknown (offline, not loaded yet): never guess "stopped" for a server that may be running. */
  const serverState = computed(() => (profileId.value === null ? null : stateOf(profileId.value)))
  /** The last message is a question nothing answered (the send was refused): it can be sent again. */
  const unanswered = computed(() => streaming.value === null && chats.messages[chats.messages.length - 1]?.role === 'user')

  // The exchange belongs to the conversation on screen: leaving it (another one opened, deleted, an
  // empty composer) stops its answer and drops its refusal, and an empty composer keeps the model
  // and settings of the conversation left. Synchronous, so it happens before anything else is shown.
  watch(
    () => chats.activeId,
    (id, was) => {
      if (streaming.value !== null && streaming.value.conversationId !== id) stop()
      failure.value = null
      const left = id === null && was !== null ? chats.conversations.find((c) => c.id === was) : undefined
      if (left !== undefined) {
        draftProfileId.value = left.profileId
        draftParameters.value = { ...left.parameters }
      }
    },
    { flush: 'sync' },
  )

  /** A profile's server state, a peer's as that manager last said; null while unknown. */
  function stateOf(id: number): ServerState | null {
    const peer = fromPeerChatId(id)
    if (peer === null) return servers.loaded ? (servers.byId.get(id)?.state ?? 'stopped') : null
    return peers.byId.get(peer.peerId)?.profiles.find((p) => p.id === peer.profileId)?.state ?? null
  }

  /** How the model picker names a profile: its name, then its state unless ready; a peer's that cannot be reached says so. */
  function optionLabel(profile: Profile): string {
    const peer = fromPeerChatId(profile.id)
    const state = peer !== null && peers.byId.get(peer.peerId)?.state !== 'online' ? 'unreachable' : (stateOf(profile.id) ?? 'stopped')
    return `${profile.name}${state === 'ready' ? '' : ` (${state})`}`
  }

  /** Profiles and servers come from the manager; offline, the saved history still opens. */
  async function loadServing(): Promise<void> {
    await Promise.allSettled([
      profiles.loaded ? Promise.resolve() : profiles.load(),
      servers.loaded ? Promise.resolve() : servers.load(),
      peers.loaded ? Promise.resolve() : peers.load(),
    ])
    if (draftProfileId.value === null) draftProfileId.value = pickDefaultProfile()
  }

  /** A ready server first, then any that can chat. */
  function pickDefaultProfile(): number | null {
    const ready = chatProfiles.value.find((p) => servers.byId.get(p.id)?.state === 'ready')
    return (ready ?? chatProfiles.value[0])?.id ?? null
  }

  /** Back to an empty composer; the next message starts a new conversation with the same model. */
  function startNew(profileIdHint: number | null = null): void {
    stop()
    failure.value = null
    chats.showEmpty(null)
    if (profileIdHint !== null) draftProfileId.value = profileIdHint
  }

  async function chooseProfile(id: number): Promise<void> {
    failure.value = null
    const active = chats.active
    if (active === null) {
      draftProfileId.value = id
      return
    }
    const chosen = profileById(id)
    await chats.update(active.id, { profileId: id, profileName: chosen?.name ?? null, model: chosen?.model ?? null })
  }

  async function setParameters(next: ChatParameters): Promise<void> {
    const active = chats.active
    if (active === null) draftParameters.value = { ...next }
    else await chats.update(active.id, { parameters: { ...next } })
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
    let conversation = chats.active
    if (conversation === null) {
      const chosen = profile.value
      conversation = await chats.create({
        title: titleFor(content, attachments),
        profileId: chosen?.id ?? null,
        profileName: chosen?.name ?? null,
        model: chosen?.model ?? null,
        parameters: { ...draftParameters.value },
      })
    }
    const user = newMessage({ conversationId: conversation.id, seq: chats.nextSeq(), role: 'user', content, attachments: attachments.map((a) => ({ ...a })) })
    await chats.save(user)
    chats.append(user)
    await generate()
  }

  /** Streams an answer to the open conversation's messages into a new assistant message. */
  async function generate(): Promise<void> {
    const conversation = chats.active
    if (conversation === null || streaming.value !== null) return
    const prepared = await prepare(conversation)
    if (prepared === null) return
    // The reactive copy, so every token shows as it lands.
    const answer = chats.append(newMessage({ conversationId: conversation.id, seq: chats.nextSeq(), role: 'assistant', profileName: prepared.chosen.name }))
    const refused = await write(conversation.id, answer, prepared)
    // Nothing was answered: drop the empty answer and say why, with the way out.
    if (refused !== null) chats.discard(answer.id)
    else await chats.save(answer)
  }

  /**
   * Goes on with an answer that was stopped: what it wrote so far is sent as the start of its own
   * turn, and what the model adds is written into the same message.
   */
  async function continueAnswer(): Promise<void> {
    const conversation = chats.active
    const answer = chats.messages[chats.messages.length - 1]
    if (conversation === null || answer === undefined || answer.role !== 'assistant' || answer.status !== 'stopped' || answer.content === '' || streaming.value !== null) return
    const prepared = await prepare(conversation)
    if (prepared === null) return
    answer.status = 'complete'
    answer.error = null
    const refused = await write(conversation.id, answer, prepared)
    // Refused before a word: it is still the stopped answer it was.
    if (refused !== null) answer.status = 'stopped'
    else await chats.save(answer)
  }

  interface Prepared {
    chosen: Profile
    request: ChatRequest
  }

  /** The profile and the request for the conversation as saved; null (and a failure said) when it cannot be sent. */
  async function prepare(conversation: Conversation): Promise<Prepared | null> {
    const chosen = conversation.profileId === null ? undefined : profileById(conversation.profileId)
    const problem = preflight(chosen ?? null)
    if (problem !== null || chosen === undefined) {
      failure.value = problem
      return null
    }
    // The engine sees at most the last messagesMax messages; a long chat sends its recent part.
    const sent = await history.loadMessages(db, conversation.id, { limit: CHAT_LIMITS.messagesMax })
    const request = fitRequest(routedToPeer(requestFor(chosen.id, conversation.parameters, sent)))
    if (request === null) {
      failure.value = { code: 'too-large', message: 'This message and its attachments are too large to send. Remove an image or a file and send again.', profileId: chosen.id }
      return null
    }
    return { chosen, request }
  }

  /**
   * Streams the reply into `answer`; the refusal when nothing was answered (said as the failure),
   * else null. The call runs through guarded() like every store's, so a lost session or an
   * unreachable manager is handled once, by the auth store.
   */
  async function write(conversationId: string, answer: MessageRow, { chosen, request }: Prepared): Promise<ApiError | null> {
    const own = new AbortController()
    controller = own
    streaming.value = { conversationId, messageId: answer.id, phase: 'waiting', notice: null }
    let refused: ApiError | null = null
    try {
      await guarded(() =>
        streamAnswer(request, answer, own.signal, (phase, notice) => {
          if (streaming.value?.messageId !== answer.id) return
          streaming.value.phase = phase
          streaming.value.notice = notice
        }),
      )
    } catch (error) {
      if (isAbort(error)) answer.status = 'stopped'
      else {
        const lost = toApiError(error)
        // Refused, or lost before a word: nothing was answered.
        if (lost.status !== null || (answer.content === '' && answer.reasoning === null)) refused = lost
        else {
          answer.status = 'error'
          answer.error = { code: lost.code, message: lost.message }
        }
      }
    } finally {
      if (controller === own) controller = null
      streaming.value = null
    }
    if (refused !== null) failure.value = { code: refused.code, message: refused.message, profileId: chosen.id }
    return refused
  }

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
    const last = chats.messages[chats.messages.length - 1]
    if (chats.active === null || last === undefined || streaming.value !== null) return
    if (last.role === 'assistant') await chats.setAsideFrom(last.seq)
    await generate()
  }

  /**
   * Rewrites a user message and sends it: what followed it is set aside as an earlier version.
   * An edited first question renames the conversation, unless the user named it.
   */
  async function editAndResend(messageId: string, text: string): Promise<void> {
    const message = chats.messages.find((m) => m.id === messageId)
    const conversation = chats.active
    if (message === undefined || conversation === null || message.role !== 'user' || streaming.value !== null) return
    const attachments = message.attachments
    await chats.setAsideFrom(message.seq)
    if (message.seq === 0) await chats.followFirstMessage(conversation, message, { content: text.trim(), attachments })
    await send(text, attachments)
  }

  /** Shows another version of what follows `parentId`; not while an answer is being written. */
  async function showVersion(parentId: string, versionId: string): Promise<void> {
    if (streaming.value === null) await chats.showVersion(parentId, versionId)
  }

  return {
    streaming,
    failure,
    draftProfileId,
    chatProfiles,
    profileId,
    profile,
    onPeer,
    stateOf,
    optionLabel,
    parameters,
    serverState,
    unanswered,
    startingProfileId,
    loadServing,
    preflight,
    startNew,
    chooseProfile,
    setParameters,
    send,
    generate,
    continueAnswer,
    stop,
    startServer,
    regenerate,
    editAndResend,
    showVersion,
  }
})
